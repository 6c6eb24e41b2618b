"""Top-k accuracy (percent), with MMPretrain's keys ``accuracy/top1``, ``accuracy/top5``."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import BaseMetric

from mmcls_convnext.registry import METRICS

from .utils import (
    ArrayLike,
    MetricInputError,
    Thrs,
    as_thrs,
    prediction_record,
    record_labels,
    to_tensor,
)


def _as_topk(topk: Union[int, Sequence[int]]) -> Tuple[int, ...]:
    topk = (topk,) if isinstance(topk, int) else tuple(topk)
    if not topk or not all(isinstance(k, int) and not isinstance(k, bool) and k >= 1
                           for k in topk):
        raise MetricInputError(f'topk must be positive ints; got {topk!r}.')
    return topk


@METRICS.register_module()
class Accuracy(BaseMetric):
    """Top-k accuracy in percent.

    A sample counts as correct at k when its class is among the k highest scores and that score
    exceeds the threshold (``thrs``; None means no threshold). Ground truth is ``gt_label``, or
    the argmax of ``gt_score`` (soft targets). Predictions are ``pred_score`` (any k, and
    thresholds) or, for samples without one, ``pred_label`` (top-1 only, no threshold). A k
    larger than the number of classes is an error that names the config field to fix.

    Keys: ``top{k}``, plus ``_thr-{t:.2f}`` / ``_no-thr`` when several thresholds are given,
    prefixed with ``accuracy/``; from labels only, just ``top1``.

    Args:
        topk: the k values.
        thrs: one threshold or several.
        collect_device: ``'cpu'`` or ``'gpu'``, for gathering results across ranks.
        prefix: key prefix; defaults to ``'accuracy'``.
    """

    default_prefix: Optional[str] = 'accuracy'

    def __init__(self, topk: Union[int, Sequence[int]] = (1,), thrs: Thrs = 0.,
                 collect_device: str = 'cpu', prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = _as_topk(topk)
        self.thrs = as_thrs(thrs)

    def process(self, data_batch, data_samples: Sequence) -> None:
        self.results.extend(prediction_record(sample) for sample in data_samples)

    def compute_metrics(self, results: List[dict]) -> dict:
        if not results:
            raise MetricInputError('Accuracy got no samples: the evaluation dataloader yielded '
                                   'nothing.')
        target = torch.tensor([r['gt_label'] for r in results], dtype=torch.long)
        if all('pred_score' in r for r in results):
            return self._from_scores(torch.stack([r['pred_score'] for r in results]), target)
        if max(self.topk) > 1:
            raise MetricInputError(f'Accuracy(topk={self.topk}) needs pred_score; the samples '
                                   'only carry pred_label, which allows topk=(1,) only.')
        return dict(top1=float(self.calculate(record_labels(results), target)))

    def _from_scores(self, pred: torch.Tensor, target: torch.Tensor) -> dict:
        num_classes = pred.shape[1]
        if max(self.topk) > num_classes:
            raise MetricInputError(
                f'Accuracy(topk={self.topk}): top-{max(self.topk)} accuracy is unavailable since '
                f'the predictions have {num_classes} classes. Use topk values <= {num_classes}: '
                f'please check the `val_evaluator` and `test_evaluator` fields in your config '
                f'file.')
        table = self.calculate(pred, target, self.topk, self.thrs)
        metrics = {}
        for k, row in zip(self.topk, table):
            for thr, value in zip(self.thrs, row):
                name = f'top{k}'
                if len(self.thrs) > 1:
                    name += '_no-thr' if thr is None else f'_thr-{thr:.2f}'
                metrics[name] = float(value)
        return metrics

    @staticmethod
    def calculate(pred: ArrayLike, target: ArrayLike,
                  topk: Union[int, Sequence[int]] = (1,),
                  thrs: Thrs = (0.,)) -> Union[torch.Tensor, List[List[torch.Tensor]]]:
        """Accuracy in percent from scores or labels (tensors, numpy arrays or lists).

        Args:
            pred: scores ``(N, C)``, or predicted labels ``(N,)``.
            target: labels ``(N,)``.
            topk: the k values (scores only).
            thrs: score thresholds; None means no threshold (scores only).

        Returns:
            From scores, a table ``[k][thr]`` of 1-element tensors; from labels, one 1-element
            tensor (``topk`` and ``thrs`` do not apply).
        """
        pred = to_tensor(pred, 'pred', 'Accuracy.calculate')
        target = to_tensor(target, 'target', 'Accuracy.calculate')
        if pred.ndim not in (1, 2) or target.ndim != 1 or len(pred) != len(target):
            raise ValueError(f'pred must be scores (N, C) or labels (N,), and target labels '
                             f'(N,); got {tuple(pred.shape)} and {tuple(target.shape)}.')
        num = len(target)
        if pred.ndim == 1:
            return (pred.long() == target.long()).float().sum(0, keepdim=True) * 100 / num
        topk, thrs = _as_topk(topk), as_thrs(thrs)
        maxk = max(topk)
        if maxk > pred.shape[1]:
            raise MetricInputError(f'Top-{maxk} accuracy is unavailable since the number of '
                                   f'categories is {pred.shape[1]}; use topk values <= '
                                   f'{pred.shape[1]}.')
        scores, labels = pred.float().topk(maxk, dim=1)  # (N, maxk), best first
        hit = labels == target.long()[:, None]
        table = []
        for k in topk:
            row = []
            for thr in thrs:
                ok = hit if thr is None else hit & (scores > thr)
                row.append(ok[:, :k].any(dim=1).float().sum(0, keepdim=True) * 100 / num)
            table.append(row)
        return table
