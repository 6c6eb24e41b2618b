"""Asymmetric loss (Ridnik et al., "Asymmetric Loss For Multi-Label Classification", ICCV 2021)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError
from .utils import check_reduction, sample_weight, to_dense_target, weight_reduce_loss


def asymmetric_loss(pred: torch.Tensor, target: torch.Tensor,
                    weight: Optional[torch.Tensor] = None, gamma_pos: float = 1.0,
                    gamma_neg: float = 4.0, clip: Optional[float] = 0.05,
                    reduction: str = 'mean', avg_factor: Optional[float] = None,
                    use_sigmoid: bool = True, eps: float = 1e-8) -> torch.Tensor:
    """Element-wise ``-(1 - p_t)^gamma * log(p_t)`` with separate focusing for positives and
    negatives; negatives' probabilities are shifted down by ``clip`` (probability margin).

    Args:
        pred: logits ``(N, C)``.
        target: multi-hot / one-hot ``(N, C)`` (same shape as ``pred``).
        weight: optional per-sample weights ``(N,)``.
        use_sigmoid: sigmoid per class (multi-label); False uses softmax (single-label).
    """
    prob = pred.sigmoid() if use_sigmoid else F.softmax(pred, dim=-1)
    target = target.type_as(pred)
    neg_prob = 1 - prob
    if clip is not None and clip > 0:
        neg_prob = (neg_prob + clip).clamp(max=1)
    p_t = prob * target + neg_prob * (1 - target)
    focusing = (1 - p_t).pow(gamma_pos * target + gamma_neg * (1 - target))
    loss = -torch.log(p_t.clamp(min=eps)) * focusing
    return weight_reduce_loss(loss, sample_weight(weight, loss), reduction, avg_factor)


@MODELS.register_module()
class AsymmetricLoss(nn.Module):
    """Asymmetric loss for multi-label classification (MMPretrain's ``AsymmetricLoss``).

    Args:
        gamma_pos: focusing parameter of the positive terms.
        gamma_neg: focusing parameter of the negative terms (larger: easy negatives count less).
        clip: probability margin subtracted from negatives' probabilities; None or 0: none.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: multiplies the loss.
        use_sigmoid: sigmoid per class (multi-label); False: softmax (single-label targets).
        eps: lower clamp of the probability inside the log.
    """

    def __init__(self, gamma_pos: float = 0.0, gamma_neg: float = 4.0,
                 clip: Optional[float] = 0.05, reduction: str = 'mean',
                 loss_weight: float = 1.0, use_sigmoid: bool = True, eps: float = 1e-8):
        super().__init__()
        check_reduction(reduction)
        if gamma_pos < 0 or gamma_neg < 0:
            raise ModelConfigError(f'AsymmetricLoss gamma_pos={gamma_pos!r} and '
                                   f'gamma_neg={gamma_neg!r} must be >= 0.')
        if clip is not None and not 0 <= clip < 1:
            raise ModelConfigError(f'AsymmetricLoss clip={clip!r} must be in [0, 1) or None.')
        self.gamma_pos = gamma_pos
        self.gamma_neg = gamma_neg
        self.clip = clip
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.use_sigmoid = use_sigmoid
        self.eps = eps

    def forward(self, pred: torch.Tensor, target: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Loss of logits ``(N, C)`` against class indices ``(N,)`` or ``(N, C)`` targets."""
        reduction = reduction_override or self.reduction
        check_reduction(reduction, 'reduction_override')
        target = to_dense_target(pred, target, 'AsymmetricLoss')
        return self.loss_weight * asymmetric_loss(
            pred, target, weight, gamma_pos=self.gamma_pos, gamma_neg=self.gamma_neg,
            clip=self.clip, reduction=reduction, avg_factor=avg_factor,
            use_sigmoid=self.use_sigmoid, eps=self.eps)
