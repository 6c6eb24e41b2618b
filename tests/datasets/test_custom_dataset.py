"""CustomDataset: class folders and annotation files, and every folder problem of issue 5 row 11."""
import os.path as osp
import re

import numpy as np
import pytest
from mmengine.logging import MMLogger

from mmcls_convnext.datasets import CustomDataset
from mmcls_convnext.datasets.errors import NoImagesFoundError
from mmcls_convnext.registry import DATASETS


@pytest.fixture
def warnings_logged(monkeypatch):
    """Messages of MMLogger.warning while the test runs."""
    messages = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'warning', messages.append)
    return messages


def rel_paths(ds):
    return [osp.relpath(ds.get_data_info(i)['img_path'], ds.img_prefix) for i in range(len(ds))]


def test_folder_scan_sorted_classes_nested_and_ignored_files(class_tree):
    ds = CustomDataset(data_root=str(class_tree))
    assert ds.metainfo['classes'] == ('bird', 'cat', 'dog')
    assert ds.CLASSES == ('bird', 'cat', 'dog')
    assert rel_paths(ds) == ['bird/e.png', 'bird/f.bmp', 'cat/a.jpg',
                             'cat/nested/deeper/b.png', 'dog/c.JPEG', 'dog/d.png']
    assert ds.get_gt_labels().tolist() == [0, 0, 1, 1, 2, 2]
    assert ds.get_cat_ids(3) == [1]


def test_registered_and_data_prefix_forms(class_tree):
    assert DATASETS.get('CustomDataset') is CustomDataset
    a = CustomDataset(data_root=str(class_tree.parent), data_prefix='data')
    b = CustomDataset(data_root=str(class_tree.parent), data_prefix=dict(img_path='data'))
    assert rel_paths(a) == rel_paths(b) and len(a) == 6
    with pytest.raises(TypeError, match='data_prefix must be a string or dict'):
        CustomDataset(data_root=str(class_tree), data_prefix=dict(img='x'))


def test_extension_filter(class_tree):
    ds = CustomDataset(data_root=str(class_tree), extensions=('png',))
    assert rel_paths(ds) == ['bird/e.png', 'cat/nested/deeper/b.png', 'dog/d.png']
    with pytest.raises(TypeError, match='extensions must be a sequence'):
        CustomDataset(data_root=str(class_tree), extensions='.png')


def test_empty_class_folder_is_a_warning_and_keeps_its_index(class_tree, warnings_logged):
    (class_tree / 'ant').mkdir()
    (class_tree / 'ant' / 'readme.txt').write_text('no images here')
    ds = CustomDataset(data_root=str(class_tree))
    assert ds.CLASSES == ('ant', 'bird', 'cat', 'dog')
    assert ds.get_gt_labels().tolist() == [1, 1, 2, 2, 3, 3]
    assert len(warnings_logged) == 1
    assert "Class folder(s) ['ant'] in" in warnings_logged[0]
    assert 'Supported extensions are: .jpg, .jpeg, .png' in warnings_logged[0]


def test_extension_filter_can_empty_a_class(class_tree, warnings_logged):
    ds = CustomDataset(data_root=str(class_tree), extensions=('.jpg', '.jpeg'))
    assert ds.get_gt_labels().tolist() == [1, 2]  # bird (index 0) has no .jpg
    assert "['bird']" in warnings_logged[0] and 'widen `extensions`' in warnings_logged[0]


def test_no_image_in_any_class_folder_is_an_error(class_tree):
    with pytest.raises(NoImagesFoundError, match=r'Found no images in the class folders of '
                                                 r'".*data"\. Supported extensions are: \.gif'):
        CustomDataset(data_root=str(class_tree), extensions=('.gif',))
    with pytest.raises(RuntimeError):  # what MMPretrain raises here
        CustomDataset(data_root=str(class_tree), extensions=('.gif',))


def test_missing_root(tmp_path):
    with pytest.raises(FileNotFoundError, match='Image folder ".*nowhere" does not exist'):
        CustomDataset(data_root=str(tmp_path / 'nowhere'))


