"""The ``peers`` section of ``tools/analysis_tools/benchmark.py``: MMPretrain 1.2 side by side.

MMPretrain runs from its OWN virtual environment (``--peer-venv``; never this project's): it is
found there, or created there with ``python -m venv`` and the pinned packages of
:data:`PEER_PINS` only when ``--install-peers`` is given. Three comparisons, each ours vs
MMPretrain, started as child processes on the same data, alternately (ours, MMPretrain, ours,
...), each for a fixed number of iterations:

1. ``tools/train.py`` on the quickstart config (Fashion-MNIST, 32 px, a small ConvNeXt);
2. ``tools/train.py`` with ConvNeXt-T at 224 px over a class-folder tree of JPEGs (our shipped
   ``convnext-tiny_32xb128_in1k`` config vs the same recipe in MMPretrain's terms);
3. ``tools/test.py`` with ConvNeXt-T over a JPEG val tree, both from the same checkpoint; the
   top-1 of both must be equal.

The img/s of each comes from its own log: mmengine's ``time:`` field (seconds per iteration,
averaged over the logging window) of every ``Epoch(train)`` / ``Epoch(test)`` line after the
warm-up, median, ``batch / time``.
"""
import json
import os
import os.path as osp
import re
import shutil
import statistics
import subprocess
import sys
from typing import Callable, Dict, List, Optional, Sequence, Tuple

#: what ``--install-peers`` puts in the peer venv (same torch as ours: the model step compares
#: code, not torch builds)
PEER_PINS = ('mmpretrain==1.2.0', 'mmcv-lite==2.2.0', 'mmengine==0.10.7', 'torch==2.14.1',
             'torchvision==0.29.1')
PEER_VERSION_PREFIX = '1.2.'

#: ``Epoch(train) [e][ i/n]`` (epoch-based runs: ours) or ``Iter(train) [ i/n]`` (iteration-based:
#: the translated MMPretrain config), then ``... time: seconds``
_TRAIN_LINE = re.compile(
    r'(?:Epoch\(train\)\s*\[\d+\]|Iter\(train\))\s*\[\s*(\d+)\s*/\s*\d+\].*?\btime: ([0-9.]+)')
#: ``Epoch(test) [ i/n]  eta: ...  time: s`` (a test iteration; the epoch's summary line with the
#: metrics has no ``eta:``) or ``Iter(test) [ i/n] ...``
_TEST_LINE = re.compile(
    r'(?:Epoch|Iter)\(test\)\s*\[\s*(\d+)\s*/\s*\d+\][^\n]*?\beta: \S+\s+time: ([0-9.]+)')
#: the test summary: ``Epoch(test) [n/n]  accuracy/top1: 25.0000 ...``
_TOP1 = re.compile(r'(?:Epoch|Iter)\(test\)[^\n]*?\baccuracy/top1: ([0-9.]+)')
#: what the MMPretrain test script prints about the checkpoint's keys (JSON after it)
CHECKPOINT_KEYS_TAG = 'PEER_CHECKPOINT_KEYS '


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
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
              init_cfg=None),
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


#: the largest quickstart-epoch top-1 difference (percentage points) that is not flagged: the
#: two sides draw different random numbers (initialisation, shuffling, flips, drop path), and
#: one epoch of one seed moves by about that much
QUICKSTART_EPOCH_TOP1_TOLERANCE = 1.0


