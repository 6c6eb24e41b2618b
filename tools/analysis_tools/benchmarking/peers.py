"""The ``peers`` section of ``tools/analysis_tools/benchmark.py``: MMPretrain 1.2 side by side.

MMPretrain runs from its OWN virtual environment (``--peer-venv``; never this project's): it is
found there, or created there with ``python -m venv`` and the pinned packages of
:data:`PEER_PINS` only when ``--install-peers`` is given. Both trainings are started as child
processes on the same data, alternately (ours, MMPretrain, ours, ...), each for a fixed number of
iterations; the img/s of each comes from its own log: mmengine's ``time:`` field (seconds per
iteration, averaged over the logging window) of every ``Epoch(train)`` line after the warm-up,
median, ``batch / time``.
"""
import os
import os.path as osp
import re
import statistics
import subprocess
import sys
from typing import Callable, Dict, List, Optional, Sequence

#: what ``--install-peers`` puts in the peer venv (same torch as ours: the model step compares
#: code, not torch builds)
PEER_PINS = ('mmpretrain==1.2.0', 'mmcv-lite==2.2.0', 'mmengine==0.10.7', 'torch==2.14.1',
             'torchvision==0.29.1')
PEER_VERSION_PREFIX = '1.2.'

#: ``Epoch(train) [e][ i/n]`` (epoch-based runs: ours) or ``Iter(train) [ i/n]`` (iteration-based:
#: the translated MMPretrain config), then ``... time: seconds``
_TRAIN_LINE = re.compile(
    r'(?:Epoch\(train\)\s*\[\d+\]|Iter\(train\))\s*\[\s*(\d+)\s*/\s*\d+\].*?\btime: ([0-9.]+)')


def venv_python(venv: str) -> str:
    return osp.join(venv, 'bin', 'python')


def check_separate(venv: str, project_prefix: str = sys.prefix) -> None:
    """Refuse the project's own environment (or one inside it) as the peer venv."""
    venv_real, own = osp.realpath(venv), osp.realpath(project_prefix)
    if venv_real == own or venv_real.startswith(own + os.sep):
        raise ValueError(f'--peer-venv {venv} is this project\'s own environment ({own}); '
                         'MMPretrain must live in a separate venv, e.g. --peer-venv '
                         '/tmp/mmpretrain-venv.')


def install_commands(venv: str, python: str = sys.executable) -> List[List[str]]:
    """The commands ``--install-peers`` runs: create the venv, install the pinned packages."""
    return [[python, '-m', 'venv', venv],
            [venv_python(venv), '-m', 'pip', 'install', *PEER_PINS]]


def peer_version(venv: str, run: Callable = subprocess.run) -> Optional[str]:
    """MMPretrain's version in ``venv``, or None when the venv or the package is missing."""
    python = venv_python(venv)
    if not osp.isfile(python):
        return None
    proc = run([python, '-c', 'import mmpretrain; print(mmpretrain.__version__)'],
               capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else None


def ensure_peer(venv: str, install: bool, run: Callable = subprocess.run,
                project_prefix: str = sys.prefix) -> str:
    """Find MMPretrain 1.2 in ``venv`` (creating it first when ``install``); its version.

    Raises:
        ValueError: ``venv`` is the project's environment; MMPretrain is missing and
            ``install`` is False; the install failed; or the version found is not 1.2.x.
    """
    check_separate(venv, project_prefix)
    version = peer_version(venv, run)
    if version is None and install:
        for cmd in install_commands(venv):
            proc = run(cmd)
            if proc.returncode != 0:
                raise ValueError(f'--install-peers: {" ".join(cmd)} failed with status '
                                 f'{proc.returncode}.')
        version = peer_version(venv, run)
    if version is None:
        raise ValueError(f'--peer-venv {venv}: no MMPretrain there; pass --install-peers to '
                         f'create it (python -m venv + pip install {" ".join(PEER_PINS)}).')
    if not version.startswith(PEER_VERSION_PREFIX):
        raise ValueError(f'--peer-venv {venv} has MMPretrain {version}; the benchmark compares '
                         f'against {PEER_VERSION_PREFIX}x (pip install {PEER_PINS[0]}).')
    return version


IDX_FILES = ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte',
             't10k-labels-idx1-ubyte')


def extracted_idx_dir(src: str, dst: str) -> str:
    """A folder with the four Fashion-MNIST idx files uncompressed, as MMPretrain's dataset
    wants them (ours also reads ``.gz``): ``src`` itself when they are there, else ``dst``
    with each ``src/<name>.gz`` decompressed into it.
    """
    import gzip
    import shutil
    if all(osp.isfile(osp.join(src, name)) for name in IDX_FILES):
        return src
    os.makedirs(dst, exist_ok=True)
    for name in IDX_FILES:
        packed = osp.join(src, name + '.gz')
        if not osp.isfile(packed):
            raise ValueError(f'peers: {src} has neither {name} nor {name}.gz (the Fashion-MNIST '
                             'idx files; see --fashion-mnist-src).')
        with gzip.open(packed, 'rb') as fin, open(osp.join(dst, name), 'wb') as fout:
            shutil.copyfileobj(fin, fout)
    return dst


