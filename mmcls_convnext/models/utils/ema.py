"""``CosineEMA``: an exponential moving average whose momentum follows a cosine schedule."""
import math
from typing import Optional, Union

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import ExponentialMovingAverage

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError


@MODELS.register_module()
class CosineEMA(ExponentialMovingAverage):
    """EMA whose momentum goes from ``momentum`` to ``end_momentum`` along a half cosine.

    mmengine's convention: ``averaged = (1 - m) * averaged + m * source``, so a small ``m``
    averages slowly. At update step ``t`` of ``max_iters`` (read from the current
    ``MessageHub``'s ``'max_iters'`` info, which the runner sets),
    ``m = end_momentum - (end_momentum - momentum) * (cos(pi * t / max_iters) + 1) / 2``
    (BYOL's target-network schedule).

    Args:
        model: the model to average.
        momentum: momentum at the start, in (0, 1).
        end_momentum: momentum at the end, in [0, 1].
        interval: update every ``interval`` calls.
        device: where the averaged copy lives.
        update_buffers: also average the buffers (e.g. BN running stats).
    """

    def __init__(self, model: nn.Module, momentum: float = 0.004, end_momentum: float = 0.,
                 interval: int = 1, device: Optional[Union[str, torch.device]] = None,
                 update_buffers: bool = False) -> None:
        if not 0 < momentum < 1:
            raise ModelConfigError(f'CosineEMA momentum must be in (0, 1); got {momentum}.')
        if not 0 <= end_momentum <= 1:
            raise ModelConfigError(f'CosineEMA end_momentum must be in [0, 1]; got '
                                   f'{end_momentum}.')
        super().__init__(model=model, momentum=momentum, interval=interval, device=device,
                         update_buffers=update_buffers)
        self.end_momentum = float(end_momentum)

    def avg_func(self, averaged_param: torch.Tensor, source_param: torch.Tensor,
                 steps: int) -> None:
        max_iters = MessageHub.get_current_instance().get_info('max_iters')
        if not max_iters:
            raise RuntimeError("CosineEMA needs the number of training iterations: the current "
                               "MessageHub has no 'max_iters' info (the runner's train loop "
                               "sets it; outside a runner, call "
                               "MessageHub.get_current_instance().update_info('max_iters', N)).")
        cosine = (math.cos(math.pi * steps / float(max_iters)) + 1) / 2
        momentum = self.end_momentum - (self.end_momentum - self.momentum) * cosine
        averaged_param.mul_(1 - momentum).add_(source_param, alpha=momentum)
