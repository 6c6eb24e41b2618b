"""Precision, recall, F1-score and support of single-label predictions (MMPretrain's names)."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import BaseMetric

from mmcls_convnext.registry import METRICS
from mmcls_convnext.suggestions import close_matches

from .utils import (
    ArrayLike,
    MetricInputError,
    Thrs,
    as_dict,
    as_thrs,
    prediction_record,
    record_labels,
    to_tensor,
)

#: The values SingleLabelMetric can report, in the order they are reported.
ITEMS: Tuple[str, ...] = ('precision', 'recall', 'f1-score', 'support')
#: How per-class values are combined; None keeps one value per class.
AVERAGES: Tuple[Optional[str], ...] = ('macro', 'micro', None)

#: (precision, recall, f1-score, support): 0-d tensors when averaged, (C,) tensors per class.
Stats = Tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]


def _as_items(items: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """The chosen items, checked (none is allowed, as in MMPretrain: the metric then reports
    nothing)."""
    items = (items,) if isinstance(items, str) else tuple(items)
    for item in items:
        if item not in ITEMS:
            close = close_matches(item, ITEMS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else '.'
            raise MetricInputError(f'The metric {item!r} is not supported by SingleLabelMetric: '
                                   f'choose items from {ITEMS}{hint}')
    return tuple(dict.fromkeys(items))


def _check_average(average: Optional[str]) -> Optional[str]:
    if average not in AVERAGES:
        close = close_matches(average, [a for a in AVERAGES if a], n=1)
        hint = f"; did you mean '{close[0]}'?" if close else '.'
        raise MetricInputError(f'Invalid average={average!r}: choose from {AVERAGES} (None: one '
                               f'value per class){hint}')
    return average


def _check_num_classes(num_classes: Optional[int]) -> Optional[int]:
    if num_classes is not None and (not isinstance(num_classes, int) or
                                    isinstance(num_classes, bool) or num_classes < 1):
        raise MetricInputError(f'num_classes must be a positive int or None; got '
                               f'{num_classes!r}.')
    return num_classes


def _stats(pred: torch.Tensor, keep: torch.Tensor, target: torch.Tensor, num_classes: int,
           average: Optional[str]) -> Stats:
    """Percent precision / recall / F1 and support from labels (N,) and a positive mask (N,)."""
    tp = torch.bincount(pred[keep & (pred == target)], minlength=num_classes)
    pred_sum = torch.bincount(pred[keep], minlength=num_classes)
    gt_sum = torch.bincount(target, minlength=num_classes)
    if average == 'micro':
        tp, pred_sum, gt_sum = tp.sum(), pred_sum.sum(), gt_sum.sum()
    precision = tp / pred_sum.clamp(min=1).float() * 100  # no prediction of a class: 0
    recall = tp / gt_sum.clamp(min=1).float() * 100
    f1 = 2 * precision * recall / (precision + recall).clamp(min=torch.finfo(torch.float32).eps)
    if average == 'macro':
        return precision.mean(), recall.mean(), f1.mean(), gt_sum.sum()
    return precision, recall, f1, gt_sum


@METRICS.register_module()
class SingleLabelMetric(BaseMetric):
    """Precision, recall and F1-score (percent) and support (a count) of single-label predictions.

    For each class c: precision = TP / (predicted c), recall = TP / (ground truth c), F1 their
    harmonic mean, support = samples of class c; a zero denominator gives 0. A sample predicts
    its top-1 class only when that score is above the threshold (``thrs``; None: always), so a
    threshold lowers recall, not the number of samples. ``average='macro'`` reports the mean over
    the classes (support: all samples), ``'micro'`` the values of the summed counts (keys end in
    ``_micro``), None one value per class (lists under ``<item>_classwise``). With several
    thresholds each key also carries ``_thr-{t:.2f}`` / ``_no-thr``. Samples that carry only
    ``pred_label`` (no ``pred_score``) need ``num_classes``, the metric's or their own (checked in
    ``process``, as they arrive); thresholds do not apply to them.

    Keys, prefixed with ``single-label/``: e.g. ``precision``, ``recall``, ``f1-score``,
    ``support``, ``precision_micro``, ``recall_thr-0.50``, ``f1-score_classwise``.

    Args:
        thrs: one score threshold or several.
        items: which of ``'precision'``, ``'recall'``, ``'f1-score'``, ``'support'`` to report
            (none: the metric reports nothing, as in MMPretrain).
        average: ``'macro'``, ``'micro'`` or None (per class).
        num_classes: C; needed when the samples carry ``pred_label`` only.
        collect_device: ``'cpu'`` or ``'gpu'``, for gathering results across ranks.
        prefix: key prefix; defaults to ``'single-label'``.
    """

    default_prefix: Optional[str] = 'single-label'

    def __init__(self, thrs: Thrs = 0.,
                 items: Sequence[str] = ('precision', 'recall', 'f1-score'),
                 average: Optional[str] = 'macro', num_classes: Optional[int] = None,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.thrs = as_thrs(thrs)
        self.items = _as_items(items)
        self.average = _check_average(average)
        self.num_classes = _check_num_classes(num_classes)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            sample = as_dict(sample)
            record = prediction_record(sample)
            if 'pred_label' in record:  # labels only: C must be known now (MMPretrain's check)
                num_classes = self.num_classes or sample.get('num_classes')
                if num_classes is None:
                    raise MetricInputError(
                        'SingleLabelMetric: the `num_classes` must be specified when the samples '
                        'carry pred_label but no pred_score (nor a num_classes of their own). '
                        'Please specify the `num_classes`, e.g. '
                        "val_evaluator = dict(type='SingleLabelMetric', num_classes=10).")
                record['num_classes'] = int(num_classes)
            self.results.append(record)

    def compute_metrics(self, results: List[dict]) -> dict:
        if not results:
            raise MetricInputError('SingleLabelMetric got no samples: the evaluation dataloader '
                                   'yielded nothing.')
        target = torch.tensor([r['gt_label'] for r in results], dtype=torch.long)
        lengths = {len(r['pred_score']) for r in results if 'pred_score' in r}
        if len(lengths) > 1:
            raise MetricInputError(f'SingleLabelMetric got pred_score vectors of different '
                                   f'lengths {sorted(lengths)}.')
        if lengths and self.num_classes is not None and lengths != {self.num_classes}:
            raise MetricInputError(f'SingleLabelMetric(num_classes={self.num_classes}) but the '
                                   f'predictions have {lengths.pop()} classes.')
        if all('pred_score' in r for r in results):
            scores = torch.stack([r['pred_score'] for r in results])
            table = self.calculate(scores, target, thrs=self.thrs, average=self.average)
            metrics = {}
            for thr, stats in zip(self.thrs, table):
                suffix = ''
                if len(self.thrs) > 1:
                    suffix = '_no-thr' if thr is None else f'_thr-{thr:.2f}'
                metrics.update(self._named(stats, suffix))
            return metrics
        sample_classes = {r['num_classes'] for r in results if 'num_classes' in r}
        if len(sample_classes) > 1:
            raise MetricInputError(f'SingleLabelMetric got samples with different num_classes '
                                   f'{sorted(sample_classes)}; set num_classes in the metric.')
        num_classes = (self.num_classes or (lengths.pop() if lengths else None)
                       or (sample_classes.pop() if sample_classes else None))
        if num_classes is None:
            raise MetricInputError(
                'SingleLabelMetric cannot tell the number of classes: the samples carry '
                'pred_label but no pred_score. Please specify the `num_classes`, e.g. '
                "val_evaluator = dict(type='SingleLabelMetric', num_classes=10).")
        stats = self.calculate(record_labels(results), target, average=self.average,
                               num_classes=num_classes)
        return self._named(stats, '')

    def _named(self, stats: Stats, suffix: str) -> Dict[str, Union[float, int, list]]:
        """The chosen items (in :data:`ITEMS` order) of one threshold's stats, named."""
        if self.average == 'micro':
            suffix += '_micro'
        elif self.average is None:
            suffix += '_classwise'
        return {item + suffix: value.tolist() if self.average is None else value.item()
                for item, value in zip(ITEMS, stats) if item in self.items}

    @staticmethod
    def calculate(pred: ArrayLike, target: ArrayLike, thrs: Thrs = (0.,),
                  average: Optional[str] = 'macro',
                  num_classes: Optional[int] = None) -> Union[Stats, List[Stats]]:
        """Precision, recall, F1 (percent) and support from scores or labels.

        Args:
            pred: scores ``(N, C)``, or predicted labels ``(N,)``; a tensor, numpy array or list.
            target: labels ``(N,)``.
            thrs: score thresholds; a top-1 score not above one is no prediction (scores only).
            average: ``'macro'``, ``'micro'`` or None (per class).
            num_classes: C; required when ``pred`` holds labels.

        Returns:
            From scores, one ``(precision, recall, f1_score, support)`` tuple per threshold; from
            labels, one tuple (``thrs`` does not apply). Each value is a 0-d tensor when
            averaged, a ``(C,)`` tensor when ``average`` is None; support is a count.
        """
        average = _check_average(average)
        num_classes = _check_num_classes(num_classes)
        pred = to_tensor(pred, 'pred', 'SingleLabelMetric.calculate')
        target = to_tensor(target, 'target', 'SingleLabelMetric.calculate').long()
        if pred.ndim not in (1, 2) or target.ndim != 1 or len(pred) != len(target):
            raise ValueError(f'pred must be scores (N, C) or labels (N,), and target labels '
                             f'(N,); got {tuple(pred.shape)} and {tuple(target.shape)}.')
        if pred.ndim == 2:
            if num_classes is not None and num_classes != pred.shape[1]:
                raise MetricInputError(f'num_classes={num_classes} but the scores have '
                                       f'{pred.shape[1]} classes.')
            num_classes = pred.shape[1]
        elif num_classes is None:
            raise MetricInputError('Please specify the `num_classes` if `pred` holds labels '
                                   'instead of scores (N, C).')
        labels = pred.float().argmax(dim=1) if pred.ndim == 2 else pred.long()
        for name, values in (('pred', labels), ('target', target)):
            if values.numel() and (int(values.min()) < 0 or int(values.max()) >= num_classes):
                raise ValueError(f'{name} labels must be in [0, {num_classes}); got '
                                 f'[{int(values.min())}, {int(values.max())}].')
        if pred.ndim == 1:
            return _stats(labels, torch.ones_like(labels, dtype=torch.bool), target,
                          num_classes, average)
        top_score = pred.float().max(dim=1).values
        return [_stats(labels, torch.ones_like(labels, dtype=torch.bool) if thr is None
                       else top_score > thr, target, num_classes, average)
                for thr in as_thrs(thrs)]