def mmpretrain_quickstart_epoch_config(data_root: str, log_interval: int = 50) -> str:
    """:func:`mmpretrain_quickstart_config` for one full epoch (469 iterations of 128) with
    our quickstart's schedule cut to that epoch as ``train_cfg.max_epochs=1`` cuts ours
    (linear warm-up over 200 iterations, cosine to 1e-5 over the epoch), then validation on
    the 10k test split (resized to 32 px bicubic, top-1 / top-5; ``test_mode=True``, which
    is what selects the test files in MMPretrain 1.2's ``FashionMNIST``)."""
    return mmpretrain_quickstart_config(data_root, 128, 1, log_interval) + f'''
# one full epoch with validation (overrides the above)
test_pipeline = [
    dict(type='Resize', scale=(32, 32), interpolation='bicubic'),
    dict(type='PackInputs'),
]
# MMPretrain 1.2's MNIST / FashionMNIST pick their files by test_mode, not by split (without
# test_mode=True, split='test' validates on the 60k training images); its own MNIST config
# sets test_mode=True
val_dataloader = dict(
    batch_size=256, num_workers=0,
    dataset=dict(type='FashionMNIST', data_root={data_root!r}, split='test', test_mode=True,
                 download=False, pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
val_cfg = dict()
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=1, val_interval=1)
default_hooks = dict(
    timer=dict(type='IterTimerHook'), logger=dict(type='LoggerHook', interval={log_interval}),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'))
'''


def our_quickstart_epoch_command(repo: str, config: str, work_dir: str, data_root: str,
                                 python: str = sys.executable) -> List[str]:
    """Our ``tools/train.py`` on the quickstart config for one epoch, validated on the test
    split (the config's own schedule, cut to ``max_epochs=1``)."""
    return [python, osp.join(repo, 'tools', 'train.py'), config, '--work-dir', work_dir,
            '--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
            f'val_dataloader.dataset.data_root={data_root}', 'train_cfg.max_epochs=1']


#: ``Epoch(val) [1][40/40]  accuracy/top1: 85.1000 ...`` (or ``Iter(val)``)
_VAL_TOP1 = re.compile(r'(?:Epoch|Iter)\(val\)[^\n]*?\baccuracy/top1: ([0-9.]+)')


def parse_val_top1(text: str) -> float:
    """The top-1 of the last validation in an mmengine training log."""
    found = _VAL_TOP1.findall(text)
    if not found:
        raise ValueError(f'no "Epoch(val) ... accuracy/top1: ..." line in the training log; it '
                         f'ended with:\n{text[-1500:]}')
    return float(found[-1])



def _run_logged(name: str, label: str, cmd: Sequence[str], env: Optional[dict], run: Callable,
                logs: Optional[Dict[str, str]]) -> str:
    """Run one side's command; its log (stdout + stderr), also kept in ``logs[name]``. A
    failed run raises with the command and the log's tail."""
    proc = run(list(cmd), capture_output=True, text=True, env=env)
    text = proc.stdout + proc.stderr
    if logs is not None:
        logs[name] = text
    if proc.returncode != 0:
        raise RuntimeError(f'peers: the {name} {label} failed (status {proc.returncode}): '
                           f'{" ".join(cmd)}\n' + text[-3000:])
    return text

def quickstart_epoch(commands: Dict[str, Sequence[str]], env: Optional[dict] = None,
                     run: Callable = subprocess.run,
                     progress: Optional[Callable[[str], None]] = None,
                     logs: Optional[Dict[str, str]] = None) -> dict:
    """Run each one-epoch quickstart training once: its validation top-1 and training img/s
    (logging windows after iteration 50), the top-1 difference and whether it is within
    :data:`QUICKSTART_EPOCH_TOP1_TOLERANCE`."""
    out: dict = {}
    for name, cmd in commands.items():
        text = _run_logged(name, 'quickstart epoch', cmd, env, run, logs)
        out[name] = dict(top1=parse_val_top1(text),
                         img_s=round(parse_log_img_s(text, 128, 50)['img_s'], 2))
        if progress:
            progress(f'peers quickstart epoch: {name} top-1 {out[name]["top1"]:.2f} %, '
                     f'{out[name]["img_s"]:.1f} img/s')
    if 'ours' in out and 'mmpretrain' in out:
        diff = round(out['ours']['top1'] - out['mmpretrain']['top1'], 4)
        out.update(top1_difference=diff, tolerance=QUICKSTART_EPOCH_TOP1_TOLERANCE,
                   within_tolerance=abs(diff) <= QUICKSTART_EPOCH_TOP1_TOLERANCE)
        if not out['within_tolerance']:
            out['warning'] = (f'QUICKSTART EPOCH TOP-1 DIFFERS by {diff:+.2f} points (ours '
                              f'{out["ours"]["top1"]:.2f} %, MMPretrain '
                              f'{out["mmpretrain"]["top1"]:.2f} %), more than '
                              f'{QUICKSTART_EPOCH_TOP1_TOLERANCE}')
    return out


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


