"""Cross-entropy losses: softmax CE (hard labels or soft targets), binary CE, label smoothing.

Reduction follows MMPretrain: the loss is computed per sample (softmax) or per sample and class
(sigmoid), multiplied by the optional per-sample ``weight``, then ``'mean'`` averages every
element (or divides the sum by ``avg_factor`` when one is given — the heads pass the batch size),
``'sum'`` adds them up and ``'none'`` returns them unreduced.
"""
from numbers import Real
from typing import List, Literal, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.registry import MODELS
from mmcls_convnext.suggestions import did_you_mean

from ..errors import ModelConfigError, ModelConfigTypeError

Reduction = Literal['mean', 'sum', 'none']
REDUCTIONS = ('mean', 'sum', 'none')
SMOOTH_MODES = ('original', 'classy_vision', 'multi_label')


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ModelConfigError(f"reduction must be 'mean', 'sum' or 'none'; got {reduction!r}.")


def _per_class(values: Optional[Sequence[float]], name: str) -> Optional[List[float]]:
    """A copy of a per-class weight list, validated (None stays None)."""
    if values is None:
        return None
    values = list(values)
    if not values or any(isinstance(v, bool) or not isinstance(v, Real) or v < 0
                         for v in values):
        raise ModelConfigError(f'{name} must be a non-empty list of numbers >= 0, one per '
                               f'class; got {values!r}.')
    return [float(v) for v in values]


def _reduce(loss: torch.Tensor, reduction: str, avg_factor: Optional[float]) -> torch.Tensor:
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    return loss.sum() / avg_factor if avg_factor is not None else loss.mean()