def parse_log_img_s(text: str, batch: int, warmup_iters: int) -> dict:
    """img/s from mmengine ``Epoch(train) [e][ i/n] ... time: s`` (or ``Iter(train) [ i/n]``)
    log lines with ``i > warmup_iters``."""
    times = [float(t) for i, t in _TRAIN_LINE.findall(text) if int(i) > warmup_iters]
    if not times:
        raise ValueError(f'no "Epoch(train)/Iter(train) [i/n] ... time: ..." log line after '
                         f'iteration '
                         f'{warmup_iters}: the run was too short or its logger interval too '
                         f'long; the log ended with:\n{text[-1500:]}')
    med = statistics.median(times)
    return dict(img_s=batch / med, sec_per_iter=med, lines=len(times))


def mmpretrain_quickstart_config(data_root: str, batch: int, iters: int,
                                 log_interval: int) -> str:
    """Our quickstart config (model, data, optimizer) written in MMPretrain 1.2's terms.

    Same ConvNeXt (depths 1-1-3-1, channels 32-256, 4x4 stem, drop path 0.1), label smoothing
    0.1, AdamW (lr 2e-3, wd 0.05, fused), Fashion-MNIST idx files resized to 32 px with a
    horizontal flip, batch ``batch``, no validation, ``iters`` training iterations.
    """
    return f'''default_scope = 'mmpretrain'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 3, 1], channels=[32, 64, 128, 256]),
                  stem_patch_size=4, drop_path_rate=0.1),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=256,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    init_cfg=dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.))
data_preprocessor = dict(num_classes=10, mean=[72.94, 72.94, 72.94], std=[90.02, 90.02, 90.02],
                         to_rgb=True)
train_pipeline = [
    dict(type='Resize', scale=(32, 32), interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size={batch}, num_workers=0,
    dataset=dict(type='FashionMNIST', data_root={data_root!r}, split='train', download=False,
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05, eps=1e-8,
                                    betas=(0.9, 0.999), fused=True),
                     paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0,
                                        flat_decay_mult=0.0))
train_cfg = dict(by_epoch=False, max_iters={iters}, val_interval={iters + 1})
default_hooks = dict(
    timer=dict(type='IterTimerHook'), logger=dict(type='LoggerHook', interval={log_interval}),
    param_scheduler=dict(type='ParamSchedulerHook'), checkpoint=dict(type='CheckpointHook',
    interval={iters + 1}), sampler_seed=dict(type='DistSamplerSeedHook'))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='gloo'))
log_processor = dict(window_size={log_interval})
log_level = 'INFO'
randomness = dict(seed=0)
'''


#: MMPretrain's ``tools/train.py`` is not in its wheel; this is what it does for a plain run.
_PEER_TRAIN = ('import sys; from mmengine.config import Config; from mmengine.runner import '
               'Runner; cfg = Config.fromfile(sys.argv[1]); cfg.work_dir = sys.argv[2]; '
               'Runner.from_cfg(cfg).train()')


def peer_train_command(venv: str, config: str, work_dir: str) -> List[str]:
    return [venv_python(venv), '-c', _PEER_TRAIN, config, work_dir]


def our_train_command(repo: str, config: str, work_dir: str, data_root: str, batch: int,
                      iters: int, log_interval: int, python: str = sys.executable) -> List[str]:
    """Our ``tools/train.py`` on the quickstart config, cut to ``iters`` iterations."""
    return [python, osp.join(repo, 'tools', 'train.py'), config, '--work-dir', work_dir,
            '--no-validate', '--cfg-options',
            f'train_dataloader.dataset.data_root={data_root}',
            f'train_dataloader.batch_size={batch}',
            f'train_dataloader.dataset.indices={batch * iters}',
            'train_cfg.max_epochs=1', f'default_hooks.logger.interval={log_interval}',
            f'log_processor.window_size={log_interval}']


def compare_peers(commands: Dict[str, Sequence[str]], rounds: int, batch: int,
                  warmup_iters: int, env: Optional[dict] = None, run: Callable = subprocess.run,
                  progress: Optional[Callable[[str], None]] = None) -> dict:
    """Run every command ``rounds`` times, alternating; median img/s each, ratio ours/peer."""
    samples: Dict[str, List[float]] = {name: [] for name in commands}
    for r in range(rounds):
        for name, cmd in commands.items():
            proc = run(list(cmd), capture_output=True, text=True, env=env)
            if proc.returncode != 0:
                raise RuntimeError(f'peers: the {name} training failed (status '
                                   f'{proc.returncode}): {" ".join(cmd)}\n'
                                   + (proc.stdout + proc.stderr)[-3000:])
            rate = parse_log_img_s(proc.stdout + proc.stderr, batch, warmup_iters)['img_s']
            samples[name].append(round(rate, 2))
            if progress:
                progress(f'peers round {r + 1}/{rounds}: {name} {rate:.1f} img/s')
    out = {name: dict(median=statistics.median(s), samples=s, unit='img/s')
           for name, s in samples.items()}
    if 'ours' in out and 'mmpretrain' in out:
        out['ours_over_mmpretrain'] = round(out['ours']['median'] / out['mmpretrain']['median'],
                                            3)
    return out
