"""Multi-label metrics (MMPretrain's names): precision / recall / F1 / support of thresholded or
top-k predictions (``MultiLabelMetric``) and average precision (``AveragePrecision``, mAP).

Targets are multi-hot ``(N, C)``. A target of ``-1`` (a VOC "difficult" label that is to be
ignored) is left out: it counts as neither a positive nor a negative of its class.
"""
import warnings
from numbers import Real
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmcls_convnext.registry import METRICS
from mmcls_convnext.structures import DataSampleError, label_to_onehot
from mmcls_convnext.suggestions import close_matches

from .utils import MetricInputError, as_dict

ArrayLike = Union[torch.Tensor, np.ndarray, Sequence]
ITEMS: Tuple[str, ...] = ('precision', 'recall', 'f1-score', 'support')
AVERAGES: Tuple[Optional[str], ...] = ('macro', 'micro', None)
Stats = Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def _check_average(average: Optional[str], options: Sequence[Optional[str]]) -> None:
    if average not in options:
        close = close_matches(average, [a for a in options if a], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else '.'
        raise MetricInputError(f'Invalid `average` argument, please specify from {tuple(options)}'
                               f' (None: one value per class); got {average!r}{hint}')


def check_thr(thr: Optional[float], owner: str) -> Optional[float]:
    """``thr`` in [0, 1] (None stays None); raises :class:`MetricInputError` otherwise."""
    if thr is None:
        return None
    if isinstance(thr, bool) or not isinstance(thr, Real) or not 0 <= thr <= 1:
        raise MetricInputError(f'{owner} thr={thr!r} must be a number in [0, 1] (sigmoid '
                               f'scores), e.g. thr=0.5.')
    return float(thr)


def _check_topk(topk: Optional[int], owner: str) -> Optional[int]:
    if topk is not None and (isinstance(topk, bool) or not isinstance(topk, int) or topk < 1):
        raise MetricInputError(f'{owner} topk={topk!r} must be a positive int or None.')
    return topk


def _type_error(value) -> TypeError:
    return TypeError(f'The `pred` and `target` must be a tensor, a numpy array or a sequence: '
                     f'{type(value)} is not an accepted type.')


def _as_matrix(value: ArrayLike, is_indices: bool, num_classes: Optional[int],
               name: str) -> torch.Tensor:
    """``(N, C)`` tensor from a matrix, a list of rows, or (``is_indices``) index lists."""
    if isinstance(value, (str, bytes)):
        raise _type_error(value)
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    if isinstance(value, torch.Tensor):
        if value.ndim != 2:
            raise MetricInputError(f'The shape of `{name}` must be (N, num_classes); got '
                                   f'{tuple(value.shape)}.')
        return value.detach().cpu()
    if not isinstance(value, Sequence):
        raise _type_error(value)
    if is_indices:
        if num_classes is None:
            raise MetricInputError('For index-type labels, please specify `num_classes`.')
        try:
            return torch.stack([label_to_onehot(row, num_classes) for row in value])
        except DataSampleError as err:
            raise MetricInputError(f'`{name}`: {err}') from None
    rows = [torch.as_tensor(np.asarray(row)) for row in value]
    if not rows or len({r.shape for r in rows}) != 1 or rows[0].ndim != 1:
        raise MetricInputError(f'`{name}` rows must be 1-D of equal length (N, num_classes); '
                               f'pass index lists with {name}_indices=True.')
    return torch.stack(rows)


def _counts(pred_pos: torch.Tensor, gt: torch.Tensor) -> Tuple[np.ndarray, ...]:
    """Per-class TP, predicted and ground-truth positive counts; ``gt == -1`` is ignored."""
    pred_pos = pred_pos.long().numpy().copy()
    gt = gt.long().numpy().copy()
    ignored = gt == -1
    pred_pos[ignored] = 0
    gt[ignored] = 0
    return ((pred_pos & gt).sum(0), pred_pos.sum(0), gt.sum(0))


def precision_recall_f1_support(pred_pos: torch.Tensor, gt: torch.Tensor,
                                average: Optional[str] = 'macro') -> Stats:
    """Percent precision, recall, F1 and support of binary predictions ``(N, C)`` against
    multi-hot targets ``(N, C)`` (``-1``: ignored). A zero denominator gives 0."""
    tp, n_pred, n_gt = _counts(pred_pos, gt)
    if average == 'micro':
        tp, n_pred, n_gt = tp.sum(), n_pred.sum(), n_gt.sum()
    precision = tp / np.maximum(n_pred, 1)
    recall = tp / np.maximum(n_gt, 1)
    f1 = 2 * tp / np.maximum(n_pred + n_gt, 1)
    if average == 'macro':
        precision, recall, f1 = precision.mean(), recall.mean(), f1.mean()
    return (torch.as_tensor(precision * 100), torch.as_tensor(recall * 100),
            torch.as_tensor(f1 * 100), torch.as_tensor(int(n_gt.sum())))


def average_precision(pred: torch.Tensor, target: torch.Tensor) -> float:
    """Average precision (0..1) of one class's scores ``(N,)`` against targets ``(N,)``.

    ``target == 1`` is a positive, ``-1`` is left out; tied scores form one threshold (the
    same definition as scikit-learn's ``average_precision_score``). No positive: 0.
    """
    keep = target > -1
    pred, positive = pred[keep].double(), target[keep] == 1
    total = int(positive.sum())
    if total == 0:
        return 0.
    order = torch.argsort(pred, descending=True, stable=True)
    scores, hits = pred[order], positive[order]
    tps = torch.cumsum(hits.double(), 0)
    last = torch.ones_like(hits)
    last[:-1] = scores[1:] != scores[:-1]
    tp_at = tps[last]
    precision = tp_at / torch.arange(1, len(scores) + 1, dtype=torch.double)[last]
    recall_step = torch.diff(tp_at, prepend=tp_at.new_zeros(1)) / total
    return float((recall_step * precision).sum())


def is_multi_hot(label: torch.Tensor, num_classes: int) -> bool:
    """Whether a saved ``gt_label`` is a multi-hot vector rather than an index list: it has
    ``num_classes`` (> 2) entries, all 0 or 1 -- as an index list it would repeat classes. With
    two classes ``[0, 1]`` stays an index list (both classes), as MMPretrain reads it."""
    return (num_classes > 2 and label.numel() == num_classes
            and bool(((label == 0) | (label == 1)).all()))


def multi_label_record(sample, owner: str) -> dict:
    """``pred_score`` (C,) and the multi-hot ``gt_score`` (C,) of one sample (dict or DataSample):
    its ``gt_score`` if it has one, else its ``gt_label`` -- an index list, or a multi-hot
    vector as some saved results hold (see :func:`is_multi_hot`) -- as multi-hot."""
    sample = as_dict(sample)
    if sample.get('pred_score') is None:
        raise MetricInputError(f'{owner} needs pred_score in every sample (keys: '
                               f'{sorted(sample)}); run the model in "predict" mode.')
    score = torch.as_tensor(sample['pred_score']).detach().cpu().float().reshape(-1)
    num_classes = len(score)
    if sample.get('gt_score') is not None:
        gt = torch.as_tensor(sample['gt_score']).detach().cpu().reshape(-1).clone()
        if len(gt) != num_classes:
            raise MetricInputError(f'{owner}: gt_score has {len(gt)} classes but pred_score '
                                   f'{num_classes}.')
    elif sample.get('gt_label') is not None:
        label = torch.as_tensor(sample['gt_label']).detach().cpu().reshape(-1)
        if is_multi_hot(label, num_classes):
            return dict(pred_score=score, gt_score=label.long().clone())
        try:
            gt = label_to_onehot(label.long() if label.is_floating_point() else label,
                                 num_classes)
        except DataSampleError as err:
            where = sample.get('img_path', 'a sample')
            raise MetricInputError(f'{owner}: the multi-label annotation of {where}: {err}'
                                   ) from None
    else:
        raise MetricInputError(f'{owner}: a sample has neither gt_label nor gt_score (keys: '
                               f'{sorted(sample)}); evaluate on a labelled dataset.')
    return dict(pred_score=score, gt_score=gt)


def _stack(results: List[dict], owner: str) -> Tuple[torch.Tensor, torch.Tensor]:
    if not results:
        raise MetricInputError(f'{owner} got no samples: the evaluation dataloader yielded '
                               f'nothing.')
    lengths = {len(r['pred_score']) for r in results}
    if len(lengths) > 1:
        raise MetricInputError(f'{owner} got pred_score vectors of different lengths '
                               f'{sorted(lengths)}.')
    return (torch.stack([r['pred_score'] for r in results]),
            torch.stack([r['gt_score'] for r in results]))


@METRICS.register_module()
class MultiLabelMetric(BaseMetric):
    """Precision, recall, F1-score (percent) and support of multi-label predictions.

    A class is predicted for an image when its score is ``>= thr``, or when it is among the
    ``topk`` best (``thr`` wins when both are given; neither: ``thr=0.5``). ``average='macro'``
    gives CP / CR / CF1 (the mean of per-class values), ``'micro'`` OP / OR / OF1 (from the
    counts summed over classes; keys end in ``_micro``), None per-class lists (``_classwise``).
    Keys (prefix ``multi-label/``): ``precision``, ``recall``, ``f1-score``, ``support``, with
    ``_thr-{thr:.2f}`` when ``thr`` is not 0.5 and ``_top{k}`` for top-k.

    Args:
        thr: score threshold in [0, 1].
        topk: predict the k best classes of each image.
        items: which of ``'precision'``, ``'recall'``, ``'f1-score'``, ``'support'`` to report.
        average: ``'macro'``, ``'micro'`` or None.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'multi-label'``.
    """

    default_prefix: Optional[str] = 'multi-label'

    def __init__(self, thr: Optional[float] = None, topk: Optional[int] = None,
                 items: Sequence[str] = ('precision', 'recall', 'f1-score'),
                 average: Optional[str] = 'macro', collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        owner = type(self).__name__
        self.thr = check_thr(thr, owner)
        self.topk = _check_topk(topk, owner)
        if self.thr is None and self.topk is None:
            self.thr = 0.5
        elif self.thr is not None and self.topk is not None:
            warnings.warn(f'{owner}: both thr and topk are given; thr={self.thr} decides.')
        items = (items,) if isinstance(items, str) else tuple(items)
        for item in items:
            if item not in ITEMS:
                raise MetricInputError(f'The metric {item!r} is not supported by {owner}: '
                                       f'choose items from {ITEMS}.')
        if not items:
            raise MetricInputError(f'{owner} needs at least one item of {ITEMS}.')
        self.items = tuple(dict.fromkeys(items))
        _check_average(average, AVERAGES)
        self.average = average

    def process(self, data_batch, data_samples: Sequence) -> None:
        self.results.extend(multi_label_record(s, type(self).__name__) for s in data_samples)

    def compute_metrics(self, results: List[dict]) -> Dict[str, Union[float, list]]:
        pred, target = _stack(results, type(self).__name__)
        stats = self.calculate(pred, target, average=self.average, thr=self.thr,
                               topk=self.topk)
        if self.thr is not None:
            suffix = '' if self.thr == 0.5 else f'_thr-{self.thr:.2f}'
        else:
            suffix = f'_top{self.topk}'
        if self.average == 'micro':
            suffix += '_micro'
        elif self.average is None:
            suffix += '_classwise'
        metrics = {}
        for item, value in zip(ITEMS, stats):
            if item not in self.items:
                continue
            if item == 'support':
                metrics[item + suffix.replace('_classwise', '')] = int(value.sum())
            else:
                metrics[item + suffix] = (value.tolist() if self.average is None
                                          else float(value))
        return metrics

    @staticmethod
    def calculate(pred: ArrayLike, target: ArrayLike, pred_indices: bool = False,
                  target_indices: bool = False, average: Optional[str] = 'macro',
                  thr: Optional[float] = None, topk: Optional[int] = None,
                  num_classes: Optional[int] = None) -> Stats:
        """Precision, recall, F1 (percent) and support.

        Args:
            pred: scores ``(N, C)``, or (``pred_indices=True``) predicted index lists.
            target: multi-hot ``(N, C)`` (``-1``: ignored), or (``target_indices=True``) index
                lists.
            pred_indices / target_indices: the inputs are index lists (need ``num_classes``).
            average: ``'macro'``, ``'micro'`` or None.
            thr / topk: how scores become predictions (neither: ``thr=0.5``).
            num_classes: C, for index lists.

        Returns:
            ``(precision, recall, f1_score, support)`` tensors; 0-d when averaged, ``(C,)``
            per class (support: the number of positive labels).
        """
        _check_average(average, AVERAGES)
        thr = check_thr(thr, 'MultiLabelMetric.calculate')
        topk = _check_topk(topk, 'MultiLabelMetric.calculate')
        for value in (pred, target):
            if not isinstance(value, (torch.Tensor, np.ndarray, Sequence)) or isinstance(
                    value, (str, bytes)):
                raise _type_error(value)
        pred = _as_matrix(pred, pred_indices, num_classes, 'pred')
        target = _as_matrix(target, target_indices, num_classes, 'target').long()
        if pred.shape != target.shape:
            raise MetricInputError(f'The size of pred {tuple(pred.shape)} does not match the '
                                   f'target {tuple(target.shape)}: both must be (N, '
                                   f'num_classes).')
        if num_classes is not None and pred.shape[1] != num_classes:
            raise MetricInputError(f'num_classes={num_classes} but the inputs have '
                                   f'{pred.shape[1]} classes.')
        if pred_indices:
            positive = pred.long()
        elif thr is not None or topk is None:
            positive = (pred.double() >= (0.5 if thr is None else thr)).long()
        else:
            top = pred.double().topk(min(topk, pred.shape[1]), dim=1).indices
            positive = torch.zeros(pred.shape, dtype=torch.long).scatter_(1, top, 1)
        return precision_recall_f1_support(positive, target, average)


@METRICS.register_module()
class AveragePrecision(BaseMetric):
    """Average precision per class and its mean, mAP (percent), of multi-label scores.

    AP of a class = sum over score thresholds of (recall step) x precision, as scikit-learn's
    ``average_precision_score``; a class with no positive sample has AP 0. Keys (prefix
    ``multi-label/``): ``mAP`` (``average='macro'``) or ``AP_classwise`` (None).

    Args:
        average: ``'macro'`` or None.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'multi-label'``.
    """

    default_prefix: Optional[str] = 'multi-label'

    def __init__(self, average: Optional[str] = 'macro', collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        _check_average(average, ('macro', None))
        self.average = average

    def process(self, data_batch, data_samples: Sequence) -> None:
        self.results.extend(multi_label_record(s, type(self).__name__) for s in data_samples)

    def compute_metrics(self, results: List[dict]) -> Dict[str, Union[float, list]]:
        pred, target = _stack(results, type(self).__name__)
        ap = self.calculate(pred, target, average=self.average)
        if self.average is None:
            return {'AP_classwise': ap.tolist()}
        return {'mAP': float(ap)}

    @staticmethod
    def calculate(pred: ArrayLike, target: ArrayLike,
                  average: Optional[str] = 'macro') -> torch.Tensor:
        """AP (percent) of scores ``(N, C)`` against multi-hot targets ``(N, C)`` (``-1``:
        ignored): the mean (``'macro'``, 0-d) or one per class (None, ``(C,)``)."""
        _check_average(average, ('macro', None))
        for value in (pred, target):
            if not isinstance(value, (torch.Tensor, np.ndarray, Sequence)) or isinstance(
                    value, (str, bytes)):
                raise _type_error(value)
        pred = torch.as_tensor(np.asarray(pred) if not isinstance(pred, torch.Tensor) else pred)
        target = torch.as_tensor(np.asarray(target) if not isinstance(target, torch.Tensor)
                                 else target)
        if pred.ndim != 2 or pred.shape != target.shape:
            raise MetricInputError(f'Both `pred` and `target` should have shape (N, '
                                   f'num_classes); got {tuple(pred.shape)} and '
                                   f'{tuple(target.shape)}.')
        ap = torch.tensor([average_precision(pred[:, k].cpu(), target[:, k].cpu())
                           for k in range(pred.shape[1])], dtype=torch.double) * 100
        return ap.mean() if average == 'macro' else ap
