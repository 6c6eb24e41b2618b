"""The block a person reads when ``tools/train.py`` or ``tools/test.py`` ends.

Training: the best validation metric and its epoch (with the other metrics of that epoch), the
best and latest checkpoints, the wall time, the log file and ``curves.png`` (loss and
validation metrics, drawn here). Testing: every metric, the checkpoint, where ``--out`` results
and ``--show-dir`` pictures went, the log file. Both are logged (console and log file) by the
main process only.
"""
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from .work_dir import find_latest_checkpoint

_WIDTH = 72
_NOT_METRICS = ('time', 'data_time')


def format_duration(seconds: float) -> str:
    """``'8.4 s'``, ``'4 min 08 s'``, ``'1 h 02 min'``."""
    if seconds < 60:
        return f'{seconds:.1f} s'
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f'{minutes} min {secs:02d} s'
    return f'{minutes // 60} h {minutes % 60:02d} min'


def format_block(title: str, rows: Sequence[Tuple[str, str]]) -> str:
    """A framed block: ``==== title ====``, then ``name  value`` rows aligned."""
    width = max(len(name) for name, _ in rows) if rows else 0
    body = [f'{name:<{width}}  {value}' for name, value in rows]
    return '\n'.join(['', f' {title} '.center(_WIDTH, '='), *body, '=' * _WIDTH])


def _number(value) -> str:
    try:
        return f'{float(value):.2f}'
    except (TypeError, ValueError):
        shape = getattr(value, 'shape', None)
        return f'{type(value).__name__} of shape {tuple(shape)}' if shape is not None else str(
            value)


def best_checkpoints(runner) -> List[Dict]:
    """``[{key, score, path, step}]`` for every ``save_best`` metric of the checkpoint hook.

    ``step`` is the epoch (or iteration) parsed from the checkpoint name, or None.
    """
    hub = runner.message_hub
    hooks = [h for h in runner.hooks if isinstance(h, CheckpointHook)]
    keys = [k for h in hooks for k in (getattr(h, 'key_indicators', None) or []) if k != 'auto']
    found = []
    for key in keys:
        suffix = '' if len(keys) == 1 else f'_{key}'
        path = hub.get_info(f'best_ckpt{suffix}')
        score = hub.get_info(f'best_score{suffix}')
        if path is None or score is None:
            continue
        match = re.search(r'_(epoch|iter)_(\d+)\.pth$', str(path))
        found.append(dict(key=key, score=float(score), path=str(path),
                          unit=match.group(1) if match else None,
                          step=int(match.group(2)) if match else None))
    return found


def last_val_metrics(runner) -> Dict[str, float]:
    """The scalar metrics of the last validation (from the message hub)."""
    return {name[4:]: buffer.current() for name, buffer in runner.message_hub.log_scalars.items()
            if name.startswith('val/') and name[4:] not in _NOT_METRICS}


def _val_records(log_source: str) -> Dict[int, dict]:
    from mmcls_convnext.visualization.logs import is_train_record, load_log_records
    try:
        records = load_log_records(log_source)
    except (FileNotFoundError, ValueError):
        return {}
    return {int(r['step']): r for r in records if not is_train_record(r) and 'step' in r}


def write_curves(runner) -> Optional[str]:
    """Draw the run's loss and validation metrics to ``<log_dir>/curves.png``; return the path.

    A resumed run draws every run of its work_dir. Returns None (with a warning) when there
    is no scalar log or drawing fails: the end of a finished training must not crash.
    """
    from mmcls_convnext.visualization.logs import available_keys, is_train_record, load_log_records
    source = runner.work_dir if runner._resume else runner.log_dir
    try:
        records = load_log_records(source)
        val_keys = available_keys([r for r in records if not is_train_record(r)])
        keys = ['loss'] + [k for k in val_keys if k not in _NOT_METRICS]
        from mmcls_convnext.visualization.curves import plot_curves
        out = osp.join(runner.log_dir, 'curves.png')
        plot_curves({osp.basename(runner.work_dir): records}, keys).savefig(out, dpi=100)
        return out
    except (FileNotFoundError, KeyError, ValueError, OSError) as exc:
        runner.logger.warning(f'No curves.png: {exc}')
        return None


