"""``LinearNeck``: optional pooling, then Linear -> [norm] -> [activation]."""
from typing import Optional, Tuple, Union

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError, ModelConfigTypeError

_POOLS = {1: nn.AdaptiveAvgPool1d, 2: nn.AdaptiveAvgPool2d, 3: nn.AdaptiveAvgPool3d}


@MODELS.register_module()
class LinearNeck(BaseModule):
    """Project the last feature to ``out_channels`` (e.g. an embedding for retrieval).

    Args:
        in_channels: channels of the input feature.
        out_channels: width of the output.
        gap_dim: spatial dims to average first: 0 (input already ``(N, C)``), 1, 2 or 3.
        norm_cfg: optional norm after the Linear layer, e.g. ``dict(type='BN1d')``.
        act_cfg: optional activation after it, e.g. ``dict(type='ReLU')``.
        init_cfg: mmengine init config.

    ``forward`` takes a tensor or a tuple (its last item is used) and returns a 1-tuple
    ``(x,)`` with ``x`` of shape ``(N, out_channels)``.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 gap_dim: int = 0,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for name, value in (('in_channels', in_channels), ('out_channels', out_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ModelConfigError(f'LinearNeck {name} must be a positive int; got {value!r}.')
        if isinstance(gap_dim, bool) or gap_dim not in (0, 1, 2, 3):
            raise ModelConfigError(f'LinearNeck gap_dim must be 0, 1, 2 or 3 (the number of '
                                   f'spatial dims to average); got {gap_dim!r}.')
        for name, cfg in (('norm_cfg', norm_cfg), ('act_cfg', act_cfg)):
            if cfg is not None and not isinstance(cfg, dict):
                raise ModelConfigTypeError(f'LinearNeck {name} must be a dict or None; got '
                                           f'{type(cfg).__name__}.')
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.gap_dim = gap_dim
        self.gap = nn.Identity() if gap_dim == 0 else _POOLS[gap_dim](1)
        self.fc = nn.Linear(in_channels, out_channels)
        self.norm = (build_norm_layer(dict(norm_cfg), out_channels)[1]
                     if norm_cfg is not None else nn.Identity())
        self.act = build_activation_layer(dict(act_cfg)) if act_cfg is not None else nn.Identity()

    def forward(self, inputs: Union[torch.Tensor, Tuple[torch.Tensor, ...]]
                ) -> Tuple[torch.Tensor]:
        if isinstance(inputs, (tuple, list)):
            if not inputs:
                raise ModelConfigError('LinearNeck got an empty tuple of features.')
            inputs = inputs[-1]
        if not isinstance(inputs, torch.Tensor):
            raise ModelConfigTypeError(f'LinearNeck inputs must be a tensor or a tuple of '
                                       f'tensors; got {type(inputs).__name__}.')
        x = self.gap(inputs).flatten(1)
        return (self.act(self.norm(self.fc(x))), )
