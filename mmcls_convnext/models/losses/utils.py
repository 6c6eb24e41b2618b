"""Shared pieces of the losses: one-hot targets, per-sample weights and reduction.

MMPretrain's reduction semantics: the element-wise loss is multiplied by ``weight`` (per sample,
broadcast over classes), then ``'mean'`` averages every element -- or divides the sum by
``avg_factor`` when given --, ``'sum'`` adds them and ``'none'`` returns them as they are
(``'sum'`` with ``avg_factor`` sums, as our CrossEntropyLoss does; MMPretrain raises).
"""
from typing import Optional

import torch

from ..errors import ModelConfigError, TargetError

REDUCTIONS = ('none', 'mean', 'sum')


def check_reduction(reduction: Optional[str], name: str = 'reduction') -> None:
    """Raise :class:`ModelConfigError` unless ``reduction`` is one of :data:`REDUCTIONS`."""
    if reduction not in REDUCTIONS:
        raise ModelConfigError(f"{name} must be 'none', 'mean' or 'sum'; got {reduction!r}.")


def reduce_loss(loss: torch.Tensor, reduction: str) -> torch.Tensor:
    """``loss`` reduced by ``'none'``, ``'mean'`` or ``'sum'``."""
    check_reduction(reduction)
    if reduction == 'mean':
        return loss.mean()
    if reduction == 'sum':
        return loss.sum()
    return loss


def weight_reduce_loss(loss: torch.Tensor, weight: Optional[torch.Tensor] = None,
                       reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> torch.Tensor:
    """Multiply the element-wise ``loss`` by ``weight`` (if any), then reduce it.

    ``avg_factor`` replaces the element count of ``'mean'``; ``'sum'`` and ``'none'`` ignore it
    (the heads always pass the batch size), as :class:`CrossEntropyLoss` does here.
    """
    if weight is not None:
        loss = loss * weight
    if avg_factor is not None and reduction == 'mean':
        return loss.sum() / avg_factor
    return reduce_loss(loss, reduction)


def convert_to_one_hot(targets: torch.Tensor, classes: int) -> torch.Tensor:
    """One-hot ``(N, classes)`` LongTensor of class indices ``(N,)`` or ``(N, 1)``.

    Raises:
        TargetError: an index outside ``[0, classes)`` (also an ``AssertionError``).
    """
    flat = targets.reshape(-1).long()
    if flat.numel() and (int(flat.max()) >= classes or int(flat.min()) < 0):
        raise TargetError(f'Class index must be less than number of classes: the targets hold '
                          f'[{int(flat.min())}, {int(flat.max())}] but there are {classes} '
                          f'classes (valid indices 0..{classes - 1}).')
    one_hot = torch.zeros(flat.shape[0], classes, dtype=torch.long, device=targets.device)
    one_hot[torch.arange(flat.shape[0], device=targets.device), flat] = 1
    return one_hot


def sample_weight(weight: Optional[torch.Tensor], loss: torch.Tensor) -> Optional[torch.Tensor]:
    """A per-sample ``weight`` (N,) shaped to broadcast over ``loss`` ((N,) or (N, C)).

    Raises:
        TargetError: ``weight`` is not one value per sample.
    """
    if weight is None:
        return None
    weight = torch.as_tensor(weight, device=loss.device).float()
    if weight.dim() != 1 or weight.shape[0] != loss.shape[0]:
        raise TargetError(f'weight must hold one value per sample, shape ({loss.shape[0]},); '
                          f'got shape {tuple(weight.shape)}.')
    return weight.reshape(-1, 1) if loss.dim() > 1 else weight


def to_dense_target(pred: torch.Tensor, target: torch.Tensor, loss_name: str) -> torch.Tensor:
    """``target`` as a float ``(N, C)`` matrix: class indices ``(N,)`` / ``(N, 1)`` become one-hot,
    ``(N, C)`` targets (multi-hot or soft) are kept.

    Raises:
        TargetError: a shape that fits neither, naming both shapes.
    """
    if target.dim() == 1 or (target.dim() == 2 and target.shape[1] == 1
                             and pred.shape[1] != 1):
        if target.shape[0] != pred.shape[0]:
            raise TargetError(f'{loss_name}: {target.shape[0]} labels for {pred.shape[0]} '
                              f'predictions.')
        target = convert_to_one_hot(target.reshape(-1, 1), pred.shape[-1])
    elif target.shape != pred.shape:
        raise TargetError(f'{loss_name}: targets must be class indices (N,) or (N, C) like the '
                          f'predictions {tuple(pred.shape)}; got {tuple(target.shape)}.')
    return target.type_as(pred)
