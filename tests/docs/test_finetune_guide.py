"""Runs the command block of docs/finetune.md, as written, on a tiny dataset and model.

Only the variable assignments at the top of the block are replaced (config, data, epochs, work
dir); every command line is the guide's own, so a renamed flag, script or output file fails here.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mmcls_convnext.registry import MODELS

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / 'docs' / 'finetune.md'
ARCH = dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])


def guide_block() -> str:
    text = GUIDE.read_text(encoding='utf-8')
    section = text[text.index('## 2.'):]
    match = re.search(r'```shell\n(.*?)\n```', section, flags=re.S)
    assert match, 'docs/finetune.md lost its shell block in section 2'
    return match.group(1)


def make_images(root: Path) -> None:
    rng = np.random.default_rng(0)
    for split, count in (('train', 6), ('val', 3)):
        for cls, colour in (('cat', (200, 40, 40)), ('dog', (40, 40, 200))):
            folder = root / split / cls
            folder.mkdir(parents=True)
            for i in range(count):
                noise = rng.integers(-30, 30, size=(40, 48, 3))
                img = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
                Image.fromarray(img).save(folder / f'{cls}_{i}.png')


def write_pretrained(path: Path) -> None:
    model = MODELS.build(dict(type='ImageClassifier', backbone=dict(type='ConvNeXt', arch=ARCH),
                              head=dict(type='LinearClsHead', num_classes=1000, in_channels=64)))
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, path)


def write_config(path: Path, pretrained: Path) -> None:
    base = ROOT / 'configs' / 'convnext' / 'convnext-tiny_1xb32_finetune-custom.py'
    path.write_text(f"""
_base_ = [{str(base)!r}]
model = dict(
    backbone=dict(arch=dict(_delete_=True, **{ARCH!r}), drop_path_rate=0.,
                  init_cfg=dict(type='Pretrained', checkpoint={str(pretrained)!r},
                                prefix='backbone')),
    head=dict(in_channels=64))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=36, edge='short'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                        dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=4, num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
""")


def test_finetune_guide_runs_end_to_end(tmp_path):
    pytest.importorskip('onnxruntime')
    data, work = tmp_path / 'data', tmp_path / 'work'
    make_images(data)
    write_pretrained(tmp_path / 'pretrained.pth')
    config = tmp_path / 'finetune_tiny.py'
    write_config(config, tmp_path / 'pretrained.pth')

    values = dict(CONFIG=config, DATA=data, NUM_CLASSES=2, EPOCHS=2, WORK=work)
    lines = []
    for line in guide_block().splitlines():
        name = line.split('=', 1)[0]
        if name in values and '=' in line:
            line = f'{name}={values.pop(name)}'
        lines.append(line)
    assert not values, f'the guide no longer sets {sorted(values)}'

    env = dict(os.environ, MMCLS_CONVNEXT_OFFLINE='1', MPLBACKEND='Agg', OMP_NUM_THREADS='1',
               PATH=f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}')
    proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', '\n'.join(lines)], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=900)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-5000:]

    assert (work / 'epoch_2.pth').is_file()
    assert (work / 'preds.pkl').is_file()
    assert re.search(r'accuracy/top1', output), output[-3000:]
    pictures = [p for p in (work / 'predictions').rglob('*') if p.is_file()]
    # 48 x 40 px input: enlarged x6 (short edge 40 -> 240 >= 224), the label band above it
    assert pictures and Image.open(pictures[0]).size[0] == 48 * 6
    assert Image.open(pictures[0]).size[1] > 40 * 6
    assert (work / 'model.onnx').stat().st_size > 10_000
    # the backbone came from the local 'pretrained' file, through the verified initializer
    # (named in the config, which the console leaves to the run's log file)
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert str(tmp_path / 'pretrained.pth') in logs, logs[-3000:]