#: the class folders of the ConvNeXt-T comparisons; sorted, they give the labels on both sides
TREE_CLASSES = ('class_0', 'class_1', 'class_2', 'class_3')
#: width x height of the JPEGs (ImageNet's typical photo)
TREE_IMAGE_SIZE = (500, 375)
#: loader workers of the ConvNeXt-T runs, on both sides (persistent)
TREE_WORKERS = 2


def write_jpeg_tree(root: str, splits: Dict[str, int], photo: str,
                    classes: Sequence[str] = TREE_CLASSES,
                    size: Tuple[int, int] = TREE_IMAGE_SIZE) -> Dict[str, str]:
    """An ImageNet-style class-folder tree: ``root/<split>/<class>/<i>.JPEG``.

    ``splits`` maps a split name to its number of images, dealt round-robin over ``classes``
    (so every class has one); all images differ (half crops of ``photo``, half generated
    scenes, see ``data.write_photo_set``). Returns ``{split: folder}``.
    """
    from .data import write_photo_set
    if not classes or len(set(classes)) != len(classes):
        raise ValueError(f'write_jpeg_tree: expected distinct class names; got {classes!r}.')
    small = {k: n for k, n in splits.items() if n < len(classes)}
    if small:
        raise ValueError(f'write_jpeg_tree: expected at least one image per class '
                         f'({len(classes)}) in every split; got {small}.')
    pool = osp.join(root, '_pool')
    os.makedirs(pool, exist_ok=True)
    files = iter(write_photo_set(pool, size, sum(splits.values()), photo))
    folders = {}
    for split, count in splits.items():
        folders[split] = osp.join(root, split)
        for name in classes:
            os.makedirs(osp.join(root, split, name), exist_ok=True)
        for i in range(count):
            os.replace(next(files),
                       osp.join(root, split, classes[i % len(classes)], f'{i:05d}.JPEG'))
    shutil.rmtree(pool)
    return folders


def _list_option(values: Sequence[str]) -> str:
    """A list value for ``--cfg-options`` (mmengine's DictAction): ``[a,b,c]``."""
    bad = [v for v in values if not v or any(c in v for c in '[](),\'" =')]
    if bad:
        raise ValueError(f'class names for --cfg-options must be plain words (no spaces, '
                         f'brackets, commas, quotes or "="); got {bad}.')
    return '[' + ','.join(values) + ']'


def our_tiny_train_command(repo: str, config: str, work_dir: str, data_root: str,
                           classes: Sequence[str], batch: int, iters: int,
                           workers: int = TREE_WORKERS,
                           python: str = sys.executable) -> List[str]:
    """Our ``tools/train.py`` on our shipped ConvNeXt-T config (``convnext-tiny_32xb128_in1k``)
    as a user points it at a class-folder tree: data root, its class names (and the head's
    class count), batch, loader workers; one epoch of ``iters`` iterations (dataset
    ``indices``). ``max_epochs=1`` ends the run after that epoch; the cosine phase of the
    schedule (which begins at epoch 20) is moved to begin at 0, as it must end after it begins
    (the learning rate does not change the cost of a step). Logged every iteration.
    """
    n = len(classes)
    return [python, osp.join(repo, 'tools', 'train.py'), config, '--work-dir', work_dir,
            '--no-validate', '--cfg-options',
            f'train_dataloader.dataset.data_root={data_root}',
            f'train_dataloader.dataset.classes={_list_option(classes)}',
            f'model.head.num_classes={n}', f'data_preprocessor.num_classes={n}',
            f'train_dataloader.batch_size={batch}', f'train_dataloader.num_workers={workers}',
            'train_dataloader.persistent_workers=True',
            f'train_dataloader.dataset.indices={batch * iters}', 'train_cfg.max_epochs=1',
            'param_scheduler.1.begin=0', 'default_hooks.logger.interval=1',
            'log_processor.window_size=1']


