"""Global average pooling neck."""
from typing import Tuple, Union

import torch
import torch.nn as nn

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError

Feats = Union[torch.Tensor, Tuple[torch.Tensor, ...]]
_LAYOUTS = {1: '(N, C, L)', 2: '(N, C, H, W)', 3: '(N, C, D, H, W)'}


@MODELS.register_module()
class GlobalAveragePooling(nn.Module):
    """Average features over their ``dim`` trailing (spatial) dims -> ``(N, C)``.

    ``dim=1``: ``(N, C, L)``; ``dim=2`` (default): ``(N, C, H, W)``; ``dim=3``:
    ``(N, C, D, H, W)``. Features that are already pooled ``(N, C)`` pass unchanged (e.g.
    a ConvNeXt with ``gap_before_final_norm=True``). A tensor in gives a tensor out, a tuple
    (one tensor per backbone output) gives a tuple.

    Args:
        dim: number of spatial dims to average over: 1, 2 or 3.
    """

    def __init__(self, dim: int = 2):
        super().__init__()
        if isinstance(dim, bool) or dim not in (1, 2, 3):
            raise ModelConfigError(f'GlobalAveragePooling dim must be 1, 2 or 3 (the number of '
                                   f'spatial dims to average); got {dim!r}.')
        self.dim = dim
        self._reduce_dims = tuple(range(2, 2 + dim))

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            return x
        if x.dim() != 2 + self.dim:
            raise ValueError(f'GlobalAveragePooling(dim={self.dim}) expects '
                             f'{_LAYOUTS[self.dim]} (or pooled (N, C)) features; got shape '
                             f'{tuple(x.shape)}.')
        return x.mean(dim=self._reduce_dims)  # (N, C, *spatial) -> (N, C)

    def forward(self, inputs: Feats) -> Feats:
        if isinstance(inputs, torch.Tensor):
            return self._pool(inputs)
        if isinstance(inputs, (tuple, list)):
            return tuple(self._pool(x) for x in inputs)
        raise TypeError(f'GlobalAveragePooling inputs must be a tensor or a tuple of tensors; '
                        f'got {type(inputs).__name__}.')

    def extra_repr(self) -> str:
        return f'dim={self.dim}'
