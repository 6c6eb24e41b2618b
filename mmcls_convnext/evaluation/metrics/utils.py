"""Reading predictions and targets out of data samples (dicts or DataSample objects)."""
from numbers import Real
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np
import torch

ArrayLike = Union[torch.Tensor, np.ndarray, Sequence]
Thrs = Union[float, None, Sequence[Optional[float]]]


class MetricInputError(ValueError, AssertionError):
    """A metric cannot be computed from what it was given (also an ``AssertionError``, which is
    what MMPretrain raises in the same situations)."""


def as_thrs(thrs: Thrs) -> Tuple[Optional[float], ...]:
    """One score threshold or several as a tuple (None: no threshold).

    Raises:
        MetricInputError: for anything but numbers, None, or a non-empty sequence of them.
    """
    thrs = (thrs,) if thrs is None or isinstance(thrs, Real) else tuple(thrs)
    if not thrs or not all(t is None or (isinstance(t, Real) and not isinstance(t, bool))
                           for t in thrs):
        raise MetricInputError(f'thrs must be a number, None, or a sequence of them; got '
                               f'{thrs!r}.')
    return thrs


def to_tensor(value: ArrayLike, name: str, caller: str) -> torch.Tensor:
    """``value`` (tensor, numpy array or nested sequence of numbers) as a CPU tensor.

    Raises:
        TypeError: for any other type, naming it and the argument.
    """
    if isinstance(value, torch.Tensor):
        return value.detach().cpu()
    if isinstance(value, np.ndarray):
        return torch.from_numpy(value)
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return torch.tensor(value)
    raise TypeError(f'{type(value)} is not a valid {caller} {name}: pass a tensor, a numpy '
                    f'array or a sequence of numbers.')


def as_dict(sample: Any) -> dict:
    """A data sample as a dict (mmengine's Evaluator already passes ``to_dict()`` output)."""
    if isinstance(sample, dict):
        return sample
    if hasattr(sample, 'to_dict'):
        return sample.to_dict()
    raise TypeError(f'A data sample must be a dict or a DataSample; got {type(sample).__name__}.')


def _tensor(value: Any) -> torch.Tensor:
    return value.detach().cpu() if isinstance(value, torch.Tensor) else torch.as_tensor(value)


def gt_label_of(sample: dict) -> int:
    """The ground-truth class: ``gt_label`` (first entry), else the argmax of ``gt_score``."""
    if sample.get('gt_label') is not None:
        label = _tensor(sample['gt_label']).reshape(-1)
        if label.numel() == 0:
            raise ValueError('A data sample has an empty gt_label.')
        return int(label[0])
    if sample.get('gt_score') is not None:
        return int(_tensor(sample['gt_score']).argmax())
    raise KeyError(f'A data sample has neither gt_label nor gt_score (keys: {sorted(sample)}); '
                   'metrics need ground truth: evaluate on a labelled dataset.')


def pred_score_of(sample: dict) -> Optional[torch.Tensor]:
    """The 1-D ``pred_score`` of a sample, or None."""
    score = sample.get('pred_score')
    return None if score is None else _tensor(score).float().reshape(-1)


def pred_label_of(sample: dict) -> int:
    """The predicted class: argmax of ``pred_score``, else ``pred_label``."""
    score = pred_score_of(sample)
    if score is not None:
        return int(score.argmax())
    if sample.get('pred_label') is not None:
        return int(_tensor(sample['pred_label']).reshape(-1)[0])
    raise KeyError(f'A data sample has neither pred_score nor pred_label (keys: '
                   f'{sorted(sample)}); run the model in "predict" mode.')


def prediction_record(sample: Any) -> dict:
    """What Accuracy and SingleLabelMetric keep of one sample: ``gt_label`` and ``pred_score``
    when the sample has scores, else ``pred_label``."""
    sample = as_dict(sample)
    record = dict(gt_label=gt_label_of(sample))
    score = pred_score_of(sample)
    if score is not None:
        record['pred_score'] = score
    else:
        record['pred_label'] = pred_label_of(sample)
    return record


def record_labels(records: Sequence[dict]) -> torch.Tensor:
    """The predicted class (N,) of :func:`prediction_record` records: the argmax of
    ``pred_score`` where a record has scores, else its ``pred_label``."""
    return torch.tensor([int(r['pred_score'].argmax()) if 'pred_score' in r else r['pred_label']
                         for r in records])
