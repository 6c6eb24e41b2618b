"""Stop training as soon as the loss is NaN or inf, and never save non-finite weights."""
import math
from typing import Any, Dict, List, Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed
from mmengine.hooks import Hook

from mmcls_convnext.registry import HOOKS


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or inf."""


def non_finite_tensors(state_dict: Dict[str, Any]) -> List[str]:
    """Names of floating-point tensors in ``state_dict`` that hold NaN or inf."""
    return [name for name, value in state_dict.items()
            if isinstance(value, torch.Tensor) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())]


def _as_float(value: Any) -> Optional[float]:
    if isinstance(value, torch.Tensor):
        return float(value.detach().float().mean())
    if isinstance(value, (int, float)):
        return float(value)
    return None


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raise :class:`NonFiniteLossError` after the first iteration whose loss is NaN/inf.

    The exception ends the run with a non-zero exit before the epoch's checkpoint; in
    distributed runs every rank stops together (the "is finite" flag is all-reduced).
    ``before_save_checkpoint`` additionally refuses to write a checkpoint whose weights hold
    NaN/inf, whatever saves it.
    """

    priority = 'VERY_HIGH'

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        values = {k: _as_float(v) for k, v in (outputs or {}).items() if 'loss' in k}
        values = {k: v for k, v in values.items() if v is not None}
        finite = all(math.isfinite(v) for v in values.values())
        if is_distributed():
            flag = torch.tensor([1.0 if finite else 0.0])
            if torch_dist.get_backend() == 'nccl':
                flag = flag.cuda()
            torch_dist.all_reduce(flag, op=torch_dist.ReduceOp.MIN)
            finite = bool(flag.item() > 0)
        if finite:
            return
        shown = ', '.join(f'{k}={v}' for k, v in values.items()) or 'on another rank'
        raise NonFiniteLossError(
            f'Non-finite loss ({shown}) at epoch {runner.epoch + 1}, iteration '
            f'{batch_idx + 1} of the epoch (global iteration {runner.iter + 1}). Training '
            'stopped; no checkpoint was written for this state. Lower the learning rate, enable '
            'gradient clipping (optim_wrapper.clip_grad=dict(max_norm=5.0)) or check the data, '
            'then --resume from the last good checkpoint.')

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        bad = non_finite_tensors(checkpoint.get('state_dict', {}))
        if bad:
            raise NonFiniteLossError(
                f'Refusing to save a checkpoint at epoch {runner.epoch + 1}: {len(bad)} weight '
                f'tensors hold NaN/inf (first: {bad[:3]}). The last saved checkpoint is the '
                'last good state.')
