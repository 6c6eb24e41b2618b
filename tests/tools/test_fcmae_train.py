"""FCMAE through tools/train.py: pretrain on a folder of unlabelled images, resume bitwise after
a SIGKILL, run under torchrun (2 CPU processes, DDP), then fine-tune a classifier from the
checkpoint's encoder (subprocesses; tiny model, 64 px images)."""
import json
import os
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'engine'))
from tiny_run import (  # noqa: E402
    checkpoint_names,
    make_image_folder,
    run_tool,
    train_losses,
    write_config,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_train_test import PROBE_HOOKS  # noqa: E402

FCMAE_CONFIG = '''
default_scope = 'mmcls_convnext'
model = dict(
    type='FCMAE',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
                  use_grn=True, layer_scale_init_value=0., drop_path_rate=0.1),
    decoder=dict(embed_dims=16, depth=1),
    mask_ratio=0.5,
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5] * 3, std=[64.0] * 3,
                           to_rgb=True))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=64, crop_ratio_range=(0.2, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0,
    dataset=dict(type='CustomDataset', data_root={root!r}, with_label=False,
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=3)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05, betas=(0.9, 0.95)),
                     paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                                        flat_decay_mult=0.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=1,
         convert_to_iter_based=True),
]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = {custom_hooks}
log_processor = dict(window_size=1)
visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
env_cfg = dict(dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0)
log_level = 'INFO'
custom_imports = dict(imports=['probe_hooks'])
'''


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('fcmae_data')
    (root / 'probe_hooks.py').write_text(PROBE_HOOKS)
    flat = root / 'unlabelled'
    flat.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):  # smooth random images: something to reconstruct
        small = rng.integers(0, 256, (4, 4, 3)).astype(np.uint8)
        Image.fromarray(small).resize((64, 64), Image.BILINEAR).save(flat / f'{i:02d}.png')
    return flat, root


def _env(root):
    return dict(PYTHONPATH=os.pathsep.join(p for p in (str(root), os.environ.get('PYTHONPATH'))
                                           if p))


def _cfg(path: Path, flat: Path, batch_size: int = 4, custom_hooks=()) -> Path:
    path.write_text(FCMAE_CONFIG.format(root=str(flat), batch_size=batch_size,
                                        custom_hooks=list(custom_hooks)))
    return path


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_pretrain_sigkill_resume_bitwise_then_finetune(tmp_path, data):
    flat, root = data
    env = _env(root)
    full = _cfg(tmp_path / 'full.py', flat)
    crash = _cfg(tmp_path / 'crash.py', flat,
                 custom_hooks=[dict(type='KillAtIterHook', at_iter=5)])
    _ok(run_tool('train.py', str(full), '--work-dir', str(tmp_path / 'full'), env=env))
    crashed = run_tool('train.py', str(crash), '--work-dir', str(tmp_path / 'crash'), env=env)
    assert crashed.returncode == -9  # SIGKILL in epoch 2 (iterations 4-6)
    assert checkpoint_names(tmp_path / 'crash') == ['epoch_1.pth', 'last_checkpoint']
    resumed = _ok(run_tool('train.py', str(full), '--work-dir', str(tmp_path / 'crash'),
                           '--resume', env=env))
    assert 'resumed epoch: 1, iter: 3' in resumed.stdout + resumed.stderr

    full_losses = train_losses(tmp_path / 'full')
    crash_losses = train_losses(tmp_path / 'crash')
    assert sorted(full_losses) == list(range(1, 10))  # 12 images / 4 x 3 epochs
    assert all(0 < v < 10 for v in full_losses.values())
    for it in range(4, 10):  # random masks, crops and drop-path after the resume: identical
        assert crash_losses[it] == full_losses[it], it
    a = torch.load(tmp_path / 'full' / 'epoch_3.pth', weights_only=True)['state_dict']
    b = torch.load(tmp_path / 'crash' / 'epoch_3.pth', weights_only=True)['state_dict']
    assert a.keys() == b.keys()
    assert any(k.startswith('decoder.') for k in a) and 'backbone.norm3.weight' in a
    for name in a:
        assert torch.equal(a[name], b[name]), name

    # fine-tune a classifier from the encoder: the classifier template + init_cfg Pretrained
    labelled = make_image_folder(tmp_path / 'labelled', per_class=2, size=64)
    ckpt = tmp_path / 'full' / 'epoch_3.pth'
    ft = write_config(tmp_path / 'ft.py', labelled, batch_size=3)
    text = ft.read_text()
    assert text.count('drop_path_rate=0.1),') == 1
    ft.write_text(text.replace('drop_path_rate=0.1),', (
        'drop_path_rate=0.1, use_grn=True, layer_scale_init_value=0., init_cfg=dict('
        f"type='Pretrained', checkpoint={str(ckpt)!r}, prefix='backbone.')),")))
    proc = _ok(run_tool('train.py', str(ft), '--work-dir', str(tmp_path / 'ft')))
    log = proc.stdout + proc.stderr
    loaded = re.search(r'init_cfg Pretrained: loaded (\d+) tensors into ConvNeXt', log)
    assert loaded, log[-3000:]
    assert int(loaded.group(1)) == sum(1 for k in a if k.startswith('backbone.'))
    assert (tmp_path / 'ft' / 'epoch_1.pth').exists()


def test_pretrain_under_torchrun_two_cpu_processes(tmp_path, data):
    """DDP (gloo): no unused parameters (the frozen output norm is not a DDP parameter), both
    ranks end with the same weights, each trained on its half of the images."""
    flat, root = data
    cfg = _cfg(tmp_path / 'ddp.py', flat, batch_size=2,
               custom_hooks=[dict(type='RecordRankHook')])
    cfg.write_text(cfg.read_text().replace('max_epochs=3', 'max_epochs=2'))
    work = tmp_path / 'ddp'
    _ok(run_tool('train.py', str(cfg), '--work-dir', str(work), '--launcher', 'pytorch',
                 env=_env(root), torchrun_nproc=2))
    ranks = [json.loads((work / f'rank{r}.json').read_text()) for r in (0, 1)]
    # 2 epochs x 12 images, 2 ranks x batch 2: each epoch covers every image once
    assert len(ranks[0]['indices']) == len(ranks[1]['indices']) == 12
    assert sorted(ranks[0]['indices'] + ranks[1]['indices']) == sorted(list(range(12)) * 2)
    sd0, sd1 = (torch.load(work / f'rank{r}.pth', weights_only=True) for r in (0, 1))
    for name in sd0:
        assert torch.equal(sd0[name], sd1[name]), name
