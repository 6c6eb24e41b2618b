"""Cross-entropy losses for hard labels and soft (one-hot / mixed) targets."""
from typing import Literal, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.registry import MODELS


def _reduce(loss: torch.Tensor, reduction: str, avg_factor: Optional[float]) -> torch.Tensor:
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    return loss.sum() / avg_factor if avg_factor is not None else loss.mean()


def _check_reduction(reduction: str) -> None:
    if reduction not in ('mean', 'sum', 'none'):
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor,
                       class_weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Per-sample ``-sum_c target_c * log_softmax(logits)_c`` (optionally class-weighted)."""
    log_prob = F.log_softmax(logits, dim=1)
    if class_weight is not None:
        log_prob = log_prob * class_weight
    return -(target * log_prob).sum(dim=1)


def _check_target(logits: torch.Tensor, target: torch.Tensor) -> bool:
    """Return True if ``target`` is soft (N, C); validate shapes either way."""
    if target.dim() == 2 and target.shape == logits.shape:
        return True
    if target.dim() == 1 and target.shape[0] == logits.shape[0]:
        if target.is_floating_point():
            raise TypeError('Hard labels must be an integer tensor of shape (N,); got a float '
                            'tensor. Pass soft targets as (N, num_classes).')
        return False
    raise ValueError(f'target must be labels (N,) or soft targets (N, C) matching the logits '
                     f'{tuple(logits.shape)}; got shape {tuple(target.shape)}.')


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Softmax cross entropy on hard labels ``(N,)`` or soft targets ``(N, C)``.

    Args:
        use_soft: kept for config compatibility; soft targets are recognised by shape anyway.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: multiplies the loss.
        class_weight: optional per-class weights of length C.
    """

    def __init__(self, use_soft: bool = False, reduction: str = 'mean', loss_weight: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None):
        super().__init__()
        _check_reduction(reduction)
        self.use_soft = use_soft
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.class_weight = None if class_weight is None else list(class_weight)

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        reduction = reduction_override or self.reduction
        _check_reduction(reduction)
        weight = None
        if self.class_weight is not None:
            weight = cls_score.new_tensor(self.class_weight)
        if _check_target(cls_score, label):
            loss = soft_cross_entropy(cls_score, label.to(cls_score.dtype), weight)
        else:
            if self.use_soft:
                raise ValueError('CrossEntropyLoss(use_soft=True) needs soft targets of shape '
                                 f'(N, C); got hard labels of shape {tuple(label.shape)}.')
            loss = F.cross_entropy(cls_score, label, weight=weight, reduction='none')
        return self.loss_weight * _reduce(loss, reduction, avg_factor)


@MODELS.register_module()
class LabelSmoothLoss(nn.Module):
    """Cross entropy against label-smoothed targets.

    With ``eps = label_smooth_val`` and C classes, a one-hot (or mixed soft) target ``y`` becomes

    - ``'original'``: ``y * (1 - eps) + eps / C`` (Szegedy et al.; timm and the ConvNeXt recipe)
    - ``'classy_vision'``: ``(y + eps / C) / (1 + eps)``
    - ``'multi_label'``: ``y * (1 - eps) + (1 - y) * eps`` with sigmoid binary cross entropy.

    Args:
        label_smooth_val: eps in [0, 1).
        num_classes: C; taken from the logits when None.
        mode: see above.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: multiplies the loss.
        class_weight: optional per-class weights.
    """

    def __init__(self, label_smooth_val: float, num_classes: Optional[int] = None,
                 mode: Literal['original', 'classy_vision', 'multi_label'] = 'original',
                 reduction: str = 'mean', loss_weight: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None):
        super().__init__()
        if not 0 <= label_smooth_val < 1:
            raise ValueError(f'label_smooth_val must be in [0, 1); got {label_smooth_val}.')
        if mode not in ('original', 'classy_vision', 'multi_label'):
            raise ValueError(f"LabelSmoothLoss mode must be 'original', 'classy_vision' or "
                             f"'multi_label'; got {mode!r}.")
        _check_reduction(reduction)
        self.label_smooth_val = label_smooth_val
        self.num_classes = num_classes
        self.mode = mode
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.class_weight = None if class_weight is None else list(class_weight)

    def smooth(self, target: torch.Tensor, num_classes: int) -> torch.Tensor:
        """Smoothed version of a one-hot/soft target ``(N, C)``."""
        eps = self.label_smooth_val
        if self.mode == 'original':
            return target * (1 - eps) + eps / num_classes
        if self.mode == 'classy_vision':
            return (target + eps / num_classes) / (1 + eps)
        return target * (1 - eps) + (1 - target) * eps

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> torch.Tensor:
        reduction = reduction_override or self.reduction
        _check_reduction(reduction)
        num_classes = cls_score.shape[1]
        if self.num_classes is not None and self.num_classes != num_classes:
            raise ValueError(f'LabelSmoothLoss(num_classes={self.num_classes}) got logits with '
                             f'{num_classes} classes.')
        if _check_target(cls_score, label):
            target = label.to(cls_score.dtype)
        else:
            target = F.one_hot(label, num_classes).to(cls_score.dtype)
        target = self.smooth(target, num_classes)
        weight = None
        if self.class_weight is not None:
            weight = cls_score.new_tensor(self.class_weight)
        if self.mode == 'multi_label':
            loss = F.binary_cross_entropy_with_logits(
                cls_score, target, weight=weight, reduction='none').sum(dim=1)
        else:
            loss = soft_cross_entropy(cls_score, target, weight)
        return self.loss_weight * _reduce(loss, reduction, avg_factor)