def train_summary(runner, wall_time: float, curves: Optional[str] = None) -> str:
    """The end-of-training block (see the module doc)."""
    iters = f'{runner.iter:,} iteration{"s" if runner.iter != 1 else ""}'
    by_epoch = hasattr(runner.train_loop, 'max_epochs')
    done = (f'{runner.epoch} epoch{"s" if runner.epoch != 1 else ""}, {iters}' if by_epoch
            else iters)
    rows = []
    records = _val_records(runner.log_dir)
    for best in best_checkpoints(runner):
        where = f' at {best["unit"]} {best["step"]}' if best['step'] is not None else ''
        others = {k: v for k, v in records.get(best['step'], {}).items()
                  if k not in (best['key'], 'step', *_NOT_METRICS)}
        extra = ', '.join(f'{k} {_number(v)}' for k, v in others.items())
        rows.append((f'best {best["key"]}',
                     f'{best["score"]:.2f}{where}' + (f' ({extra})' if extra else '')))
        rows.append(('best checkpoint', best['path']))
    last = last_val_metrics(runner)
    bests = best_checkpoints(runner)
    if bests and all(abs(last.get(b['key'], float('nan')) - b['score']) < 1e-9 for b in bests):
        last = {}  # the last validation is the best one: already shown
    if last:
        rows.append(('last validation', ', '.join(f'{k} {_number(v)}' for k, v in last.items())))
    elif not rows:
        rows.append(('validation', 'none (no val_dataloader, or --no-validate)'))
    rows.append(('latest checkpoint', str(find_latest_checkpoint(runner.work_dir))))
    rows.append(('log', osp.join(runner.log_dir, f'{runner.timestamp}.log')))
    if curves:
        rows.append(('curves', curves))
    return format_block(f'training finished: {done} in {format_duration(wall_time)}', rows)


def log_train_summary(runner, wall_time: float) -> None:
    """Draw ``curves.png`` and log :func:`train_summary` (main process only)."""
    if is_main_process():
        runner.logger.info(train_summary(runner, wall_time, write_curves(runner)))


def _show_dirs(runner) -> List[str]:
    return [h.out_dir for h in runner.hooks
            if type(h).__name__ == 'ClsVisualizationHook' and getattr(h, 'out_dir', None)]


def test_summary(runner, metrics: Dict, wall_time: float, checkpoint: Optional[str] = None,
                 out: Optional[str] = None, out_item: str = 'pred') -> str:
    """The end-of-testing block: metrics, checkpoint, results, pictures, log (module doc)."""
    rows = [(name, _number(value)) for name, value in metrics.items()]
    dataset = getattr(runner.test_dataloader, 'dataset', None)
    if checkpoint:
        rows.append(('checkpoint', checkpoint))
    if dataset is not None:
        rows.append(('images', f'{len(dataset):,}'))
    if out:
        what = 'metrics' if out_item == 'metrics' else 'per-image predictions'
        rows.append(('results', f'{osp.abspath(out)} ({what})'))
    for folder in _show_dirs(runner):
        count = len(os.listdir(folder)) if osp.isdir(folder) else 0
        rows.append(('pictures', f'{osp.abspath(folder)} ({count:,} files)'))
    rows.append(('log', osp.join(runner.log_dir, f'{runner.timestamp}.log')))
    return format_block(f'testing finished in {format_duration(wall_time)}', rows)


def log_test_summary(runner, metrics: Dict, wall_time: float, **kwargs) -> None:
    """Log :func:`test_summary` (main process only); ``kwargs`` as for it."""
    if is_main_process():
        runner.logger.info(test_summary(runner, metrics, wall_time, **kwargs))
