"""``DataSample``: the per-image record that flows from the pipeline to the metrics."""
from numbers import Integral, Number
from typing import Sequence, Union

import numpy as np
import torch
from mmengine.structures import BaseDataElement

LabelType = Union[torch.Tensor, np.ndarray, Sequence[int], int]
ScoreType = Union[torch.Tensor, np.ndarray, Sequence[Number]]


class DataSampleError(ValueError, AssertionError):
    """A label or score does not fit the data sample (wrong shape or number of classes).

    Also an ``AssertionError``: MMPretrain asserts these conditions, so code written for it that
    catches ``AssertionError`` keeps working.
    """


def format_label(value: LabelType) -> torch.Tensor:
    """Convert a label given as int, sequence, numpy array or tensor into a 1-D LongTensor.

    A 0-d tensor/array becomes a 1-element tensor; ``(K,)`` inputs (several labels) stay
    ``(K,)``.

    Raises:
        TypeError: for any other type (the message names it), or a float/bool tensor/array
            (soft targets belong in ``set_gt_score``).
    """
    if isinstance(value, (np.ndarray, torch.Tensor)) and value.ndim == 0:
        value = value.reshape(1)
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        # an empty list is a multi-label sample without labels
        value = torch.tensor(value, dtype=torch.long) if len(value) == 0 else torch.tensor(value)
    elif isinstance(value, Integral) and not isinstance(value, (bool, np.bool_)):
        value = torch.tensor([int(value)])
    elif not isinstance(value, torch.Tensor):
        raise TypeError(f'Type {type(value)} is not a valid label type: a label must be an int, '
                        f'a sequence of ints, a numpy array or a tensor; got {value!r}.')
    if value.is_floating_point() or value.dtype == torch.bool or value.is_complex():
        raise TypeError(f'A label must hold integers; got dtype {value.dtype}. '
                        'Use set_gt_score() for soft targets.')
    return value.long().reshape(-1)


def format_score(value: ScoreType) -> torch.Tensor:
    """Convert a score vector into a 1-D float tensor ``(num_classes,)``.

    Raises:
        TypeError: for a type other than tensor, numpy array or sequence of numbers.
        DataSampleError: if the score is not 1-D.
    """
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        value = torch.tensor(value)
    elif not isinstance(value, torch.Tensor):
        raise TypeError(f'Type {type(value)} is not a valid score type: a score must be a '
                        f'tensor, a numpy array or a sequence of numbers.')
    if value.ndim != 1:
        raise DataSampleError(f'A score must be 1-D (num_classes,), but got {value.ndim} dims '
                              f'(shape {tuple(value.shape)}).')
    return value if value.is_floating_point() else value.float()


class DataSample(BaseDataElement):
    """Annotations and predictions of one image.

    Fields (all optional): ``gt_label`` (LongTensor (K,)), ``gt_score`` (soft target,
    (num_classes,)), ``pred_label`` (LongTensor (1,)), ``pred_score`` (softmax, (num_classes,)).
    Metainfo holds ``img_shape``, ``ori_shape``, ``img_path``, ``num_classes`` and the like.

    The setters accept ints, sequences, numpy arrays and tensors and return the sample, so they
    chain: ``DataSample().set_gt_label(3).set_pred_score(scores)``. The first score set fixes
    ``num_classes`` in the metainfo; a later score of another length raises
    :class:`DataSampleError`.
    """

    def set_gt_label(self, value: LabelType) -> 'DataSample':
        self.set_field(format_label(value), 'gt_label', dtype=torch.Tensor)
        return self

    def set_gt_score(self, value: ScoreType) -> 'DataSample':
        self.set_field(self._checked_score(value, 'gt_score'), 'gt_score', dtype=torch.Tensor)
        return self

    def set_pred_label(self, value: LabelType) -> 'DataSample':
        self.set_field(format_label(value), 'pred_label', dtype=torch.Tensor)
        return self

    def set_pred_score(self, value: ScoreType) -> 'DataSample':
        self.set_field(self._checked_score(value, 'pred_score'), 'pred_score',
                       dtype=torch.Tensor)
        return self

    def set_mask(self, value: Union[torch.Tensor, np.ndarray]) -> 'DataSample':
        """Set ``mask`` (e.g. the ``(h, w)`` patch mask of masked-image modelling)."""
        if isinstance(value, np.ndarray):
            value = torch.from_numpy(value)
        elif not isinstance(value, torch.Tensor):
            raise TypeError(f'Invalid mask type {type(value)}: pass a tensor or a numpy array.')
        self.set_field(value, 'mask', dtype=torch.Tensor)
        return self

    def _checked_score(self, value: ScoreType, name: str) -> torch.Tensor:
        """``value`` as a 1-D score whose length agrees with the sample's ``num_classes``."""
        score = format_score(value)
        # ``DataSample(num_classes=4)`` makes num_classes a data field; the setters honour it
        # like one in the metainfo (as MMPretrain's do).
        if 'num_classes' not in self:
            self.set_metainfo(dict(num_classes=len(score)))
        elif self.num_classes != len(score):
            raise DataSampleError(f'The length of {name} ({len(score)}) should be equal to the '
                                  f'num_classes of the sample ({self.num_classes}).')
        return score
