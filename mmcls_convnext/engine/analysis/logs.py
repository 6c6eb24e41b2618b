"""Read mmengine's json logs and plot training curves (loss, lr, accuracy) to PNG."""
import json
import os.path as osp
from glob import glob
from typing import Dict, List, Optional, Sequence

import numpy as np


def _log_files(path: str) -> List[str]:
    if osp.isdir(path):
        files = sorted(glob(osp.join(path, '*', 'vis_data', 'scalars.json')))
        files = files or sorted(glob(osp.join(path, 'vis_data', 'scalars.json')))
        if not files:
            raise FileNotFoundError(f'No */vis_data/scalars.json under "{path}"; pass a json '
                                    'log file or a work_dir of a training run.')
        return files
    if not osp.isfile(path):
        raise FileNotFoundError(f'Log file "{path}" does not exist.')
    return [path]


def load_log_records(path: str) -> List[dict]:
    """All json records of a log file, or of every run in a work_dir (resumed runs appended).

    Records of a resumed run replace earlier records of the same step.
    """
    by_key: Dict[tuple, dict] = {}
    for file in _log_files(path):
        with open(file) as f:
            for line_no, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f'{file}, line {line_no}: not json ({exc}).') from exc
                mode = 'train' if 'loss' in record or 'lr' in record else 'val'
                by_key[(mode, record.get('step', line_no))] = record
    return sorted(by_key.values(), key=lambda r: (r.get('epoch', 0), r.get('step', 0)))


def plot_curves(logs: Dict[str, List[dict]], keys: Sequence[str], out_file: str,
                title: Optional[str] = None) -> str:
    """One subplot per key, one line per log; x = iteration for train keys, epoch for val keys.

    Args:
        logs: ``{legend: records}``.
        keys: record keys, e.g. ``['loss', 'lr', 'accuracy/top1']``.
        out_file: PNG path.
        title: figure title.

    Returns:
        ``out_file``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(len(keys), 1, figsize=(7, 3 * len(keys)), squeeze=False)
    for ax, key in zip(axes[:, 0], keys):
        found = False
        for legend, records in logs.items():
            points = [(r.get('step', i), r[key]) for i, r in enumerate(records) if key in r]
            if not points:
                continue
            found = True
            xs, ys = np.array(points, dtype=float).T
            ax.plot(xs, ys, label=legend, marker='o' if len(xs) < 30 else None)
        if not found:
            available = sorted({k for records in logs.values() for r in records for k in r})
            raise KeyError(f'No record holds "{key}"; available keys: {available}.')
        is_train = any('loss' in r for records in logs.values() for r in records if key in r)
        ax.set_xlabel('iteration' if is_train else 'epoch')
        ax.set_ylabel(key)
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(out_file, dpi=100)
    plt.close(fig)
    return out_file


def train_time_stats(records: List[dict]) -> Dict[str, float]:
    """Mean / slowest / fastest seconds per iteration (from the ``time`` field)."""
    times = np.array([r['time'] for r in records if 'time' in r and 'loss' in r], dtype=float)
    if times.size == 0:
        raise ValueError('The log holds no training records with a "time" field.')
    return dict(mean=float(times.mean()), max=float(times.max()), min=float(times.min()),
                std=float(times.std()), iters=int(times.size))
