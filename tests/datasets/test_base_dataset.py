"""BaseDataset / MultiLabelDataset / MultiTaskDataset on OpenMMLab 2.0 json files written here."""
import json

import numpy as np
import pytest

from mmcls_convnext.datasets import BaseDataset, MultiLabelDataset, MultiTaskDataset


def _write(tmp_path, data_list, categories=None, name='ann.json', **meta):
    metainfo = dict(meta)
    if categories is not None:
        metainfo['categories'] = categories
    (tmp_path / name).write_text(json.dumps(dict(metainfo=metainfo, data_list=data_list)))
    return name


def test_classes_from_categories_sorted_by_id(tmp_path):
    ann = _write(tmp_path, [dict(img_path='a.jpg', gt_label=1), dict(img_path='b.jpg',
                                                                     gt_label=0)],
                 categories=[dict(id=1, category_name='dog'), dict(id=0, category_name='cat')])
    ds = BaseDataset(data_root=str(tmp_path), ann_file=ann)
    assert ds.CLASSES == ('cat', 'dog') and ds.class_to_idx == {'cat': 0, 'dog': 1}
    np.testing.assert_array_equal(ds.get_gt_labels(), [1, 0])
    assert ds.get_cat_ids(0) == [1]
    assert ds.get_data_info(1)['img_path'] == str(tmp_path / 'b.jpg')
    # given classes win over the file's categories, metainfo over classes; inputs untouched
    meta = {'classes': ['x', 'y']}
    ds = BaseDataset(data_root=str(tmp_path), ann_file=ann, classes=['p', 'q'], metainfo=meta)
    assert ds.CLASSES == ('x', 'y') and meta == {'classes': ['x', 'y']}
    assert BaseDataset(data_root=str(tmp_path), ann_file=ann, classes=['p', 'q']).CLASSES == \
        ('p', 'q')


def test_bad_classes_and_prefix(tmp_path):
    ann = _write(tmp_path, [dict(img_path='a.jpg', gt_label=0)])
    with pytest.raises(ValueError, match='unique strings'):
        BaseDataset(data_root=str(tmp_path), ann_file=ann, classes=['a', 'a'])
    with pytest.raises(ValueError, match='data_prefix'):
        BaseDataset(data_root=str(tmp_path), ann_file=ann, data_prefix=3)
    with pytest.raises(ValueError, match='no class names'):
        _ = BaseDataset(data_root=str(tmp_path), ann_file=ann).class_to_idx


def test_multi_label_cat_ids(tmp_path):
    ann = _write(tmp_path, [dict(img_path='a.jpg', gt_label=[0, 2]),
                            dict(img_path='b.jpg', gt_label=[])])
    ds = MultiLabelDataset(data_root=str(tmp_path), ann_file=ann, classes=['a', 'b', 'c'])
    assert ds.get_cat_ids(0) == [0, 2] and ds.get_cat_ids(1) == []


def test_multi_task_dataset(tmp_path):
    ann = _write(tmp_path, [dict(img_path='a.jpg', gt_label=dict(gender=1)),
                            dict(img_path='b.jpg', gt_label=dict(gender=0, wear=[1, 0]))],
                 tasks=['gender', 'wear'])
    ds = MultiTaskDataset(ann_file=ann, data_root=str(tmp_path), data_prefix='imgs')
    assert ds.metainfo == {'tasks': ['gender', 'wear']} and len(ds) == 2
    assert ds[1] == dict(img_path=str(tmp_path / 'imgs' / 'b.jpg'),
                         gt_label=dict(gender=0, wear=[1, 0]))
    _write(tmp_path, [dict(gt_label=dict(gender=1))], name='bad.json')
    with pytest.raises(AssertionError, match=r'bad\.json: item 0 .*img_path'):
        MultiTaskDataset(ann_file='bad.json', data_root=str(tmp_path))
    with pytest.raises(ValueError, match='pickle'):
        MultiTaskDataset(ann_file='x.pkl', data_root=str(tmp_path))