def soft_cross_entropy(logits: torch.Tensor, target: torch.Tensor,
                       class_weight: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Per-sample ``-sum_c w_c * target_c * log_softmax(logits)_c`` -> ``(N,)``."""
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


def _weight_per_sample(weight: Optional[torch.Tensor], loss: torch.Tensor) -> torch.Tensor:
    """``loss`` ((N,) or (N, C)) times the per-sample ``weight`` (N,), if one is given."""
    if weight is None:
        return loss
    weight = torch.as_tensor(weight, device=loss.device)
    if weight.shape != loss.shape[:1]:
        raise ValueError(f'weight must hold one value per sample, shape ({loss.shape[0]},); '
                         f'got shape {tuple(weight.shape)}.')
    weight = weight.to(loss.dtype)
    return loss * (weight.view(-1, 1) if loss.dim() == 2 else weight)


def _class_tensor(values: Optional[List[float]], logits: torch.Tensor,
                  name: str) -> Optional[torch.Tensor]:
    if values is None:
        return None
    if len(values) != logits.shape[1]:
        raise ValueError(f'{name} has {len(values)} entries but the logits have '
                         f'{logits.shape[1]} classes.')
    return logits.new_tensor(values)


@MODELS.register_module()
class CrossEntropyLoss(nn.Module):
    """Softmax cross entropy on hard labels ``(N,)`` or soft targets ``(N, C)``, or binary cross
    entropy on sigmoid outputs (``use_sigmoid=True``, multi-label targets ``(N, C)``; hard labels
    are turned into one-hot targets).

    Args:
        use_sigmoid: binary cross entropy per class instead of softmax cross entropy.
        use_soft: the targets are soft ``(N, C)``; hard labels are then refused. Soft targets
            are recognised by their shape either way.
        reduction: ``'mean'``, ``'sum'`` or ``'none'`` (see the module docstring).
        loss_weight: multiplies the loss.
        class_weight: optional per-class weights of length C.
        pos_weight: per-class weight of the positive term of binary cross entropy (only with
            ``use_sigmoid=True``), e.g. ``#negatives / #positives`` of each class.
    """

    def __init__(self, use_sigmoid: bool = False, use_soft: bool = False,
                 reduction: Reduction = 'mean', loss_weight: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None,
                 pos_weight: Optional[Sequence[float]] = None):
        super().__init__()
        if use_sigmoid and use_soft:
            raise ModelConfigError(
                'CrossEntropyLoss: use_sigmoid=True (binary cross entropy) and use_soft=True '
                '(softmax cross entropy on soft targets) exclude each other; set one of them.')
        if pos_weight is not None and not use_sigmoid:
            raise ModelConfigError('CrossEntropyLoss pos_weight weighs the positive term of '
                                   'binary cross entropy: it needs use_sigmoid=True.')
        _check_reduction(reduction)
        self.use_sigmoid = use_sigmoid
        self.use_soft = use_soft
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.class_weight = _per_class(class_weight, 'class_weight')
        self.pos_weight = _per_class(pos_weight, 'pos_weight')

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[Reduction] = None) -> torch.Tensor:
        """Loss of logits ``cls_score`` (N, C) against ``label`` ((N,) labels or (N, C) targets).

        Args:
            weight: optional per-sample weights ``(N,)``.
            avg_factor: with ``'mean'``, divide the sum by this instead of the element count.
            reduction_override: use this reduction instead of the configured one.
        """
        reduction = reduction_override or self.reduction
        _check_reduction(reduction)
        class_weight = _class_tensor(self.class_weight, cls_score, 'class_weight')
        soft = _check_target(cls_score, label)
        if self.use_sigmoid:
            target = label if soft else F.one_hot(label, cls_score.shape[1])
            loss = F.binary_cross_entropy_with_logits(
                cls_score, target.to(cls_score.dtype), weight=class_weight, reduction='none',
                pos_weight=_class_tensor(self.pos_weight, cls_score, 'pos_weight'))
        elif soft:
            loss = soft_cross_entropy(cls_score, label.to(cls_score.dtype), class_weight)
        elif self.use_soft:
            raise ValueError('CrossEntropyLoss(use_soft=True) needs soft targets of shape '
                             f'(N, C); got hard labels of shape {tuple(label.shape)}.')
        else:
            loss = F.cross_entropy(cls_score, label, weight=class_weight, reduction='none')
        loss = _weight_per_sample(weight, loss)
        return self.loss_weight * _reduce(loss, reduction, avg_factor)


@MODELS.register_module()
class LabelSmoothLoss(nn.Module):
    """Cross entropy against label-smoothed targets.

    With ``eps = label_smooth_val`` and C classes, a one-hot (or mixed soft) target ``y`` becomes

    - ``'original'``: ``y * (1 - eps) + eps / C`` (Szegedy et al.; timm and the ConvNeXt recipe)
    - ``'classy_vision'``: ``(y + eps / C) / (1 + eps)``, i.e. ``'original'`` with
      ``eps / (1 + eps)``
    - ``'multi_label'``: ``y * (1 - eps) + (1 - y) * eps``: each class's binary target moves
      ``eps`` towards the other side (soft targets are interpolated linearly).

    The smoothed target then goes through :class:`CrossEntropyLoss`: softmax cross entropy, or
    binary cross entropy with ``use_sigmoid`` (the default of ``'multi_label'``), reduced as
    described in the module docstring — for ``'multi_label'`` without ``avg_factor``, the mean
    over samples and classes.

    Args:
        label_smooth_val: eps in [0, 1).
        num_classes: C; taken from the logits when None, checked against them otherwise.
        use_sigmoid: binary cross entropy instead of softmax; None means True for
            ``'multi_label'`` and False otherwise.
        mode: see above.
        reduction: ``'mean'``, ``'sum'`` or ``'none'``.
        loss_weight: multiplies the loss.
        class_weight: optional per-class weights.
        pos_weight: per-class weight of the positive term (binary cross entropy only).
    """

    def __init__(self, label_smooth_val: float, num_classes: Optional[int] = None,
                 use_sigmoid: Optional[bool] = None,
                 mode: Literal['original', 'classy_vision', 'multi_label'] = 'original',
                 reduction: Reduction = 'mean', loss_weight: float = 1.0,
                 class_weight: Optional[Sequence[float]] = None,
                 pos_weight: Optional[Sequence[float]] = None):
        super().__init__()
        if isinstance(label_smooth_val, bool) or not isinstance(label_smooth_val, Real):
            raise ModelConfigTypeError(f'label_smooth_val must be a number in [0, 1); got '
                                       f'{label_smooth_val!r}.')
        if not 0 <= label_smooth_val < 1:
            raise ModelConfigError(f'label_smooth_val must be in [0, 1); got {label_smooth_val}.')
        if mode not in SMOOTH_MODES:
            hint = did_you_mean(mode, SMOOTH_MODES, n=1)
            raise ModelConfigError(f"LabelSmoothLoss mode must be 'original', 'classy_vision' "
                                   f"or 'multi_label'; got {mode!r}.{hint}")
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ModelConfigError(f'num_classes must be a positive int or None; got '
                                   f'{num_classes!r}.')
        if use_sigmoid is None:
            use_sigmoid = mode == 'multi_label'
        if mode == 'multi_label' and not use_sigmoid:
            raise ModelConfigError("LabelSmoothLoss(mode='multi_label') smooths each class's "
                                   'binary target: it needs use_sigmoid=True (or None).')
        self.label_smooth_val = float(label_smooth_val)
        self.num_classes = num_classes
        self.use_sigmoid = bool(use_sigmoid)
        self.mode = mode
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.ce = CrossEntropyLoss(use_sigmoid=self.use_sigmoid, use_soft=not self.use_sigmoid,
                                   reduction=reduction, class_weight=class_weight,
                                   pos_weight=pos_weight)

    @property
    def class_weight(self) -> Optional[List[float]]:
        return self.ce.class_weight

    def original_smooth_label(self, one_hot_like_label: torch.Tensor) -> torch.Tensor:
        """``y * (1 - e) + e / C`` for targets ``(N, C)``; ``e`` is eps, or ``eps / (1 + eps)``
        in ``'classy_vision'`` mode."""
        eps = self.label_smooth_val
        if self.mode == 'classy_vision':
            eps = eps / (1 + eps)
        return one_hot_like_label * (1 - eps) + eps / one_hot_like_label.shape[-1]

    def multilabel_smooth_label(self, one_hot_like_label: torch.Tensor) -> torch.Tensor:
        """``y * (1 - eps) + (1 - y) * eps`` for multi-label targets ``(N, C)``."""
        eps = self.label_smooth_val
        return one_hot_like_label * (1 - eps) + (1 - one_hot_like_label) * eps

    def smooth(self, target: torch.Tensor, num_classes: Optional[int] = None) -> torch.Tensor:
        """The smoothed version of a one-hot/soft target ``(N, C)`` in this loss's mode."""
        if num_classes is not None and num_classes != target.shape[-1]:
            raise ValueError(f'smooth() got num_classes={num_classes} for targets with '
                             f'{target.shape[-1]} classes.')
        if self.mode == 'multi_label':
            return self.multilabel_smooth_label(target)
        return self.original_smooth_label(target)

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor,
                weight: Optional[torch.Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[Reduction] = None) -> torch.Tensor:
        """Smooth the labels (N,) or targets (N, C), then :meth:`CrossEntropyLoss.forward`
        (same ``weight``, ``avg_factor`` and ``reduction_override``)."""
        num_classes = cls_score.shape[1]
        if self.num_classes is not None and self.num_classes != num_classes:
            raise ModelConfigError(f'LabelSmoothLoss(num_classes={self.num_classes}) got logits '
                                   f'with {num_classes} classes.')
        if _check_target(cls_score, label):
            target = label.to(cls_score.dtype)
        else:
            target = F.one_hot(label, num_classes).to(cls_score.dtype)
        loss = self.ce(cls_score, self.smooth(target), weight=weight, avg_factor=avg_factor,
                       reduction_override=reduction_override)
        return self.loss_weight * loss
