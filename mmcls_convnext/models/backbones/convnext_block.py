"""The ConvNeXt block (V1, and V2 with GRN)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.utils.checkpoint as cp
from mmcv.cnn.bricks import DropPath

from ..layers import GRN, build_activation_layer, build_norm_layer


def _graph_capture() -> bool:
    return bool(torch.jit.is_tracing() or torch.onnx.is_in_onnx_export()
                or torch.compiler.is_compiling())


def depthwise_conv(conv: nn.Conv2d, x: torch.Tensor) -> torch.Tensor:
    """``conv(x)`` for a zero-padded "same" depthwise conv, computed with only the kernel taps
    that can touch the map.

    On an ``H x W`` map a 7x7 kernel (padding 3) reaches at most ``H - 1`` rows and ``W - 1``
    columns away, so for maps smaller than 4 px the outer taps only ever multiply padding zeros.
    The same result comes from the central ``(2H-1) x (2W-1)`` taps with padding ``H-1, W-1``
    (on a 1x1 map: a per-channel scale). The unused taps get zero gradient either way. This
    matters for small inputs (32 px: the last stages are 2x2 and 1x1), where the full kernel made
    the depthwise backward the slowest op of the training step; at 224 px nothing changes.
    Traced, exported or compiled graphs always get the full kernel: a choice made from this
    input's size must not be baked into a graph meant for other sizes.
    """
    if _graph_capture():
        return conv(x)
    kh, kw = conv.kernel_size
    ph, pw = conv.padding if isinstance(conv.padding, tuple) else (kh // 2, kw // 2)
    h, w = x.shape[-2:]
    rh, rw = min(ph, h - 1), min(pw, w - 1)
    if (rh, rw) == (ph, pw):
        return conv(x)
    weight = conv.weight[:, :, ph - rh:ph + rh + 1, pw - rw:pw + rw + 1]
    if rh == 0 and rw == 0:  # 1x1 map: only the centre tap
        out = x * weight.reshape(1, -1, 1, 1)
        return out if conv.bias is None else out + conv.bias.reshape(1, -1, 1, 1)
    return F.conv2d(x, weight, conv.bias, padding=(rh, rw), groups=conv.groups)


class ConvNeXtBlock(nn.Module):
    """One ConvNeXt block: dwconv 7x7 -> norm -> pw 4C -> act [-> GRN] -> pw C -> gamma -> +x.

    Two equivalent ways to do the pointwise convolutions: ``nn.Linear`` on an ``(N, H, W, C)``
    view (``linear_pw_conv=True``, the default, as in the official code: one matmul over
    channels-last memory, the fastest on CPU and GPU), or ``1x1 nn.Conv2d`` on ``(N, C, H, W)``.
    The parameters differ only in shape: Linear ``(4C, C)`` vs conv ``(4C, C, 1, 1)``.

    Args:
        in_channels: C.
        norm_cfg: the normalisation, applied to the ``(N, C, H, W)`` output of the dwconv.
        act_cfg: the activation between the pointwise layers.
        mlp_ratio: hidden width of the pointwise MLP is ``mlp_ratio * C``.
        linear_pw_conv: Linear (True) or 1x1 conv (False) pointwise layers.
        drop_path_rate: stochastic-depth probability of this block.
        layer_scale_init_value: initial value of the per-channel ``gamma``; 0 disables it.
        use_grn: add Global Response Normalization (ConvNeXt V2).
        with_cp: recompute this block in backward (activation checkpointing) to save memory.
    """

    def __init__(self,
                 in_channels: int,
                 norm_cfg: dict,
                 act_cfg: dict,
                 mlp_ratio: float = 4.,
                 linear_pw_conv: bool = True,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 use_grn: bool = False,
                 with_cp: bool = False):
        super().__init__()
        self.with_cp = with_cp
        self.linear_pw_conv = linear_pw_conv
        hidden = int(mlp_ratio * in_channels)

        self.depthwise_conv = nn.Conv2d(
            in_channels, in_channels, kernel_size=7, padding=3, groups=in_channels)
        self.norm = build_norm_layer(norm_cfg, in_channels)
        if linear_pw_conv:
            self.pointwise_conv1 = nn.Linear(in_channels, hidden)
            self.pointwise_conv2 = nn.Linear(hidden, in_channels)
        else:
            self.pointwise_conv1 = nn.Conv2d(in_channels, hidden, kernel_size=1)
            self.pointwise_conv2 = nn.Conv2d(hidden, in_channels, kernel_size=1)
        self.act = build_activation_layer(act_cfg)
        self.grn: Optional[GRN] = None
        if use_grn:
            self.grn = GRN(hidden, data_format='channel_last' if linear_pw_conv
                           else 'channel_first')
        self.gamma: Optional[nn.Parameter] = None
        if layer_scale_init_value > 0:
            self.gamma = nn.Parameter(torch.full((in_channels,), float(layer_scale_init_value)))
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def _residual(self, x: torch.Tensor) -> torch.Tensor:
        x = depthwise_conv(self.depthwise_conv, x)
        x = self.norm(x)
        if self.linear_pw_conv:
            x = x.permute(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C): a view, no copy
        x = self.pointwise_conv1(x)
        x = self.act(x)
        if self.grn is not None:
            x = self.grn(x)
        x = self.pointwise_conv2(x)
        if self.linear_pw_conv:
            if self.gamma is not None:
                x = x * self.gamma  # broadcasts over the last (channel) dim
            return x.permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W), channels-last memory
        if self.gamma is not None:
            x = x * self.gamma.view(1, -1, 1, 1)
        return x

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.drop_path(self._residual(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.with_cp and x.requires_grad:
            return cp.checkpoint(self._forward, x, use_reentrant=False)
        return self._forward(x)
