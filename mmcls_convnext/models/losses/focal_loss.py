"""Sigmoid focal loss (Lin et al., "Focal Loss for Dense Object Detection", ICCV 2017)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError
from .utils import check_reduction, sample_weight, to_dense_target, weight_reduce_loss


def sigmoid_focal_loss(pred: torch.Tensor, target: torch.Tensor,
                       weight: Optional[torch.Tensor] = None, gamma: float = 2.0,
                       alpha: float = 0.25, reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> torch.Tensor:
    """Element-wise ``alpha_t * (1 - p_t)^gamma * BCE(pred, target)``.

    Args:
        pred: logits ``(N, C)``; target: ``(N, C)`` in [0, 1]; weight: per-sample ``(N,)``.
    """
    target = target.type_as(pred)
    prob = pred.sigmoid()
    one_minus_pt = (1 - prob) * target + prob * (1 - target)
    alpha_t = alpha * target + (1 - alpha) * (1 - target)
    loss = F.binary_cross_entropy_with_logits(pred, target, reduction='none')
    loss = loss * alpha_t * one_minus_pt.pow(gamma)
    return weight_reduce_loss(loss, sample_weight(weight, loss), reduction, avg_factor)


@MODELS.register_module()
class FocalLoss(nn.Module):
    """Sigmoid focal loss (MMPretrain's ``FocalLoss``); single-label targets become one-hot.

    Args:
        gamma: focusing parameter.
        alpha: weight of the positive terms (``1 - alpha`` for the negatives).
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: multiplies the loss.
    """

    def __init__(self, gamma: float = 2.0, alpha: float = 0.25, reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        check_reduction(reduction)
        if gamma < 0 or not 0 <= alpha <= 1:
            raise ModelConfigError(f'FocalLoss needs gamma >= 0 and alpha in [0, 1]; got '
                                   f'gamma={gamma!r}, alpha={alpha!r}.')
        self.gamma = gamma
        self.alpha = alpha
        self.reduction = reduction
        self.loss_weight = loss_weight

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Loss of logits ``(N, C)`` against class indices ``(N,)`` or ``(N, C)`` targets."""
        reduction = reduction_override or self.reduction
        check_reduction(reduction, 'reduction_override')
        target = to_dense_target(pred, target, 'FocalLoss')
        return self.loss_weight * sigmoid_focal_loss(
            pred, target, weight, gamma=self.gamma, alpha=self.alpha, reduction=reduction,
            avg_factor=avg_factor)
