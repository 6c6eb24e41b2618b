"""The quickstart config as `make demo` runs it: the idx files -> tools/train.py -> tools/test.py.

Tiny idx files written here stand in for Fashion-MNIST (only their size differs); the config
(its FashionMNIST dataset reads them directly), the tools and the command lines are the shipped
ones.
"""
import gzip
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CONFIG = 'configs/convnext/convnext-quickstart_1xb128_fashion-mnist.py'
FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 40),
         'val': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', 20)}


def _write_idx(path: Path, array: np.ndarray, magic: int) -> None:
    header = struct.pack('>II', magic, len(array)) + b''.join(
        struct.pack('>I', d) for d in array.shape[1:])
    with gzip.open(str(path) + '.gz', 'wb') as f:
        f.write(header + array.astype(np.uint8).tobytes())


def _run(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, OMP_NUM_THREADS='1', OMP_WAIT_POLICY='PASSIVE')
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


def test_quickstart_trains_from_the_in_memory_cache_and_tests(tmp_path):
    rng = np.random.default_rng(0)
    src = tmp_path / 'idx'
    src.mkdir()
    for images, labels, count in FILES.values():
        _write_idx(src / images, rng.integers(0, 256, (count, 28, 28)), 2051)
        _write_idx(src / labels, np.arange(count) % 10, 2049)
    opts = [f'{loader}.dataset.data_root={src}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    work = tmp_path / 'work'
    proc = _run('tools/train.py', CONFIG, '--work-dir', str(work), '--cfg-options', *opts,
                'train_cfg.max_epochs=1')
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert f'Decoded-image cache of FashionMNIST {src}: 40 images' in log
    assert f'Decoded-image cache of FashionMNIST {src}: 20 images' in log
    assert "per sample only ['RandomFlip', 'PackInputs'] run" in log
    assert 'Training precision: fp32' in log
    checkpoint = (work / 'last_checkpoint').read_text().strip()
    proc = _run('tools/test.py', CONFIG, checkpoint, '--work-dir', str(work), '--cfg-options',
                *opts)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert 'accuracy/top1' in proc.stdout + proc.stderr
