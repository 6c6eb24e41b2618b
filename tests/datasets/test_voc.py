"""VOC: labels and difficult labels from a VOC2007 tree written here, and its errors."""
import os

import pytest

from mmcls_convnext.datasets import VOC, MultiLabelDataset
from mmcls_convnext.datasets.categories import VOC2007_CATEGORIES
from mmcls_convnext.registry import DATASETS


def _obj(name, difficult=None):
    diff = '' if difficult is None else f'<difficult>{difficult}</difficult>'
    return f'<object><name>{name}</name><pose>Left</pose>{diff}<bndbox/></object>'


@pytest.fixture
def voc_root(tmp_path):
    root = tmp_path / 'VOC2007'
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (root / sub).mkdir(parents=True)
    anns = {
        '000005': [('chair', 0), ('chair', 1), ('diningtable', 1)],
        '000007': [('car', 0)],
        '000009': [('horse', 0), ('person', 0), ('person', 1)],
        '000012': [('car', 0)],
    }
    for img_id, objs in anns.items():
        body = ''.join(_obj(n, d) for n, d in objs)
        (root / 'Annotations' / f'{img_id}.xml').write_text(
            f'<annotation><filename>{img_id}.jpg</filename>{body}</annotation>')
    (root / 'ImageSets/Main/trainval.txt').write_text('000005\n000007\n000009\n')
    (root / 'ImageSets/Main/test.txt').write_text('000012\n')
    return root


def test_labels_and_difficult_labels(voc_root):
    ds = DATASETS.build(dict(type='VOC', data_root=str(voc_root), split='trainval'))
    assert isinstance(ds, VOC) and isinstance(ds, MultiLabelDataset)
    assert ds.CLASSES == VOC2007_CATEGORIES and len(ds.CLASSES) == 20
    idx = {c: i for i, c in enumerate(VOC2007_CATEGORIES)}
    first = ds.get_data_info(0)
    assert first['img_path'] == os.path.join(str(voc_root), 'JPEGImages', '000005.jpg')
    assert first['gt_label'] == [idx['chair']]
    assert first['gt_label_difficult'] == sorted([idx['chair'], idx['diningtable']])
    third = ds.get_data_info(2)
    assert third['gt_label'] == sorted([idx['horse'], idx['person']])
    assert third['gt_label_difficult'] == [idx['person']]
    assert ds.get_cat_ids(2) == sorted([idx['horse'], idx['person']])
    test = VOC(data_root=str(voc_root), split='test', test_mode=True)
    assert len(test) == 1 and test.get_data_info(0)['gt_label'] == [idx['car']]


def test_narrowed_classes_skip_other_objects(voc_root):
    ds = VOC(data_root=str(voc_root), split='trainval', classes=['person', 'chair'])
    assert [ds.get_data_info(i)['gt_label'] for i in range(3)] == [[1], [], [0]]


def test_missing_difficult_counts_as_not_difficult(voc_root):
    (voc_root / 'Annotations/000007.xml').write_text(
        f'<annotation>{_obj("bus")}</annotation>')
    ds = VOC(data_root=str(voc_root), split='trainval')
    assert ds.get_data_info(1)['gt_label'] == [VOC2007_CATEGORIES.index('bus')]


@pytest.mark.parametrize('content,match', [
    ('<annotation><object><name>car</name>', 'not valid XML'),
    ('<annotation><object><difficult>0</difficult></object></annotation>', 'has no <name>'),
    (f'<annotation>{_obj("car", 2)}</annotation>', 'expected 0 or 1'),
])
def test_bad_annotation_names_the_file(voc_root, content, match):
    (voc_root / 'Annotations/000007.xml').write_text(content)
    with pytest.raises(ValueError, match=match) as info:
        VOC(data_root=str(voc_root), split='trainval')
    assert '000007.xml' in str(info.value) and '\n' not in str(info.value)


def test_missing_files_say_what_is_expected(voc_root):
    os.remove(voc_root / 'Annotations/000009.xml')
    with pytest.raises(ValueError, match=r'000009.*missing.*000009\.xml'):
        VOC(data_root=str(voc_root), split='trainval')
    with pytest.raises(FileNotFoundError, match=r'ImageSets/Main/val\.txt does not exist'):
        VOC(data_root=str(voc_root), split='val')


def test_bad_arguments(voc_root):
    with pytest.raises(ValueError, match='The split must be one of'):
        VOC(data_root=str(voc_root), split='training')
    with pytest.raises(ValueError, match="ann_path"):
        VOC(data_root=str(voc_root), split='trainval', data_prefix='JPEGImages')
    unlabeled = VOC(data_root=str(voc_root), split='', image_set_path='ImageSets/Main/test.txt',
                    data_prefix='JPEGImages', test_mode=True)
    assert unlabeled.get_data_info(0)['gt_label'] is None
