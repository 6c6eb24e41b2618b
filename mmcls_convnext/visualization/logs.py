"""Read mmengine's json scalar logs: records, run names, curves per key, iteration times.

A training run writes ``<work_dir>/<timestamp>/vis_data/scalars.json``: one json dict per line,
training records (``loss``, ``lr``, ``time``, ``epoch``, ``iter``, ``step`` = iteration) and
validation records (the metrics, ``step`` = epoch in by-epoch runs, iteration otherwise).
"""
import json
import os.path as osp
import re
from collections import Counter
from dataclasses import dataclass
from glob import glob
from typing import Dict, List, Optional

import numpy as np

_TIMESTAMP = re.compile(r'\d{8}_\d{6}')


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


def is_train_record(record: dict) -> bool:
    """Training records carry the loss or the learning rate; the others are validation."""
    return 'loss' in record or 'lr' in record


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
                mode = 'train' if is_train_record(record) else 'val'
                by_key[(mode, record.get('step', line_no))] = record
    return sorted(by_key.values(), key=lambda r: (r.get('epoch', 0), r.get('step', 0)))


def run_name(path: str) -> str:
    """A short name for the run a log belongs to: its work_dir's folder name.

    ``work_dirs/quickstart``, ``work_dirs/quickstart/20261201_090657/vis_data/scalars.json``
    and ``.../vis_data/20261201_090657.json`` are all ``'quickstart'``; a json file elsewhere
    is named by its stem.
    """
    path = osp.normpath(osp.abspath(path))
    if osp.isdir(path):
        return osp.basename(path)
    parts = path.split(osp.sep)
    if len(parts) >= 4 and parts[-2] == 'vis_data' and _TIMESTAMP.fullmatch(parts[-3]):
        return parts[-4] or parts[-3]
    return osp.splitext(parts[-1])[0]


def unique_run_names(paths: List[str]) -> List[str]:
    """:func:`run_name` of each path, with ``#2``, ``#3`` ... appended to repeated names."""
    names = [run_name(p) for p in paths]
    counts = Counter(names)
    seen: Counter = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if counts[name] == 1 else f'{name} #{seen[name]}')
    return unique


def iters_per_epoch(records: List[dict]) -> Optional[int]:
    """Iterations per epoch of a by-epoch run, from the iteration of each epoch's last record.

    The most common difference between consecutive epochs' last logged iterations; with a
    single epoch, its last logged iteration (exact when the logging interval divides the
    epoch). None for iteration-based runs (no ``epoch`` field).
    """
    last: Dict[int, int] = {}
    for record in records:
        if is_train_record(record) and 'epoch' in record and 'iter' in record:
            last[int(record['epoch'])] = max(last.get(int(record['epoch']), 0), record['iter'])
    if not last:
        return None
    epochs = sorted(last)
    diffs = [last[b] - last[a] for a, b in zip(epochs, epochs[1:]) if b == a + 1]
    if diffs:
        return Counter(diffs).most_common(1)[0][0]
    return last[epochs[0]] // epochs[0]


@dataclass
class Curve:
    """One key of one log: values ``y`` at iterations and (by-epoch runs) epochs.

    Attributes:
        key: the record key, e.g. ``'loss'`` or ``'accuracy/top1'``.
        phase: ``'train'`` or ``'val'``.
        y: values, shape (N,).
        iteration: x in training iterations, shape (N,), or None (a by-epoch validation key
            whose epoch length is unknown).
        epoch: x in epochs (fractional for training records), shape (N,), or None
            (iteration-based runs).
    """
    key: str
    phase: str
    y: np.ndarray
    iteration: Optional[np.ndarray]
    epoch: Optional[np.ndarray]


def available_keys(records: List[dict]) -> List[str]:
    """The plottable (numeric) keys of ``records``, sorted."""
    return sorted({k for r in records for k, v in r.items()
                   if isinstance(v, (int, float)) and k not in ('epoch', 'iter', 'step')})


def curve(records: List[dict], key: str) -> Curve:
    """The values of ``key`` against iterations/epochs.

    A key found in training records (``time`` and ``data_time`` are in both kinds) is read
    from the training records.

    Raises:
        KeyError: no record holds ``key`` (the message lists the keys there are).
    """
    train = [r for r in records if is_train_record(r) and key in r]
    val = [r for r in records if not is_train_record(r) and key in r]
    if not train and not val:
        raise KeyError(f'No record holds "{key}"; available keys: {available_keys(records)}.')
    by_epoch = any('epoch' in r for r in records if is_train_record(r))
    per_epoch = iters_per_epoch(records) if by_epoch else None
    if train:
        y = np.array([r[key] for r in train], dtype=float)
        iteration = np.array([r.get('iter', r.get('step', i)) for i, r in enumerate(train)],
                             dtype=float)
        epoch = iteration / per_epoch if per_epoch else None
        return Curve(key, 'train', y, iteration, epoch)
    y = np.array([r[key] for r in val], dtype=float)
    steps = np.array([r.get('step', i + 1) for i, r in enumerate(val)], dtype=float)
    if by_epoch:
        return Curve(key, 'val', y, steps * per_epoch if per_epoch else None, steps)
    return Curve(key, 'val', y, steps, None)


def train_time_stats(records: List[dict], include_outliers: bool = False) -> Dict[str, float]:
    """Seconds per iteration from the ``time`` field of the training records.

    Args:
        records: the records of one run (:func:`load_log_records`).
        include_outliers: keep the first logged record of every epoch, which includes the
            start of the data loader workers and is usually slower (left out by default, as
            MMPretrain's ``cal_train_time`` does).

    Returns:
        ``mean``/``max``/``min``/``std`` over the logged records kept, ``iters`` (how many),
        and for by-epoch runs ``slowest_epoch``/``fastest_epoch`` with their mean times and
        ``epoch_std`` (std of the per-epoch means).
    """
    train = [r for r in records if is_train_record(r) and 'time' in r]
    groups: Dict[int, List[float]] = {}
    for record in train:
        groups.setdefault(int(record.get('epoch', 0)), []).append(float(record['time']))
    if not include_outliers:
        groups = {e: times[1:] for e, times in groups.items() if len(times) > 1}
    times = np.array([t for values in groups.values() for t in values], dtype=float)
    if times.size == 0:
        hint = ('' if include_outliers else ' beyond the first one of each epoch (use '
                '--include-outliers, or log more often: default_hooks.logger.interval)')
        raise ValueError(f'The log holds no training records with a "time" field{hint}.')
    stats = dict(mean=float(times.mean()), max=float(times.max()), min=float(times.min()),
                 std=float(times.std()), iters=int(times.size))
    if 0 not in groups:
        means = {e: float(np.mean(v)) for e, v in groups.items()}
        slowest, fastest = max(means, key=means.get), min(means, key=means.get)
        stats.update(slowest_epoch=slowest, slowest_epoch_time=means[slowest],
                     fastest_epoch=fastest, fastest_epoch_time=means[fastest],
                     epoch_std=float(np.std(list(means.values()))))
    return stats
