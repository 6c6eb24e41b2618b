"""Normalisation layers and the small builder the backbone uses for them."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.registry import MODELS
from mmcls_convnext.suggestions import did_you_mean

from ..errors import ModelConfigError


@MODELS.register_module(name='LN2d')
@MODELS.register_module(name='LayerNorm2d')
class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channel dimension of an ``(N, C, H, W)`` tensor.

    Why permute instead of normalising over dim 1 by hand: ``F.layer_norm`` is a fused kernel
    (a hand-written mean/var is 1.8-4.5x slower on CPU), and the permutes are views. The result
    is handed back *without* ``.contiguous()``: it is an NCHW view of channels-last memory, so the
    next depthwise conv and the next block stay channels-last and no copy is made. Forcing NCHW
    memory here costs ~50 % more copies and a much slower depthwise conv (measured on CPU).

    Args:
        num_channels: C, the number of channels normalised.
        eps: added to the variance.
        elementwise_affine: learn a per-channel weight and bias.
    """

    def __init__(self, num_channels: int, eps: float = 1e-6, elementwise_affine: bool = True):
        super().__init__(num_channels, eps=eps, elementwise_affine=elementwise_affine)
        self.num_channels = num_channels

    def forward(self, x: torch.Tensor, data_format: Optional[str] = None) -> torch.Tensor:
        """Normalise each position's channel vector.

        Args:
            x: ``(N, C, H, W)``; with ``data_format='channel_last'``, any ``(..., C)``.
            data_format: ``'channel_first'`` (the default, also when None) or
                ``'channel_last'`` (then this is a plain LayerNorm over the last dim).
        """
        if data_format is not None and data_format != 'channel_first':
            if data_format != 'channel_last':
                raise ModelConfigError(f"LayerNorm2d data_format must be 'channel_first' or "
                                       f"'channel_last'; got {data_format!r}.")
            return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        if x.dim() != 4:
            raise ValueError(f'LayerNorm2d expects an (N, C, H, W) tensor; got shape '
                             f'{tuple(x.shape)}.')
        x = x.permute(0, 2, 3, 1)  # (N, C, H, W) -> (N, H, W, C)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W), channels-last memory


# torch.nn layers that configs name by their usual OpenMMLab spellings.
MODELS.register_module(name='LN', module=nn.LayerNorm)
MODELS.register_module(name='BN', module=nn.BatchNorm2d)
MODELS.register_module(name='BN2d', module=nn.BatchNorm2d)
MODELS.register_module(name='GN', module=nn.GroupNorm)
for _act in (nn.GELU, nn.ReLU, nn.ReLU6, nn.SiLU, nn.Hardswish, nn.LeakyReLU, nn.Tanh,
             nn.Sigmoid):
    MODELS.register_module(module=_act)
MODELS.register_module(name='Swish', module=nn.SiLU)


def _lookup(cfg: dict, what: str) -> type:
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'{what} config must be a dict with a "type" key; got {cfg!r}.')
    layer_type = cfg['type']
    if isinstance(layer_type, type):
        return layer_type
    cls = MODELS.get(layer_type)
    if cls is None:
        hint = did_you_mean(layer_type, sorted(MODELS.module_dict), n=3)
        raise KeyError(f'Unknown {what} type {layer_type!r} in registry "mmcls_convnext".{hint}')
    return cls


def build_norm_layer(cfg: dict, num_features: int) -> nn.Module:
    """Build a normalisation layer over ``num_features`` channels from ``cfg``.

    ``cfg`` is e.g. ``dict(type='LN2d', eps=1e-6)``; ``GN`` needs ``num_groups``. The caller's
    dict is not modified.
    """
    cls = _lookup(cfg, 'norm')
    kwargs = {k: v for k, v in cfg.items() if k not in ('type', 'requires_grad')}
    if issubclass(cls, nn.GroupNorm):
        layer = cls(num_channels=num_features, **kwargs)
    else:
        layer = cls(num_features, **kwargs)
    if cfg.get('requires_grad') is False:
        for p in layer.parameters():
            p.requires_grad_(False)
    return layer


def build_activation_layer(cfg: Optional[dict]) -> nn.Module:
    """Build an activation from ``dict(type='GELU', ...)``; ``None`` gives ``nn.Identity``."""
    if cfg is None:
        return nn.Identity()
    cls = _lookup(cfg, 'activation')
    return cls(**{k: v for k, v in cfg.items() if k != 'type'})
