"""Top-k accuracy (percent), with MMPretrain's keys ``accuracy/top1``, ``accuracy/top5``."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
from mmengine.evaluator import BaseMetric

from mmcls_convnext.registry import METRICS

from .utils import as_dict, gt_label_of, pred_label_of, pred_score_of

Thrs = Union[float, None, Sequence[Optional[float]]]


@METRICS.register_module()
class Accuracy(BaseMetric):
    """Top-k accuracy in percent.

    A sample counts as correct at k when its class is among the k highest scores and that score
    exceeds the threshold (``thrs``; None means no threshold). Ground truth is ``gt_label``, or
    the argmax of ``gt_score`` (soft targets). Predictions are ``pred_score`` (any k) or
    ``pred_label`` (top-1 only). k larger than the number of classes is clamped to it.

    Keys: ``top{k}``, plus ``_thr-{t:.2f}`` / ``_no-thr`` when several thresholds are given,
    prefixed with ``accuracy/``.

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
        topk = (topk,) if isinstance(topk, int) else tuple(topk)
        if not topk or not all(isinstance(k, int) and k >= 1 for k in topk):
            raise ValueError(f'topk must be positive ints; got {topk!r}.')
        self.topk = topk
        self.thrs = (thrs,) if thrs is None or isinstance(thrs, (int, float)) else tuple(thrs)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            sample = as_dict(sample)
            score = pred_score_of(sample)
            result = dict(gt_label=gt_label_of(sample))
            if score is not None:
                result['pred_score'] = score
            else:
                result['pred_label'] = pred_label_of(sample)
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> dict:
        target = torch.tensor([r['gt_label'] for r in results], dtype=torch.long)
        if all('pred_score' in r for r in results):
            pred = torch.stack([r['pred_score'] for r in results])
            table = self.calculate(pred, target, self.topk, self.thrs)
        else:
            if max(self.topk) > 1:
                raise ValueError(f'Accuracy(topk={self.topk}) needs pred_score; the samples '
                                 'only carry pred_label, which allows topk=(1,) only.')
            pred_label = torch.tensor([int(r['pred_score'].argmax()) if 'pred_score' in r
                                       else r['pred_label'] for r in results])
            table = [[float((pred_label == target).float().mean() * 100)] * len(self.thrs)]
        metrics = {}
        for k, row in zip(self.topk, table):
            for thr, value in zip(self.thrs, row):
                name = f'top{k}'
                if len(self.thrs) > 1:
                    name += '_no-thr' if thr is None else f'_thr-{thr:.2f}'
                metrics[name] = value
        return metrics

    @staticmethod
    def calculate(pred: torch.Tensor, target: torch.Tensor, topk: Tuple[int, ...] = (1,),
                  thrs: Tuple[Optional[float], ...] = (0.,)) -> List[List[float]]:
        """Accuracy table ``[k][thr]`` in percent.

        Args:
            pred: scores (N, C).
            target: labels (N,).
        """
        if pred.ndim != 2 or target.shape != (pred.shape[0],):
            raise ValueError(f'pred must be (N, C) and target (N,); got {tuple(pred.shape)} and '
                             f'{tuple(target.shape)}.')
        num = pred.shape[0]
        maxk = min(max(topk), pred.shape[1])
        scores, labels = pred.topk(maxk, dim=1)  # (N, maxk), best first
        hit = labels == target[:, None]
        table = []
        for k in topk:
            row = []
            for thr in thrs:
                ok = hit if thr is None else hit & (scores > thr)
                row.append(float(ok[:, :min(k, maxk)].any(dim=1).float().sum() * 100 / num))
            table.append(row)
        return table
