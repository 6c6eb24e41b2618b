"""tools/visualization/browse_dataset.py writes pipeline outputs to image files."""
import importlib.util
from pathlib import Path

import cv2
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


@pytest.mark.parametrize('mode,shape', [('original', (12, 16, 3)), ('transformed', (24, 24, 3)),
                                        ('pipeline', None)])
def test_modes_write_images(config, tmp_path, mode, shape, capsys):
    out = tmp_path / mode
    assert browse.main([str(config), '--output-dir', str(out), '--show-number', '3',
                        '--mode', mode]) == 0
    files = sorted(out.glob('*.png'))
    assert [f.name for f in files] == ['0000_e.png', '0001_f.png', '0002_a.png']
    img = cv2.imread(str(files[0]))
    if shape is not None:
        assert img.shape == shape
    else:  # 6 steps side by side, each with a caption strip
        assert img.shape[0] == 24 + 18 and img.shape[1] >= 6 * 24
    assert 'label=bird' in capsys.readouterr().out


def test_missing_phase(config, tmp_path, capsys):
    assert browse.main([str(config), '--phase', 'val', '--output-dir', str(tmp_path)]) == 1
    assert 'has no val_dataloader' in capsys.readouterr().err
