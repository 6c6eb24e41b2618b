"""Refuse, in one line, a ``param_scheduler`` that does not fit the training length.

A recipe shortened with ``--cfg-options train_cfg.max_epochs=1`` keeps its 20-epoch warmup and a
cosine decay that ``begin``s at epoch 20; mmengine then stops with ``end should be larger than
begin, but got begin=20, end=1``, naming neither the scheduler nor the fix. MMPretrain users
expect their recipe to run as written, so nothing is changed silently here: the check names the
scheduler keys in conflict with the epoch (or iteration) count and the ``--cfg-options`` that
make the warmup-then-decay shape fit.
"""
from typing import Any, Dict, List

from mmengine.config import Config


class ScheduleLengthError(ValueError):
    """A scheduler of ``param_scheduler`` begins at or after the end of training."""


def _training_length(train_cfg: Dict[str, Any]):
    """(by_epoch, limit, key) of ``train_cfg``; None when it gives no length."""
    if train_cfg.get('type') == 'IterBasedTrainLoop' or (
            'max_iters' in train_cfg and not train_cfg.get('by_epoch', False)):
        return (False, train_cfg['max_iters'], 'max_iters') if 'max_iters' in train_cfg else None
    if 'max_epochs' in train_cfg:
        return True, train_cfg['max_epochs'], 'max_epochs'
    return None


def _fit_value(limit: int, by_epoch: bool):
    """A warmup length that fits ``limit``: a tenth of it (at least 1), half an epoch for 1."""
    if by_epoch and limit == 1:
        return 0.5
    return max(1, limit // 10)


def check_schedule_fits(cfg: Config) -> None:
    """Raise :class:`ScheduleLengthError` when a scheduler begins at or after the last epoch
    (epoch-based training) or iteration (iteration-based training).

    Schedulers counted in the other unit (an iteration warmup in epoch-based training) are not
    checked: their length depends on the dataset size.
    """
    train_cfg = cfg.get('train_cfg') or {}
    schedulers = cfg.get('param_scheduler')
    length = _training_length(train_cfg)
    if not schedulers or length is None:
        return
    by_epoch, limit, key = length
    schedulers = list(schedulers) if isinstance(schedulers, (list, tuple)) else [schedulers]
    unit = 'epoch' if by_epoch else 'iteration'
    late: List[str] = []
    fixes: List[str] = []
    fit = _fit_value(limit, by_epoch)
    for index, sched in enumerate(schedulers):
        if bool(sched.get('by_epoch', True)) != by_epoch:
            continue
        begin = sched.get('begin', 0)
        if begin < limit:
            continue
        text = f'param_scheduler[{index}] ({_type_name(sched)}) begins at {unit} {begin}'
        fixes.append(f'param_scheduler.{index}.begin={fit}')
        for before in range(index):  # the warmup that ends where this one begins
            prev = schedulers[before]
            if prev.get('end') == begin and bool(prev.get('by_epoch', True)) == by_epoch:
                text += (f' (after the warmup param_scheduler[{before}] ({_type_name(prev)}), '
                         f'end={begin})')
                fixes.insert(0, f'param_scheduler.{before}.end={fit}')
        if isinstance(fit, float) and not sched.get('convert_to_iter_based', False):
            fixes.append(f'param_scheduler.{index}.convert_to_iter_based=True')
        late.append(text)
    if not late:
        return
    fraction = (' (half an epoch: the schedulers step per iteration, convert_to_iter_based=True)'
                if isinstance(fit, float) else '')
    raise ScheduleLengthError(
        f'train_cfg.{key}={limit} is shorter than the param_scheduler: {"; ".join(late)}, so it '
        f'has no {unit} to run (mmengine would stop with "end should be larger than begin"). '
        f'To keep the warmup-then-decay shape in {limit} {unit}(s), set the switch inside it'
        f'{fraction}: --cfg-options train_cfg.{key}={limit} '
        f'{" ".join(dict.fromkeys(fixes))}')


def _type_name(sched: Dict[str, Any]) -> str:
    name = sched.get('type', '?')
    return name if isinstance(name, str) else getattr(name, '__name__', str(name))


__all__ = ['ScheduleLengthError', 'check_schedule_fits']