def our_test_command(repo: str, config: str, checkpoint: str, work_dir: str, data_root: str,
                     classes: Sequence[str], batch: int, workers: int = TREE_WORKERS,
                     python: str = sys.executable) -> List[str]:
    """Our ``tools/test.py`` on the same config over ``data_root/val/<class>/`` (its test
    pipeline: ResizeEdge 256 bicubic + CenterCrop 224), top-1 only (top-5 of 4 classes is
    not defined), logged every iteration."""
    n = len(classes)
    return [python, osp.join(repo, 'tools', 'test.py'), config, checkpoint,
            '--work-dir', work_dir, '--cfg-options',
            f'test_dataloader.dataset.data_root={data_root}',
            f'test_dataloader.dataset.classes={_list_option(classes)}',
            f'model.head.num_classes={n}', f'data_preprocessor.num_classes={n}',
            f'test_dataloader.batch_size={batch}', f'test_dataloader.num_workers={workers}',
            'test_dataloader.persistent_workers=True', 'test_evaluator.topk=[1]',
            'default_hooks.logger.interval=1', 'log_processor.window_size=1']


def mmpretrain_tiny_config(data_root: str, num_classes: int, batch: int, iters: int,
                           workers: int = TREE_WORKERS) -> str:
    """MMPretrain 1.2's ``convnext/convnext-tiny_32xb128_in1k.py`` written out in its terms,
    pointed at the class-folder tree ``data_root/{train,val}/<class>/`` (``CustomDataset``).

    Its bases, as MMPretrain ships them: ``models/convnext/convnext-tiny.py`` (ConvNeXt
    ``arch='tiny'``, drop path 0.1, ``LinearClsHead`` 768 -> classes, label smoothing 0.1,
    trunc-normal init, Mixup 0.8 / CutMix 1.0), ``datasets/imagenet_bs64_swin_224.py``
    (RandomResizedCrop 224 bicubic, flip, RandAugment ``timm_increasing`` m9 mstd 0.5,
    RandomErasing 0.25 ``rand``; test: ResizeEdge 256 bicubic + CenterCrop 224, both Pillow),
    ``schedules/imagenet_bs1024_adamw_swin.py`` (AdamW wd 0.05, no decay on norms / biases /
    1-D parameters, 20 warm-up epochs then cosine) with lr 4e-3, and ``default_runtime.py``;
    plus the leaf's EMA hook (momentum 1e-4). Cut like ours (:func:`our_tiny_train_command`):
    ``num_classes`` classes, ``batch`` images, ``workers`` persistent loader workers, one epoch
    of ``iters`` iterations with the cosine phase from epoch 0, no validation, every iteration
    logged; the test loader reads ``data_root/val`` with top-1 only.
    """
    return f'''default_scope = 'mmpretrain'
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch='tiny', drop_path_rate=0.1),
    head=dict(type='LinearClsHead', num_classes={num_classes}, in_channels=768,
              loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
              init_cfg=None),
    init_cfg=dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)]))
data_preprocessor = dict(num_classes={num_classes}, mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], to_rgb=True)
bgr_mean = data_preprocessor['mean'][::-1]
bgr_std = data_preprocessor['std'][::-1]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10,
         magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[round(x) for x in bgr_mean], interpolation='bicubic')),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand', min_area_ratio=0.02,
         max_area_ratio=1 / 3, fill_color=bgr_mean, fill_std=bgr_std),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size={batch}, num_workers={workers}, persistent_workers=True,
    dataset=dict(type='CustomDataset', data_root={data_root!r}, data_prefix='train',
                 indices={batch * iters}, pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
test_dataloader = dict(
    batch_size={batch}, num_workers={workers}, persistent_workers=True,
    dataset=dict(type='CustomDataset', data_root={data_root!r}, data_prefix='val',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = dict(type='Accuracy', topk=(1, ))
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=4e-3, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0,
                       custom_keys={{'.absolute_pos_embed': dict(decay_mult=0.0),
                                    '.relative_position_bias_table': dict(decay_mult=0.0)}}),
    clip_grad=None)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0),
]
train_cfg = dict(by_epoch=True, max_epochs=1)
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=4096)
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
default_hooks = dict(
    timer=dict(type='IterTimerHook'), logger=dict(type='LoggerHook', interval=1),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False))
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='gloo'))
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)
log_processor = dict(window_size=1)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=None, deterministic=False)
'''


