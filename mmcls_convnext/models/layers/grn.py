"""Global Response Normalization (ConvNeXt V2, arXiv 2301.00808)."""
from typing import Literal, Optional

import torch
import torch.nn as nn

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError

DataFormat = Literal['channel_first', 'channel_last']
_FORMATS = ('channel_first', 'channel_last')


@MODELS.register_module()
class GRN(nn.Module):
    """Global Response Normalization.

    ``gx`` is the L2 norm of each channel over the spatial dims, ``nx = gx / (mean_c(gx) + eps)``
    its relative importance, and ``out = gamma * (x * nx) + beta + x``. ``gamma`` and ``beta``
    start at zero, so a fresh GRN is the identity.

    Args:
        in_channels: number of channels C.
        eps: added to the channel mean of ``gx``.
        data_format: layout ``forward`` assumes when called without one: ``'channel_first'``
            for ``(N, C, H, W)`` (the default, as in MMPretrain; the 1x1-conv block) or
            ``'channel_last'`` for ``(N, H, W, C)`` (the linear-pointwise block).
    """

    def __init__(self, in_channels: int, eps: float = 1e-6,
                 data_format: DataFormat = 'channel_first'):
        super().__init__()
        self.in_channels = in_channels
        self.eps = eps
        self.channel_last = _is_channel_last(data_format)
        self.gamma = nn.Parameter(torch.zeros(in_channels))
        self.beta = nn.Parameter(torch.zeros(in_channels))

    def forward(self, x: torch.Tensor, data_format: Optional[DataFormat] = None) -> torch.Tensor:
        """``(N, C, H, W)`` or ``(N, H, W, C)`` -> same shape.

        Args:
            x: the input, in the layout ``data_format`` names.
            data_format: ``'channel_first'`` or ``'channel_last'``; None uses the layout given to
                the constructor.
        """
        channel_last = self.channel_last if data_format is None else _is_channel_last(data_format)
        if channel_last:  # (N, H, W, C)
            gx = torch.linalg.vector_norm(x, ord=2, dim=(1, 2), keepdim=True)  # (N, 1, 1, C)
            nx = gx / (gx.mean(dim=-1, keepdim=True) + self.eps)
            return torch.addcmul(self.beta, self.gamma, x * nx) + x
        gx = torch.linalg.vector_norm(x, ord=2, dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
        nx = gx / (gx.mean(dim=1, keepdim=True) + self.eps)
        gamma = self.gamma.view(1, -1, 1, 1)
        beta = self.beta.view(1, -1, 1, 1)
        return torch.addcmul(beta, gamma, x * nx) + x

    def extra_repr(self) -> str:
        layout = 'channel_last' if self.channel_last else 'channel_first'
        return f'{self.in_channels}, eps={self.eps}, data_format={layout}'


def _is_channel_last(data_format: str) -> bool:
    if data_format not in _FORMATS:
        raise ModelConfigError(f"GRN data_format must be 'channel_last' or 'channel_first'; "
                               f'got {data_format!r}.')
    return data_format == 'channel_last'
