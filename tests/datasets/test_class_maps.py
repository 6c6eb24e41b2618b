"""check_class_maps: train and val must index the same classes the same way."""
import shutil

import pytest

from mmcls_convnext.datasets import CustomDataset, check_class_maps


@pytest.fixture
def train_val(tmp_path, image_writer):
    for split in ('train', 'val'):
        for i, cls in enumerate(('ant', 'bee', 'cow')):
            image_writer(str(tmp_path / split / cls / f'{i}.png'), seed=i)
    return tmp_path


def test_same_folders_pass(train_val):
    check_class_maps(CustomDataset(data_root=str(train_val), data_prefix='train'),
                     CustomDataset(data_root=str(train_val), data_prefix='val'))


def test_class_missing_in_val_is_named(train_val):
    shutil.rmtree(train_val / 'val' / 'bee')
    train = CustomDataset(data_root=str(train_val), data_prefix='train')
    val = CustomDataset(data_root=str(train_val), data_prefix='val')
    with pytest.raises(ValueError, match=r"different classes \(3 vs 2\): only in train: "
                                         r"\['bee'\]; only in val: \[\].*same classes="):
        check_class_maps(train, val)
    # the documented fix: give val the train classes; folders then map by name
    fixed = CustomDataset(data_root=str(train_val), data_prefix='val',
                          classes=train.metainfo['classes'])
    check_class_maps(train, fixed)
    assert fixed.get_gt_labels().tolist() == [0, 2]


def test_different_order_is_named(train_val):
    train = CustomDataset(data_root=str(train_val), data_prefix='train')
    val = CustomDataset(data_root=str(train_val), data_prefix='val',
                        classes=['bee', 'ant', 'cow'])
    with pytest.raises(ValueError, match="different order: index 0 is 'ant' in train but 'bee'"):
        check_class_maps(train, val)


def test_lazy_datasets_are_initialised(train_val):
    train = CustomDataset(data_root=str(train_val), data_prefix='train', lazy_init=True)
    val = CustomDataset(data_root=str(train_val), data_prefix='val', lazy_init=True)
    check_class_maps(train, val)
    assert train._fully_initialized


def test_object_without_metainfo():
    with pytest.raises(TypeError, match='The train dataset \\(object\\) has no metainfo'):
        check_class_maps(object(), [])
