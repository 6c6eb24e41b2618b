"""Label helpers for multi-label batches (MMPretrain's ``mmpretrain.structures.utils`` names).

A multi-label sample stores its classes as an index list ``gt_label`` (LongTensor (K,), K may
be 0). A batch of such lists is kept as one concatenated tensor plus split points
(:func:`cat_batch_labels`), and turned into a multi-hot ``(N, C)`` matrix with
:func:`batch_label_to_onehot` or, one sample at a time, :func:`label_to_onehot`.
"""
from typing import List, Sequence, Tuple

import torch

from .data_sample import DataSampleError, LabelType, format_label, format_score

__all__ = ['format_label', 'format_score', 'cat_batch_labels', 'tensor_split',
           'batch_label_to_onehot', 'label_to_onehot']


def _check_num_classes(num_classes: int) -> int:
    if not isinstance(num_classes, int) or isinstance(num_classes, bool) or num_classes < 1:
        raise DataSampleError(f'num_classes must be a positive int; got {num_classes!r}.')
    return num_classes


def _check_range(label: torch.Tensor, num_classes: int) -> None:
    if label.numel() and (int(label.min()) < 0 or int(label.max()) >= num_classes):
        bad = sorted({int(v) for v in label.tolist() if not 0 <= v < num_classes})
        raise DataSampleError(
            f'Label index {bad} out of range for num_classes={num_classes}: class indices must '
            f'be in [0, {num_classes - 1}]. Check the annotation or the head\'s num_classes.')


def tensor_split(inputs: torch.Tensor, indices: Sequence[int]) -> List[torch.Tensor]:
    """Split ``inputs`` along dim 0 at ``indices`` -> ``len(indices) + 1`` pieces (some may be
    empty), like :func:`torch.tensor_split` with a list of indices."""
    return list(torch.tensor_split(inputs, list(indices)))


def cat_batch_labels(elements: Sequence[torch.Tensor]) -> Tuple[torch.Tensor, List[int]]:
    """Concatenate per-sample label tensors; return ``(labels, split_indices)``.

    ``split_indices`` has ``len(elements) - 1`` entries, the cumulative lengths, so that
    ``tensor_split(labels, split_indices)`` gives the elements back.
    """
    if len(elements) == 0:
        raise DataSampleError('cat_batch_labels needs at least one label tensor.')
    labels = [format_label(e) for e in elements]
    split_indices = torch.cumsum(torch.tensor([len(e) for e in labels[:-1]], dtype=torch.long),
                                 0).tolist()
    return torch.cat(labels), split_indices


def batch_label_to_onehot(batch_label: torch.Tensor, split_indices: Sequence[int],
                          num_classes: int) -> torch.Tensor:
    """Multi-hot ``(N, num_classes)`` LongTensor from :func:`cat_batch_labels` output.

    Raises:
        DataSampleError: a label outside ``[0, num_classes)``.
    """
    _check_num_classes(num_classes)
    batch_label = format_label(batch_label)
    _check_range(batch_label, num_classes)
    pieces = tensor_split(batch_label, split_indices)
    rows = torch.repeat_interleave(torch.arange(len(pieces)),
                                   torch.tensor([len(p) for p in pieces], dtype=torch.long))
    onehot = torch.zeros(len(pieces), num_classes, dtype=torch.long)
    onehot[rows, batch_label] = 1
    return onehot


def label_to_onehot(label: LabelType, num_classes: int) -> torch.Tensor:
    """Multi-hot ``(num_classes,)`` LongTensor of one sample's label index list.

    Raises:
        DataSampleError: a label outside ``[0, num_classes)``.
    """
    _check_num_classes(num_classes)
    label = format_label(label)
    _check_range(label, num_classes)
    onehot = torch.zeros(num_classes, dtype=torch.long)
    onehot[label] = 1
    return onehot
