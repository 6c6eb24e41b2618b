"""A tiny classifier config (32 px, 5 classes) written into tmp_path, and a test image."""
import numpy as np
import pytest
from PIL import Image

TINY_CONFIG = """
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(type='LinearClsHead', num_classes=5, in_channels=64))
data_preprocessor = dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], to_rgb=True)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=40, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs'),
]
test_dataloader = dict(dataset=dict(type='CustomDataset', classes=['a', 'b', 'c', 'd', 'e'],
                                    pipeline=test_pipeline))
"""


@pytest.fixture
def tiny_config(tmp_path):
    path = tmp_path / 'tiny_cfg.py'
    path.write_text(TINY_CONFIG)
    return str(path)


@pytest.fixture
def images(tmp_path):
    """Two distinct RGB images of different sizes in a folder; returns their paths."""
    folder = tmp_path / 'imgs'
    folder.mkdir()
    rng = np.random.default_rng(0)
    paths = []
    for i, size in enumerate([(48, 64), (70, 50)]):
        arr = rng.integers(0, 255, size=size + (3, ), dtype=np.uint8)
        path = folder / f'img{i}.png'
        Image.fromarray(arr).save(path)
        paths.append(str(path))
    (folder / 'notes.txt').write_text('not an image')
    return paths