#: MMPretrain's ``tools/test.py`` is not in its wheel either: ``Runner.from_cfg(cfg).test()``
#: with ``load_from`` = the checkpoint, as it does; first the checkpoint's keys are checked
#: against the model's (strict ``load_state_dict``) and printed after CHECKPOINT_KEYS_TAG.
_PEER_TEST = f'''import json, sys
import torch
from mmengine.config import Config
from mmengine.runner import Runner
cfg = Config.fromfile(sys.argv[1])
cfg.work_dir, cfg.load_from = sys.argv[2], sys.argv[3]
runner = Runner.from_cfg(cfg)
state = torch.load(sys.argv[3], map_location='cpu')['state_dict']
own = runner.model.state_dict()
report = dict(missing=sorted(set(own) - set(state)), unexpected=sorted(set(state) - set(own)),
              shape_mismatch=sorted(k for k in set(own) & set(state)
                                    if own[k].shape != state[k].shape))
print({CHECKPOINT_KEYS_TAG!r} + json.dumps(report), flush=True)
runner.test()
'''


def peer_test_command(venv: str, config: str, checkpoint: str, work_dir: str) -> List[str]:
    return [venv_python(venv), '-c', _PEER_TEST, config, work_dir, checkpoint]


def parse_checkpoint_keys(text: str) -> dict:
    """The key check the MMPretrain test script printed (``missing`` / ``unexpected`` /
    ``shape_mismatch`` lists)."""
    for line in text.splitlines():
        if line.startswith(CHECKPOINT_KEYS_TAG):
            return json.loads(line[len(CHECKPOINT_KEYS_TAG):])
    raise ValueError(f'no "{CHECKPOINT_KEYS_TAG.strip()} {{...}}" line in the MMPretrain test '
                     f'log; it ended with:\n{text[-1500:]}')


def parse_test_log(text: str, batch: int, warmup_iters: int) -> dict:
    """img/s and top-1 of an mmengine test run: ``time:`` of every ``Epoch(test) [i/n]``
    iteration line with ``i > warmup_iters`` (median, ``batch / time``), and the
    ``accuracy/top1`` of its summary line."""
    times = [float(t) for i, t in _TEST_LINE.findall(text) if int(i) > warmup_iters]
    if not times:
        raise ValueError(f'no "Epoch(test) [i/n] ... time: ..." log line after iteration '
                         f'{warmup_iters}: the val set was too small or the logger interval too '
                         f'long; the log ended with:\n{text[-1500:]}')
    top1 = _TOP1.findall(text)
    if not top1:
        raise ValueError(f'no "Epoch(test) ... accuracy/top1: ..." line in the test log; it '
                         f'ended with:\n{text[-1500:]}')
    med = statistics.median(times)
    return dict(img_s=batch / med, sec_per_iter=med, lines=len(times), top1=float(top1[-1]))


