"""Seesaw loss (Wang et al., "Seesaw Loss for Long-Tailed Instance Segmentation", CVPR 2021)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError, TargetError
from .utils import check_reduction, weight_reduce_loss


def seesaw_ce_loss(cls_score: torch.Tensor, labels: torch.Tensor,
                   weight: Optional[torch.Tensor], cum_samples: torch.Tensor,
                   num_classes: int, p: float, q: float, eps: float, reduction: str = 'mean',
                   avg_factor: Optional[float] = None) -> torch.Tensor:
    """Softmax cross entropy whose negative logits are re-weighted per (label, class) pair.

    The mitigation factor ``(N_j / N_i)^p`` (for classes j seen less often than the label i)
    lowers the penalty on rare classes; the compensation factor ``(s_j / s_i)^q`` (for classes
    scored above the label) raises it again for misclassified samples.
    """
    onehot = F.one_hot(labels, num_classes)
    log_weights = cls_score.new_zeros(onehot.shape)
    if p > 0:
        counts = cum_samples.clamp(min=1)
        ratio = counts[None, :] / counts[:, None]  # ratio[i, j] = N_j / N_i
        log_weights = log_weights + torch.where(ratio < 1, ratio.log() * p,
                                                torch.zeros_like(ratio))[labels]
    if q > 0:
        scores = F.softmax(cls_score.detach(), dim=1)
        own = scores.gather(1, labels[:, None]).clamp(min=eps)
        score_ratio = scores / own
        log_weights = log_weights + torch.where(score_ratio > 1, score_ratio.log() * q,
                                                torch.zeros_like(score_ratio))
    adjusted = cls_score + log_weights * (1 - onehot)
    loss = F.cross_entropy(adjusted, labels, reduction='none')
    if weight is not None:
        weight = weight.float()
    return weight_reduce_loss(loss, weight, reduction, avg_factor)


@MODELS.register_module()
class SeesawLoss(nn.Module):
    """Seesaw loss for long-tailed classification (MMPretrain's ``SeesawLoss``; softmax only).

    It keeps a running count of the labels it has seen (``cum_samples``, a buffer saved in
    checkpoints) for the mitigation factor.

    Args:
        use_sigmoid: must be False (only the softmax version exists).
        p: exponent of the mitigation factor.
        q: exponent of the compensation factor.
        num_classes: number of classes; the logits must have this many columns.
        eps: lower clamp of the label's score in the compensation factor.
        reduction: ``'none'``, ``'mean'`` or ``'sum'``.
        loss_weight: multiplies the loss.
    """

    def __init__(self, use_sigmoid: bool = False, p: float = 0.8, q: float = 2.0,
                 num_classes: int = 1000, eps: float = 1e-2, reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        if use_sigmoid:
            raise ModelConfigError('SeesawLoss has only a softmax version: set '
                                   'use_sigmoid=False.')
        check_reduction(reduction)
        if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
            raise ModelConfigError(f'SeesawLoss num_classes={num_classes!r} must be a positive '
                                   f'int.')
        if p < 0 or q < 0:
            raise ModelConfigError(f'SeesawLoss p={p!r} and q={q!r} must be >= 0.')
        self.use_sigmoid = use_sigmoid
        self.p = p
        self.q = q
        self.num_classes = num_classes
        self.eps = eps
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.register_buffer('cum_samples', torch.zeros(num_classes, dtype=torch.float))

    def forward(self, cls_score: torch.Tensor, labels: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        """Loss of logits ``(N, num_classes)`` against class indices ``(N,)``."""
        reduction = reduction_override or self.reduction
        check_reduction(reduction, 'reduction_override')
        if cls_score.size(-1) != self.num_classes:
            raise TargetError(f'SeesawLoss(num_classes={self.num_classes}) got logits with '
                              f'{cls_score.size(-1)} classes; set num_classes to the head\'s.')
        if labels.dim() != 1 or labels.is_floating_point():
            raise TargetError(f'SeesawLoss needs integer class indices (N,); got a '
                              f'{labels.dtype} tensor of shape {tuple(labels.shape)} (soft or '
                              f'multi-hot targets are not supported).')
        if labels.shape[0] != cls_score.shape[0]:
            raise TargetError(f'SeesawLoss: {labels.shape[0]} labels for '
                              f'{cls_score.shape[0]} predictions.')
        if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= self.num_classes):
            raise TargetError(f'SeesawLoss labels must be in [0, {self.num_classes}); got '
                              f'[{int(labels.min())}, {int(labels.max())}].')
        self.cum_samples += torch.bincount(labels, minlength=self.num_classes).to(
            self.cum_samples)
        return self.loss_weight * seesaw_ce_loss(
            cls_score, labels, weight, self.cum_samples, self.num_classes, self.p, self.q,
            self.eps, reduction, avg_factor)
