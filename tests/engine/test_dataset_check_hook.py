"""DatasetCheckHook: class maps checked before training; skipped images reported."""
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from mmcls_convnext.datasets import CustomDataset
from mmcls_convnext.engine.hooks import DatasetCheckHook
from mmcls_convnext.engine.runner import _DEFAULT_SAFETY_HOOKS


def make_split(root, classes, bad=()):
    for name in classes:
        (root / name).mkdir(parents=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / name / 'a.png')
    for path in bad:
        (root / path).write_bytes(b'not an image')
    return CustomDataset(data_root=str(root), pipeline=[dict(type='LoadImageFromFile')],
                         skip_bad_images=bool(bad), max_bad_fraction=0.9)


def fake_runner(train, val):
    logged = []
    logger = SimpleNamespace(warning=logged.append)
    return SimpleNamespace(train_dataloader=SimpleNamespace(dataset=train), _val_loop=object(),
                           val_dataloader=SimpleNamespace(dataset=val), logger=logger,
                           epoch=1), logged


def test_default_runner_adds_the_hook():
    assert 'DatasetCheckHook' in _DEFAULT_SAFETY_HOOKS


def test_class_missing_in_val_stops_training(tmp_path):
    train = make_split(tmp_path / 'train', ['cat', 'dog', 'fox'])
    val = make_split(tmp_path / 'val', ['cat', 'fox'])
    runner, _ = fake_runner(train, val)
    with pytest.raises(ValueError, match=r"only in train: \['dog'\]"):
        DatasetCheckHook().before_train(runner)


def test_matching_class_maps_pass(tmp_path):
    train = make_split(tmp_path / 'train', ['cat', 'dog'])
    val = make_split(tmp_path / 'val', ['cat', 'dog'])
    runner, _ = fake_runner(train, val)
    DatasetCheckHook().before_train(runner)


def test_skipped_images_are_reported_after_the_epoch(tmp_path):
    train = make_split(tmp_path / 'train', ['cat', 'dog'], bad=['cat/broken.png'])
    for i in range(len(train)):
        train[i]
    runner, logged = fake_runner(train, train)
    DatasetCheckHook().after_train_epoch(runner)
    assert len(logged) == 1 and '1 of 3 images' in logged[0] and logged[0].startswith('Epoch 1')


def test_labels_beyond_num_classes_without_class_names():
    from mmcls_convnext.datasets.scan import DatasetError
    from mmcls_convnext.engine.hooks.dataset_check_hook import check_labels_fit

    class Labels:
        metainfo = {}

        def get_gt_labels(self):
            return [0, 4, 2]

    check_labels_fit(Labels(), num_classes=5, role='train')
    with pytest.raises(DatasetError, match=r'The val dataset Labels has 5 classes, but the model '
                       r'head predicts num_classes=3: labels 3\.\.4 can never be right'):
        check_labels_fit(Labels(), num_classes=3, role='val')


def test_head_larger_than_the_dataset_is_noted(tmp_path):
    from torch import nn
    train = make_split(tmp_path / 'train', ['cat', 'dog'])
    runner, logged = fake_runner(train, train)
    runner.model = nn.Module()
    runner.model.head = SimpleNamespace(num_classes=10)
    DatasetCheckHook().before_train(runner)
    assert logged == [f'The train dataset CustomDataset "{tmp_path / "train"}" has 2 classes but '
                      'the head predicts num_classes=10: 8 outputs are never trained. Set '
                      'model.head.num_classes=2 unless this is intended.']


def test_one_hot_targets_wider_or_narrower_than_the_head(tmp_path):
    """MMPretrain's ImageNet bases set data_preprocessor.num_classes=1000; a fine-tune that sets
    only model.head.num_classes would get Mixup/CutMix targets of the wrong width, and fail in
    the loss of the first iteration with tensor shapes instead of the two keys."""
    from torch import nn

    from mmcls_convnext.models import ClsDataPreprocessor
    from mmcls_convnext.models.errors import ModelConfigError
    train = make_split(tmp_path / 'train', ['cat', 'dog'])
    runner, _ = fake_runner(train, train)
    runner.model = nn.Module()
    runner.model.head = SimpleNamespace(num_classes=2)
    augments = dict(augments=[dict(type='Mixup', alpha=0.8)])
    runner.model.data_preprocessor = ClsDataPreprocessor(num_classes=1000,
                                                         batch_augments=augments)
    with pytest.raises(ModelConfigError, match=r'^data_preprocessor\.num_classes=1000, but '
                       r'model\.head\.num_classes=2: the one-hot training targets \(batch '
                       r'augments or to_onehot\) would not fit the head\. Set data_preprocessor'
                       r' = dict\(num_classes=2\)'):
        DatasetCheckHook().before_train(runner)
    # to_onehot alone: the same; without one-hot targets the preprocessor's number is unused
    runner.model.data_preprocessor = ClsDataPreprocessor(num_classes=5, to_onehot=True)
    with pytest.raises(ModelConfigError, match=r'num_classes=5, but model\.head\.num_classes=2'):
        DatasetCheckHook().before_train(runner)
    for fine in (ClsDataPreprocessor(num_classes=1000), ClsDataPreprocessor(to_onehot=True),
                 ClsDataPreprocessor(num_classes=2, batch_augments=augments)):
        runner.model.data_preprocessor = fine
        DatasetCheckHook().before_train(runner)
