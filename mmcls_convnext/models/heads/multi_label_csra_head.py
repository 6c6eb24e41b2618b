"""CSRA head (Zhu & Wu, "Residual Attention: A Simple but Effective Method for Multi-Label
Recognition", ICCV 2021): class-specific residual attention on the un-pooled feature map."""
from typing import Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleList

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError
from .multi_label_cls_head import MultiLabelClsHead

#: Attention temperatures of each head for the supported numbers of heads (99: max pooling).
TEMPERATURES = {1: [1], 2: [1, 99], 4: [1, 2, 4, 99], 6: [1, 2, 3, 4, 5, 99],
                8: [1, 2, 3, 4, 5, 6, 7, 99]}


class CSRAModule(BaseModule):
    """One attention head: class scores at every position (a 1x1 conv with unit-norm class
    weights), their spatial mean plus ``lam`` times a softmax(``T``)-weighted spatial pooling
    (max pooling for ``T=99``)."""

    def __init__(self, num_classes: int, in_channels: int, T: int, lam: float,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.T = T
        self.lam = lam
        self.head = nn.Conv2d(in_channels, num_classes, 1, bias=False)
        self.softmax = nn.Softmax(dim=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        norm = torch.norm(self.head.weight, dim=1, keepdim=True).transpose(0, 1)
        score = (self.head(x) / norm).flatten(2)  # (N, C, H*W)
        base_logit = score.mean(dim=2)
        if self.T == 99:
            att_logit = score.max(dim=2).values
        else:
            att_logit = (score * self.softmax(score * self.T)).sum(dim=2)
        return base_logit + self.lam * att_logit


@MODELS.register_module()
class CSRAHead(MultiLabelClsHead):
    """Multi-label head with class-specific residual attention (MMPretrain's ``CSRAHead``).

    It needs the feature map ``(N, C, H, W)``: use the backbone without global pooling (for
    ConvNeXt ``gap_before_final_norm=False``) and no neck.

    Args:
        num_classes: number of classes.
        in_channels: channels of the feature map.
        num_heads: attention heads, one of 1, 2, 4, 6, 8 (temperatures in :data:`TEMPERATURES`).
        lam: weight of the attention logit.
        loss, thr, topk: see :class:`MultiLabelClsHead`.
        init_cfg: defaults to normal(std=0.01) on the Linear layers.
    """

    def __init__(self, num_classes: int, in_channels: int, num_heads: int, lam: float,
                 loss: Optional[dict] = None, thr: Optional[float] = None,
                 topk: Optional[int] = None, init_cfg: Optional[dict] = None):
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ModelConfigError(f'CSRAHead {name}={value!r} must be a positive int.')
        if num_heads not in TEMPERATURES:
            raise ModelConfigError(f'CSRAHead num_heads={num_heads!r} is not supported: choose '
                                   f'one of {sorted(TEMPERATURES)}.')
        if lam <= 0:
            raise ModelConfigError(f'CSRAHead lam={lam!r} must be > 0.')
        if init_cfg is None:
            init_cfg = dict(type='Normal', layer='Linear', std=0.01)
        super().__init__(loss=loss, thr=thr, topk=topk, init_cfg=init_cfg)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.num_heads = num_heads
        self.lam = lam
        self.csra_heads = ModuleList([CSRAModule(num_classes, in_channels, T, lam)
                                      for T in TEMPERATURES[num_heads]])

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        x = super().pre_logits(feats)
        if x.dim() != 4:
            raise ValueError(f'CSRAHead expects a feature map (N, {self.in_channels}, H, W); got '
                             f'shape {tuple(x.shape)}. Use the backbone without global pooling '
                             f'(ConvNeXt: gap_before_final_norm=False) and no neck.')
        return x

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        x = self.pre_logits(feats)
        return sum(head(x) for head in self.csra_heads)