def test_flat_folder_without_classes(tmp_path, image_writer):
    image_writer(str(tmp_path / 'a.png'))
    with pytest.raises(ValueError, match='No class folders found.*one folder per class'):
        CustomDataset(data_root=str(tmp_path))
    ds = CustomDataset(data_root=str(tmp_path), with_label=False)
    assert len(ds) == 1 and 'gt_label' not in ds.get_data_info(0)


def test_non_ascii_names(tmp_path, image_writer):
    image_writer(str(tmp_path / 'chat_été' / 'ü 1.png'))
    image_writer(str(tmp_path / '狗' / '图像.jpg'))
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    ds = CustomDataset(data_root=str(tmp_path), pipeline=pipeline)
    assert ds.metainfo['classes'] == ('chat_été', '狗')
    assert ds[1]['inputs'].shape == (3, 12, 16)
    assert ds[1]['data_samples'].img_path.endswith('图像.jpg')


def test_classes_by_name_allow_a_missing_class(class_tree):
    # e.g. a val folder lacking 'bird': give the train classes, folders map by name
    ds = CustomDataset(data_root=str(class_tree), classes=['cat', 'dog', 'bird', 'fish'])
    assert ds.metainfo['classes'] == ('cat', 'dog', 'bird', 'fish')
    assert ds.get_gt_labels().tolist() == [2, 2, 0, 0, 1, 1]


def test_classes_by_position_and_count_mismatch(class_tree):
    ds = CustomDataset(data_root=str(class_tree), classes=['Bird', 'Cat', 'Dog'])
    assert ds.get_gt_labels().tolist() == [0, 0, 1, 1, 2, 2]
    with pytest.raises(ValueError, match=r"class folders in .* \(3\) doesn't match the number "
                                         r"of given classes \(2\).*\['bird', 'cat', 'dog'\] "
                                         'are not class names'):
        CustomDataset(data_root=str(class_tree), classes=['Bird', 'Cat'])
    with pytest.raises(AssertionError, match="doesn't match"):  # MMPretrain's error type too
        CustomDataset(data_root=str(class_tree), classes=['Bird', 'Cat'])
    with pytest.raises(ValueError, match='classes must be unique strings'):
        CustomDataset(data_root=str(class_tree), classes=['a', 'a', 'b'])
    with pytest.raises(ValueError, match="Unsupported type <class 'dict'> of classes"):
        CustomDataset(data_root=str(class_tree), classes=dict(a=1))


def test_classes_from_file(class_tree):
    (class_tree.parent / 'names.txt').write_text('Bird\nCat\n\nDog\n')
    ds = CustomDataset(data_root=str(class_tree), classes=str(class_tree.parent / 'names.txt'))
    assert ds.metainfo['classes'] == ('Bird', 'Cat', 'Dog')
    with pytest.raises(FileNotFoundError, match='Class-name file ".*missing.txt" does not exist'):
        CustomDataset(data_root=str(class_tree), classes=str(class_tree / 'missing.txt'))
    # a relative path: as given (from the working directory), else under data_root
    (class_tree / 'local.txt').write_text('x\ny\nz\n')
    ds = CustomDataset(data_root=str(class_tree), classes='local.txt')
    assert ds.class_to_idx == {'x': 0, 'y': 1, 'z': 2}


def test_metainfo_classes_win_over_classes(class_tree):
    ds = CustomDataset(data_root=str(class_tree), classes=['a', 'b', 'c'],
                       metainfo=dict(classes=('bird', 'cat', 'dog')))
    assert ds.CLASSES == ('bird', 'cat', 'dog')
    assert ds.class_to_idx == {'bird': 0, 'cat': 1, 'dog': 2}


