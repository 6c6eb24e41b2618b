"""``LayerScale``: a learnable per-channel scale (CaiT, Touvron et al. 2021)."""
from numbers import Real

import torch
import torch.nn as nn

from ..errors import ModelConfigError

DATA_FORMATS = ('channels_last', 'channels_first')


class LayerScale(nn.Module):
    """Multiply the input by a learnable per-channel ``weight`` (initialised to ``scale``).

    Args:
        dim: number of channels.
        inplace: scale the input in place.
        data_format: ``'channels_last'`` (``(..., C)``) or ``'channels_first'``
            (``(N, C, H, W)``).
        scale: initial value of every weight.
    """

    def __init__(self, dim: int, inplace: bool = False, data_format: str = 'channels_last',
                 scale: float = 1e-5) -> None:
        super().__init__()
        if data_format not in DATA_FORMATS:
            raise ModelConfigError(f"'data_format' could only be channels_last or "
                                   f"channels_first; got {data_format!r}.")
        if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0:
            raise ModelConfigError(f'LayerScale dim must be a positive int; got {dim!r}.')
        if isinstance(scale, bool) or not isinstance(scale, Real):
            raise ModelConfigError(f'LayerScale scale must be a number; got {scale!r}.')
        self.inplace = inplace
        self.data_format = data_format
        self.weight = nn.Parameter(torch.ones(dim) * scale)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        weight = self.weight.view(-1, 1, 1) if self.data_format == 'channels_first' \
            else self.weight
        return x.mul_(weight) if self.inplace else x * weight

    def extra_repr(self) -> str:
        return f'dim={self.weight.numel()}, data_format={self.data_format}'