def state_dict_checkpoint(src: str, dst: str) -> str:
    """``dst``: only ``src``'s ``state_dict`` (the weights our training saved, EMA swapped in
    by the EMA hook), in a file both sides load (``torch.load`` with ``weights_only``)."""
    import torch
    ckpt = torch.load(src, map_location='cpu', weights_only=False)
    if not (isinstance(ckpt, dict) and isinstance(ckpt.get('state_dict'), dict)):
        keys = list(ckpt)[:8] if isinstance(ckpt, dict) else '-'
        raise ValueError(f'{src}: expected a training checkpoint with a "state_dict"; got '
                         f'{type(ckpt).__name__} with keys {keys}.')
    torch.save(dict(state_dict=ckpt['state_dict']), dst)
    return dst


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint mmengine's CheckpointHook saved last in ``work_dir`` (its
    ``last_checkpoint`` file names it)."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise ValueError(f'{work_dir}: no last_checkpoint file; the training saved no '
                         'checkpoint (expected one at the end of its epoch).')
    with open(marker) as f:
        path = f.read().strip()
    return path if osp.isabs(path) else osp.join(work_dir, path)


def top1_check(ours: Sequence[float], peer: Sequence[float]) -> dict:
    """Top-1 of every test run on both sides: equal within the logs' 4 decimals, all runs?"""
    values = sorted(set(ours) | set(peer))
    equal = bool(ours) and bool(peer) and values[-1] - values[0] < 1e-4
    out = dict(ours=list(ours), mmpretrain=list(peer), equal=equal)
    if not equal:
        out['warning'] = (f'TOP-1 DIFFERS: ours {list(ours)} vs MMPretrain {list(peer)} on the '
                          'same checkpoint, images and preprocessing')
    return out


def compare_peers(commands: Dict[str, Sequence[str]], rounds: int, batch: int,
                  warmup_iters: int, env: Optional[dict] = None, run: Callable = subprocess.run,
                  progress: Optional[Callable[[str], None]] = None,
                  parse: Callable[[str, int, int], dict] = parse_log_img_s,
                  label: str = 'training', keep: Sequence[str] = (),
                  logs: Optional[Dict[str, str]] = None) -> dict:
    """Run every command ``rounds`` times, alternating; median img/s each, ratio ours/peer.

    ``parse(log, batch, warmup_iters)`` reads a run's log (its ``img_s``; the fields named in
    ``keep`` are listed per run too, e.g. ``top1``); ``logs``, when given, receives the last
    log of each command (also of a failed run).
    """
    samples: Dict[str, List[float]] = {name: [] for name in commands}
    kept: Dict[str, Dict[str, list]] = {name: {k: [] for k in keep} for name in commands}
    for r in range(rounds):
        for name, cmd in commands.items():
            text = _run_logged(name, label, cmd, env, run, logs)
            parsed = parse(text, batch, warmup_iters)
            rate = parsed['img_s']
            samples[name].append(round(rate, 2))
            for k in keep:
                kept[name][k].append(parsed[k])
            if progress:
                progress(f'peers {label} round {r + 1}/{rounds}: {name} {rate:.1f} img/s')
    out = {name: dict(median=statistics.median(s), samples=s, unit='img/s', **kept[name])
           for name, s in samples.items()}
    if 'ours' in out and 'mmpretrain' in out:
        out['ours_over_mmpretrain'] = round(out['ours']['median'] / out['mmpretrain']['median'],
                                            3)
    return out


def write_logs(folder: Optional[str], comparison: str, logs: Dict[str, str]) -> None:
    """``folder/<comparison>.<side>.log`` for each side's last log (nothing when ``folder`` is
    None)."""
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for side, text in logs.items():
        with open(osp.join(folder, f'{comparison}.{side}.log'), 'w') as f:
            f.write(text)
