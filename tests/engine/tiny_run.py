"""Helpers for engine / tools tests: a synthetic image-folder dataset and a tiny config."""
import json
import os
import os.path as osp
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
CLASSES = ('ant', 'bee', 'cat')


def make_image_folder(root: Path, per_class: int = 4, size: int = 32, seed: int = 0) -> Path:
    """``root/<class>/<i>.png`` with class-dependent colours plus noise; returns ``root``."""
    rng = np.random.default_rng(seed)
    for label, name in enumerate(CLASSES):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            base = np.zeros((size, size, 3), np.float32)
            base[..., label] = 180.
            img = np.clip(base + rng.normal(0, 40, base.shape), 0, 255).astype(np.uint8)
            Image.fromarray(img).save(folder / f'{i}.png')
    return root


CONFIG_TEMPLATE = '''
default_scope = 'mmcls_convnext'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
                  drop_path_rate={drop_path}),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=64),
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[127.5] * 3, std=[64.0] * 3,
                           to_rgb=True))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=32, crop_ratio_range=(0.5, 1.0)),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size={batch_size}, num_workers=0,
    dataset=dict(type='CustomDataset', data_root={train_root!r}, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=4, num_workers=0,
    dataset=dict(type='CustomDataset', data_root={val_root!r}, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator
train_cfg = dict(by_epoch=True, max_epochs={max_epochs}, val_interval={val_interval})
val_cfg = dict()
test_cfg = dict()
optim_wrapper = dict(optimizer=dict(type='AdamW', lr={lr}, weight_decay=0.05))
param_scheduler = [dict(type='CosineAnnealingLR', by_epoch=True, T_max={max_epochs},
                        eta_min=1e-5)]
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts={max_keep}),
    sampler_seed=dict(type='DistSamplerSeedHook'))
custom_hooks = {custom_hooks}
log_processor = dict(window_size=1)
visualizer = dict(type='Visualizer', vis_backends=[dict(type='LocalVisBackend')])
env_cfg = dict(dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0)
log_level = 'INFO'
{extra}
'''


def write_config(path: Path, train_root: Path, val_root: Optional[Path] = None,
                 **overrides) -> Path:
    """Write the tiny config to ``path``; ``overrides`` fill the template's fields."""
    fields = dict(drop_path=0.1, batch_size=4, max_epochs=1, val_interval=1, lr=1e-3,
                  max_keep=3, custom_hooks=[], extra='')
    fields.update(overrides)
    path.write_text(CONFIG_TEMPLATE.format(train_root=str(train_root),
                                           val_root=str(val_root or train_root), **fields))
    return path


def run_tool(tool: str, *args: str, env: Optional[Dict[str, str]] = None,
             timeout: float = 120, torchrun_nproc: int = 0) -> subprocess.CompletedProcess:
    """Run ``tools/<tool>`` (optionally under torchrun) with 1 thread; returns the process."""
    full_env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
                    PYTHONHASHSEED='0', **(env or {}))
    full_env.pop('CUDA_VISIBLE_DEVICES', None)
    script = str(REPO / 'tools' / tool)
    if torchrun_nproc:
        cmd = [sys.executable, '-m', 'torch.distributed.run', f'--nproc_per_node={torchrun_nproc}',
               '--standalone', script, *args]
    else:
        cmd = [sys.executable, script, *args]
    return subprocess.run(cmd, cwd=str(REPO), env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def scalars(work_dir: Path) -> List[dict]:
    """The training records of ``work_dir/<timestamp>/vis_data/scalars.json`` (all runs)."""
    records = []
    for path in sorted(work_dir.glob('*/vis_data/scalars.json')):
        with open(path) as f:
            records += [json.loads(line) for line in f if line.strip()]
    return records


def train_losses(work_dir: Path) -> Dict[int, float]:
    """``{global iteration: loss}`` of every logged training iteration."""
    return {r['iter']: r['loss'] for r in scalars(work_dir) if 'loss' in r}


def checkpoint_names(work_dir: Path) -> List[str]:
    return sorted(n for n in os.listdir(work_dir) if n.endswith('.pth') or 'checkpoint' in n
                  or n.endswith('.tmp') and osp.isfile(work_dir / n))


def build_runner(tmp_path: Path, name: str = 'run', per_class: int = 4, cfg_options=None,
                 work_dir: Optional[Path] = None, **overrides):
    """An in-process ``ClsRunner`` for the tiny config (unique experiment name per call)."""
    import uuid

    from mmengine.config import Config

    from mmcls_convnext.engine import ClsRunner
    from mmcls_convnext.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    data = tmp_path / 'data'
    if not data.exists():
        make_image_folder(data, per_class=per_class)
    cfg = Config.fromfile(str(write_config(tmp_path / f'{name}.py', data, **overrides)))
    cfg.work_dir = str(work_dir or tmp_path / name)
    cfg.experiment_name = f'{name}-{uuid.uuid4().hex[:8]}'
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return ClsRunner.from_cfg(cfg)
