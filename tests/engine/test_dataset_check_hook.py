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
