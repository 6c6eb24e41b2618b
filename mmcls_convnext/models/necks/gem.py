"""Generalized-mean (GeM) pooling neck (Radenović et al., "Fine-tuning CNN Image Retrieval with
No Human Annotation", TPAMI 2018)."""
from numbers import Real
from typing import Tuple, Union

import torch
import torch.nn as nn

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError, ModelConfigTypeError

Feats = Union[torch.Tensor, Tuple[torch.Tensor, ...]]


@MODELS.register_module()
class GeneralizedMeanPooling(nn.Module):
    """``(mean over H, W of x ** p) ** (1 / p)`` per channel: ``(N, C, H, W)`` -> ``(N, C)``.

    ``p = 1`` is average pooling and ``p -> inf`` tends to max pooling; retrieval models learn
    ``p`` (3 is the usual start). A tensor in gives a tensor out, a tuple gives a tuple.

    Args:
        p: the exponent, >= 1.
        eps: features are clamped to at least ``eps`` before the power (when ``clamp``), so
            negative or zero activations do not give NaN.
        clamp: clamp the features to ``eps`` (keep True unless the input is already > 0).
        p_trainable: learn ``p`` with the rest of the model.
    """

    def __init__(self, p: float = 3., eps: float = 1e-6, clamp: bool = True,
                 p_trainable: bool = True) -> None:
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, Real):
            raise ModelConfigTypeError(f'GeneralizedMeanPooling p must be a number >= 1; got '
                                       f'{p!r}.')
        if p < 1:
            raise ModelConfigError(f"GeneralizedMeanPooling p must be >= 1 ('p' of 1 is average "
                                   f'pooling); got {p}.')
        if not isinstance(eps, Real) or eps <= 0:
            raise ModelConfigError(f'GeneralizedMeanPooling eps must be > 0; got {eps!r}.')
        self.p = nn.Parameter(torch.full((1, ), float(p)), requires_grad=p_trainable)
        self.eps = float(eps)
        self.clamp = clamp
        self.p_trainable = p_trainable

    def _pool(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f'GeneralizedMeanPooling expects (N, C, H, W) features; got shape '
                             f'{tuple(x.shape)}. A ConvNeXt backbone must keep its feature map: '
                             f'set gap_before_final_norm=False.')
        if self.clamp:
            x = x.clamp(min=self.eps)
        p = self.p.to(x.dtype)
        return x.pow(p).mean(dim=(2, 3)).pow(1. / p)

    def forward(self, inputs: Feats) -> Feats:
        if isinstance(inputs, torch.Tensor):
            return self._pool(inputs)
        if isinstance(inputs, (tuple, list)):
            return tuple(self._pool(x) for x in inputs)
        raise TypeError(f'GeneralizedMeanPooling inputs must be a tensor or a tuple of tensors; '
                        f'got {type(inputs).__name__}.')

    def extra_repr(self) -> str:
        return f'p={float(self.p):.4g}, eps={self.eps}, clamp={self.clamp}'
