"""Helpers for tests that run the shipped configs through the real tools.

- :func:`make_tiny_imagenet`: one small folder in the ImageNet layout the configs expect
  (``train/<wnid>/*.JPEG``, ``val/<wnid>/*.JPEG`` and ``meta/{train,val}.txt``), which also
  serves the configs that scan class folders (``CustomDataset``).
- :func:`shrink_options`: the ``--cfg-options`` that make any shipped config cheap: a 4-stage
  ConvNeXt of width 8-64 and the head to match, the data root, 2 images per batch, no worker
  processes. Everything else (hooks, schedulers, optimizer constructor, batch augments,
  pipelines and their resolution) stays the config's own.
"""
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / 'configs'
#: Multi-label recipes read a VOC tree, not the tiny ImageNet folder the all-configs runs share;
#: tests/tools/test_multi_label_voc.py trains and tests them on a test-made VOC2007 tree.
MULTI_LABEL_CONFIGS = ('convnext-tiny_8xb16_voc',)
# every classification config; the FCMAE pretraining configs (no labels, no val/test) run
# through the tools in tests/configs/test_fcmae_configs.py
ALL_CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py')
                     if '_base_' not in p.parts and p.stem not in MULTI_LABEL_CONFIGS
                     and '_fcmae-pre_' not in p.stem)
WNIDS = ('n01440764', 'n01443537', 'n01484850', 'n01491361')  # the first ImageNet-1k classes
TINY_DEPTHS, TINY_CHANNELS = [1, 1, 1, 1], [8, 16, 32, 64]


def make_tiny_imagenet(root: Path, train_per_class: int = 1, val_per_class: int = 1,
                       size=(40, 48), seed: int = 0) -> Path:
    """Write the tiny ImageNet-layout dataset under ``root``; returns ``root``.

    Each image is a class colour plus noise, saved as JPEG; ``meta/<split>.txt`` lists
    ``<wnid>/<file> <label>`` exactly as ImageNet's annotation files do.
    """
    rng = np.random.default_rng(seed)
    (root / 'meta').mkdir(parents=True, exist_ok=True)
    for split, count in (('train', train_per_class), ('val', val_per_class)):
        lines = []
        for label, wnid in enumerate(WNIDS):
            folder = root / split / wnid
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                colour = np.zeros(3)
                colour[label % 3] = 200
                img = np.clip(colour + rng.normal(0, 30, size + (3, )), 0, 255).astype(np.uint8)
                name = f'{wnid}_{split}_{i}.JPEG'
                Image.fromarray(img).save(folder / name, format='JPEG', quality=90)
                lines.append(f'{wnid}/{name} {label}')
        (root / 'meta' / f'{split}.txt').write_text('\n'.join(lines) + '\n')
    return root


def shrink_options(data_root: Path, batch_size: int = 2) -> List[str]:
    """``--cfg-options`` values (``key=value`` strings) that shrink any shipped config."""
    options = [
        'model.backbone.arch._delete_=True',
        f'model.backbone.arch.depths={TINY_DEPTHS}'.replace(' ', ''),
        f'model.backbone.arch.channels={TINY_CHANNELS}'.replace(' ', ''),
        f'model.head.in_channels={TINY_CHANNELS[-1]}',
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.data_root={data_root}', f'{loader}.batch_size={batch_size}',
                    f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return options


def tool_env(extra: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """The environment for a tool subprocess: ours (PYTHONPATH kept), one thread, offline."""
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1', PYTHONHASHSEED='0',
               MMCLS_CONVNEXT_OFFLINE='1', MPLBACKEND='Agg')
    env['PYTHONPATH'] = os.pathsep.join(p for p in (str(REPO), env.get('PYTHONPATH')) if p)
    env.pop('CUDA_VISIBLE_DEVICES', None)
    env.update(extra or {})
    return env


def run_tool(tool: str, *args: str, env: Optional[Dict[str, str]] = None,
             timeout: float = 300, cwd: Optional[Path] = None) -> subprocess.CompletedProcess:
    """``python tools/<tool> ARGS`` from the repository root; returns the finished process."""
    return subprocess.run([sys.executable, str(REPO / 'tools' / tool), *args],
                          cwd=str(cwd or REPO), env=tool_env(env), capture_output=True,
                          text=True, timeout=timeout)


def load_tool(relpath: str):
    """``tools/<relpath>`` imported as a module (its ``main`` / helpers called in-process)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(Path(relpath).stem, REPO / 'tools' / relpath)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """Assert a zero exit status, showing the end of the output otherwise."""
    assert proc.returncode == 0, (f'exit {proc.returncode}: {" ".join(map(str, proc.args))}\n'
                                  f'{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}')
    return proc


def config_id(path: Path) -> str:
    return path.relative_to(CONFIG_DIR).as_posix()


def cfg_args(options: Sequence[str]) -> List[str]:
    return ['--cfg-options', *options]
