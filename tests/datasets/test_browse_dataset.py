"""tools/visualization/browse_dataset.py writes pipeline outputs to image files."""
import importlib.util
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    'browse_dataset', ROOT / 'tools' / 'visualization' / 'browse_dataset.py')
browse = importlib.util.module_from_spec(spec)
spec.loader.exec_module(browse)


@pytest.fixture
def config(class_tree, tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(f"""
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=24, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, magnitude_level=9,
         magnitude_std=0.5, hparams=dict(pad_val=[104, 116, 124])),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand'),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=2, dataset=dict(
    type='CustomDataset', data_root={str(class_tree)!r}, pipeline=train_pipeline))
""")
    return cfg


@pytest.mark.parametrize('mode,body', [('original', (12 * 19, 16 * 19)),
                                       ('transformed', (24 * 10, 24 * 10)),
                                       ('concat', None), ('pipeline', None)])
def test_modes_write_images(config, class_tree, tmp_path, mode, body, capsys):
    out = tmp_path / mode
    assert browse.main([str(config), '--output-dir', str(out), '--show-number', '3',
                        '--mode', mode]) == 0
    files = sorted(out.glob('*.png'))
    # one image of each class (bird, cat, dog: indices 0, 2, 4), not the first three files
    assert [f.name for f in files] == ['0000_e.png', '0002_a.png', '0004_c.png']
    img = cv2.imread(str(files[0]))
    band = img.shape[0] - (body[0] if body else 0)
    if body is not None:  # small images enlarged by a whole factor to >= 224 px, label above
        assert img.shape[1] == body[1] and 10 < band < 40
        assert (img[:band] < 128).any() and (img[:band] == 255).mean() > 0.8  # dark text
    if mode == 'original':  # nearest neighbour: every source pixel is a sharp 19x19 block
        source = cv2.imread(str(class_tree / 'bird' / 'e.png'))
        np.testing.assert_array_equal(img[band:], np.repeat(np.repeat(source, 19, 0), 19, 1))
    elif body is None:  # steps side by side, each with a caption strip, the label above all
        steps = 2 if mode == 'concat' else 6
        assert img.shape[1] >= steps * 224
    printed = capsys.readouterr().out
    assert 'label=bird' in printed and 'label=cat' in printed and 'label=dog' in printed
    assert 'across 3 classes' in printed


def test_mmpretrain_short_flags(config, class_tree, tmp_path, capsys):
    out = tmp_path / 'short'
    assert browse.main([str(config), '-o', str(out), '-n', '2', '-m', 'original', '-p',
                        'train', '-r', '2', '--not-show', '-c', 'RGB']) == 0
    files = sorted(out.glob('*.png'))
    assert len(files) == 2
    img = cv2.imread(str(files[0]))
    band = img.shape[0] - 24  # -r 2 on a 12 x 16 image: 24 x 32 below the label band
    source = cv2.imread(str(class_tree / 'bird' / 'e.png'))[..., ::-1]  # -c RGB: swapped
    np.testing.assert_array_equal(img[band:, :32], np.repeat(np.repeat(source, 2, 0), 2, 1))
    assert 'never opens a window' in capsys.readouterr().out


def test_missing_phase(config, tmp_path, capsys):
    assert browse.main([str(config), '--phase', 'val', '--output-dir', str(tmp_path)]) == 1
    assert 'has no val_dataloader' in capsys.readouterr().err