def test_annotation_file(class_tree):
    (class_tree / 'ann.txt').write_text('cat/a.jpg 1\n\ndog/d.png 2\nname with space.png 0\n')
    ds = CustomDataset(data_root=str(class_tree), ann_file='ann.txt',
                       classes=['bird', 'cat', 'dog'])
    assert rel_paths(ds) == ['cat/a.jpg', 'dog/d.png', 'name with space.png']
    assert ds.get_gt_labels().tolist() == [1, 2, 0]
    unnamed = CustomDataset(data_root=str(class_tree), ann_file='ann.txt')
    assert unnamed.CLASSES is None and unnamed.get_gt_labels().tolist() == [1, 2, 0]
    with pytest.raises(ValueError, match='has no class names.*pass classes='):
        _ = unnamed.class_to_idx
    assert isinstance(unnamed.get_gt_labels(), np.ndarray)
    with pytest.raises(TypeError, match='expected str, got list'):
        CustomDataset(data_root=str(class_tree), ann_file=['ann.txt'])


def test_annotation_file_errors(class_tree):
    (class_tree / 'bad.txt').write_text('cat/a.jpg 1\ndog/d.png\n')
    with pytest.raises(ValueError, match=r'bad.txt, line 2: expected "<path> <label>"'):
        CustomDataset(data_root=str(class_tree), ann_file='bad.txt')
    (class_tree / 'big.txt').write_text('cat/a.jpg 7\n')
    with pytest.raises(ValueError, match='has label 7 but only 3 classes'):
        CustomDataset(data_root=str(class_tree), ann_file='big.txt', classes=['a', 'b', 'c'])
    with pytest.raises(FileNotFoundError, match='Annotation file ".*nope.txt" does not exist'):
        CustomDataset(data_root=str(class_tree), ann_file='nope.txt')
    (class_tree / 'empty.txt').write_text('\n')
    with pytest.raises(ValueError, match='lists no samples'):
        CustomDataset(data_root=str(class_tree), ann_file='empty.txt')


def test_lazy_init_and_pipeline_output(class_tree):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=8),
                dict(type='CenterCrop', crop_size=8), dict(type='PackInputs')]
    ds = CustomDataset(data_root=str(class_tree), pipeline=pipeline, lazy_init=True)
    assert not ds._fully_initialized
    item = ds[2]
    assert item['inputs'].shape == (3, 8, 8)
    sample = item['data_samples']
    assert sample.gt_label.tolist() == [1] and sample.ori_shape == (12, 16)
    assert sample.sample_idx == 2 and sample.img_path.endswith('a.jpg')


def test_repr_reads_like_mmpretrains(class_tree):
    lazy = CustomDataset(data_root=str(class_tree), lazy_init=True)
    assert repr(lazy) == (f"Dataset CustomDataset\n    Haven't been initialized\n"
                          f'    Annotation file: \t\n    Prefix of images: \t{class_tree}')
    ds = CustomDataset(data_root=str(class_tree),
                       pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')])
    lines = repr(ds).splitlines()
    assert lines[:3] == ['Dataset CustomDataset', '    Number of samples: \t6',
                         '    Number of categories: \t3']
    assert lines[5] == '    With transforms:'
    assert lines[6].startswith('        LoadImageFromFile(')
    assert lines[7].startswith("        PackInputs(input_key='img'")


def test_missing_relative_root_names_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match=r'Image folder "data/imagenet/train" \(relative to '
                       rf'the current directory {re.escape(str(tmp_path))}\) does not exist'):
        CustomDataset(data_root='data/imagenet', data_prefix='train')


def test_an_argument_the_dataset_does_not_take_is_named_with_the_way_out(class_tree):
    """ImageNet bases set split='train'; switching the type to CustomDataset kept it. The
    error names the type, the argument and what to write instead (and stays a TypeError)."""
    from mmcls_convnext.datasets.errors import DatasetArgumentError
    with pytest.raises(DatasetArgumentError, match=r"CustomDataset got argument\(s\) it does "
                       r"not take: split\. .*data_prefix='train'.* It takes: .*data_prefix") as e:
        DATASETS.build(dict(type='CustomDataset', data_root=str(class_tree), split='train'))
    assert isinstance(e.value, TypeError)
    with pytest.raises(DatasetArgumentError, match=r'not take: colour_mode, data_prefx\. It '):
        CustomDataset(data_root=str(class_tree), data_prefx='x', colour_mode='rgb')
    assert len(CustomDataset(data_root=str(class_tree), indices=2)) == 2  # BaseDataset's own
