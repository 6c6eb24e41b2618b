"""Global Response Normalization (ConvNeXt V2, arXiv 2301.00808)."""
from typing import Literal

import torch
import torch.nn as nn

from mmcls_convnext.registry import MODELS


@MODELS.register_module()
class GRN(nn.Module):
    """Global Response Normalization.

    ``gx`` is the L2 norm of each channel over the spatial dims, ``nx = gx / (mean_c(gx) + eps)``
    its relative importance, and ``out = gamma * (x * nx) + beta + x``. ``gamma`` and ``beta``
    start at zero, so a fresh GRN is the identity.

    Args:
        in_channels: number of channels C.
        eps: added to the channel mean of ``gx``.
        data_format: ``'channel_last'`` for ``(N, H, W, C)`` input (the linear-pointwise block),
            ``'channel_first'`` for ``(N, C, H, W)`` (the 1x1-conv block).
    """

    def __init__(self, in_channels: int, eps: float = 1e-6,
                 data_format: Literal['channel_last', 'channel_first'] = 'channel_last'):
        super().__init__()
        if data_format not in ('channel_last', 'channel_first'):
            raise ValueError(f"GRN data_format must be 'channel_last' or 'channel_first'; "
                             f'got {data_format!r}.')
        self.in_channels = in_channels
        self.eps = eps
        self.channel_last = data_format == 'channel_last'
        self.gamma = nn.Parameter(torch.zeros(in_channels))
        self.beta = nn.Parameter(torch.zeros(in_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.channel_last:  # (N, H, W, C)
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
