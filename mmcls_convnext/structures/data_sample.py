"""``DataSample``: the per-image record that flows from the pipeline to the metrics."""
from numbers import Number
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

LabelType = Union[torch.Tensor, np.ndarray, Sequence[int], int]


def format_label(value: LabelType) -> torch.Tensor:
    """Convert a label given as int, sequence, numpy array or tensor into a 1-D LongTensor.

    Raises:
        TypeError: for any other type, or a tensor/array that is not integral.
    """
    if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim == 0:
        value = int(value.item())
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        value = torch.tensor(value)
    elif isinstance(value, (bool, float)) or not isinstance(value, (int, torch.Tensor)):
        raise TypeError(f'A label must be an int, a sequence of ints, a numpy array or a tensor; '
                        f'got {type(value).__name__}: {value!r}.')
    if isinstance(value, int):
        value = torch.LongTensor([value])
    if value.is_floating_point() or value.dtype == torch.bool:
        raise TypeError(f'A label must hold integers; got a tensor of dtype {value.dtype}. '
                        'Use set_gt_score() for soft targets.')
    return value.long().reshape(-1)


def format_score(value: Union[torch.Tensor, np.ndarray, Sequence[Number]]) -> torch.Tensor:
    """Convert a score vector into a 1-D float tensor."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        value = torch.tensor(value)
    elif not isinstance(value, torch.Tensor):
        raise TypeError(f'A score must be a tensor, numpy array or sequence of numbers; '
                        f'got {type(value).__name__}.')
    if value.ndim != 1:
        raise ValueError(f'A score must be 1-D (num_classes,); got shape {tuple(value.shape)}.')
    return value.float() if not value.is_floating_point() else value


class DataSample(BaseDataElement):
    """Annotations and predictions of one image.

    Fields (all optional): ``gt_label`` (LongTensor (K,)), ``gt_score`` (soft target,
    (num_classes,)), ``pred_label`` (LongTensor (1,)), ``pred_score`` (softmax, (num_classes,)).
    Metainfo holds ``img_shape``, ``ori_shape``, ``img_path``, ``num_classes`` and the like.
    """

    def set_gt_label(self, value: LabelType) -> 'DataSample':
        self.set_field(format_label(value), 'gt_label', dtype=torch.Tensor)
        return self

    def set_gt_score(self, value: torch.Tensor) -> 'DataSample':
        score = format_score(value)
        self.set_field(score, 'gt_score', dtype=torch.Tensor)
        if 'num_classes' not in self.metainfo_keys():
            self.set_metainfo(dict(num_classes=len(score)))
        elif self.num_classes != len(score):
            raise ValueError(f'gt_score has {len(score)} classes but the sample says '
                             f'num_classes={self.num_classes}.')
        return self

    def set_pred_label(self, value: LabelType) -> 'DataSample':
        self.set_field(format_label(value), 'pred_label', dtype=torch.Tensor)
        return self

    def set_pred_score(self, value: torch.Tensor) -> 'DataSample':
        score = format_score(value)
        self.set_field(score, 'pred_score', dtype=torch.Tensor)
        if 'num_classes' not in self.metainfo_keys():
            self.set_metainfo(dict(num_classes=len(score)))
        return self
