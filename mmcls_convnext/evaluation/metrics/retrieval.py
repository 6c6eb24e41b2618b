"""Retrieval metrics: ``RetrievalRecall`` (Recall@k) and ``RetrievalAveragePrecision`` (mAP@k).

Each evaluated sample is a query: its ``pred_score`` holds one similarity per gallery item
(what :class:`~mmcls_convnext.models.retrievers.ImageToImageRetriever` predicts) and its
``gt_label`` the indices of the relevant gallery items (or ``gt_score``: a 0/1 vector over the
gallery). Scores are reduced per batch, so the (queries x gallery) matrix is never kept whole.
"""
from numbers import Integral
from typing import List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmcls_convnext.registry import METRICS

from .utils import MetricInputError

Ranked = Union[torch.Tensor, np.ndarray, Sequence]
IR_MODES = ('IR', 'integrate')


class RetrievalTopkError(RuntimeError, ValueError):
    """``topk`` is larger than the gallery (also the ``RuntimeError`` torch raises for it)."""


def _check_topk(topk, caller: str) -> tuple:
    ks = (topk, ) if isinstance(topk, Integral) else topk
    if ks is None or isinstance(ks, (str, bytes)) or not isinstance(ks, Sequence) or not ks \
            or any(not isinstance(k, Integral) or k <= 0 for k in ks):
        raise ValueError(f'`topk` must be a integer larger than 0 or a sequence of integers '
                         f'larger than 0 ({caller}); got {topk!r}.')
    return tuple(int(k) for k in ks)


def _is_indices(item) -> bool:
    if isinstance(item, (np.ndarray, torch.Tensor)):
        return True
    return isinstance(item, Sequence) and not isinstance(item, (str, bytes)) and all(
        isinstance(v, Integral) for v in item)


def _index_lists(value, name: str) -> List[np.ndarray]:
    """``pred`` / ``target`` given as one index list per query (``<name>_indices=True``)."""
    if not isinstance(value, Sequence) or isinstance(value, (str, bytes)):
        raise MetricInputError(f'`{name}` must be Sequence of indices when `{name}_indices` is '
                               f'True; got {type(value).__name__}.')
    out = []
    for i, item in enumerate(value):
        if not _is_indices(item):
            raise MetricInputError(f'`{name}` should be Sequence of indices when '
                                   f'`{name}_indices` is True; item {i} is '
                                   f'{type(item).__name__}.')
        out.append(np.asarray(item.cpu() if isinstance(item, torch.Tensor) else item))
    return out


def _ranked_indices(pred: Ranked, keep: Optional[int], is_indices: bool) -> List[np.ndarray]:
    """Per query, the gallery indices ranked best first (at most ``keep`` of them)."""
    if is_indices:
        return [item[:keep] if keep else item for item in _index_lists(pred, 'pred')]
    if isinstance(pred, np.ndarray):
        pred = torch.from_numpy(pred)
    elif isinstance(pred, Sequence) and not isinstance(pred, (str, bytes)):
        pred = torch.as_tensor(pred)
    elif not isinstance(pred, torch.Tensor):
        raise MetricInputError(f'`pred` must be Sequence of indices (pred_indices=True) or '
                               f'scores as a tensor or numpy array; got {type(pred).__name__}.')
    if pred.dim() != 2:
        raise MetricInputError(f'`pred` scores must be (num_queries, num_gallery); got shape '
                               f'{tuple(pred.shape)}.')
    keep = keep or pred.size(1)
    if keep > pred.size(1):
        raise RetrievalTopkError(f'selected index k out of range: topk={keep} but the scores '
                                 f'rank only {pred.size(1)} gallery items; use topk values <= '
                                 f'{pred.size(1)}.')
    return [row.numpy() for row in pred.detach().cpu().topk(keep, dim=1).indices]


def _relevant_indices(target: Ranked, is_indices: bool) -> List[np.ndarray]:
    """Per query, the indices of its relevant gallery items."""
    if is_indices:
        return _index_lists(target, 'target')
    if isinstance(target, np.ndarray):
        target = torch.from_numpy(target)
    elif isinstance(target, Sequence) and not isinstance(target, (str, bytes)):
        target = torch.as_tensor(target)
    elif not isinstance(target, torch.Tensor):
        raise MetricInputError(f'`target` must be Sequence of indices (target_indices=True) or '
                               f'a 0/1 matrix as a tensor or numpy array; got '
                               f'{type(target).__name__}.')
    if target.dim() != 2:
        raise MetricInputError(f'`target` must be a (num_queries, num_gallery) 0/1 matrix; got '
                               f'shape {tuple(target.shape)}.')
    return [row.nonzero().reshape(-1).numpy() for row in target.detach().cpu()]


def _pairs(pred, target, keep, pred_indices, target_indices):
    ranked = _ranked_indices(pred, keep, pred_indices)
    relevant = _relevant_indices(target, target_indices)
    if len(ranked) != len(relevant):
        raise MetricInputError(f'Length of `pred` ({len(ranked)}) and `target` '
                               f'({len(relevant)}) must be the same.')
    return ranked, relevant


def _query_target(sample: dict) -> torch.Tensor:
    """The 0/1 relevance vector of one query sample (from gt_score, else gt_label)."""
    score = sample['pred_score']
    if 'gt_score' in sample:
        return torch.as_tensor(sample['gt_score']).detach().cpu()
    if 'gt_label' not in sample:
        raise MetricInputError('A retrieval metric needs gt_label (indices of the relevant '
                               'gallery items) or gt_score in every query sample.')
    labels = torch.as_tensor(sample['gt_label']).detach().cpu().long().reshape(-1)
    size = score.size(-1)
    if labels.numel() and (labels.min() < 0 or labels.max() >= size):
        raise MetricInputError(f'gt_label {labels.tolist()} is outside the gallery of {size} '
                               f'items the scores cover.')
    target = torch.zeros(size)
    target[labels] = 1
    return target


@METRICS.register_module()
class RetrievalRecall(BaseMetric):
    """Recall@k of image retrieval: the percentage of queries with at least one relevant
    gallery item among the k best-scored ones.

    Args:
        topk: k, or several (each reported as ``retrieval/Recall@k``).
        collect_device: ``'cpu'`` or ``'gpu'`` for collecting results across processes.
        prefix: metric-name prefix (default ``'retrieval'``).
    """
    default_prefix: Optional[str] = 'retrieval'

    def __init__(self, topk: Union[int, Sequence[int]], collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        self.topk = _check_topk(topk, 'RetrievalRecall')
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            sample = sample if isinstance(sample, dict) else sample.to_dict()
            score = torch.as_tensor(sample['pred_score']).detach().cpu()
            target = _query_target(dict(sample, pred_score=score))
            hits = self.calculate(score.unsqueeze(0), target.unsqueeze(0), topk=self.topk)
            self.results.append([float(h) for h in hits])

    def compute_metrics(self, results: List[List[float]]) -> dict:
        if not results:
            raise MetricInputError('RetrievalRecall got no query samples to evaluate.')
        return {f'Recall@{k}': sum(r[i] for r in results) / len(results)
                for i, k in enumerate(self.topk)}

    @staticmethod
    def calculate(pred: Ranked, target: Ranked, topk: Union[int, Sequence[int]],
                  pred_indices: bool = False, target_indices: bool = False
                  ) -> List[torch.Tensor]:
        """Recall@k (percent) for each k in ``topk``.

        Args:
            pred: scores ``(num_queries, num_gallery)``, or (``pred_indices=True``) per query
                the ranked gallery indices.
            target: 0/1 relevance ``(num_queries, num_gallery)``, or (``target_indices=True``)
                per query the relevant gallery indices.
            topk: k or several.

        Returns:
            One 0-d tensor per k.
        """
        ks = _check_topk(topk, 'RetrievalRecall.calculate')
        ranked, relevant = _pairs(pred, target, max(ks), pred_indices, target_indices)
        out = []
        for k in ks:
            hits = torch.tensor([float(np.isin(r[:k], rel).any())
                                 for r, rel in zip(ranked, relevant)])
            out.append(hits.mean() * 100)
        return out


def _sample_ap(ranked: np.ndarray, relevant: np.ndarray, mode: str) -> float:
    """AP (percent) of one query: mean over its relevant items of the precision at their rank
    (``'IR'``), or of the trapezoid between the precisions before and at it (``'integrate'``,
    the Oxford Buildings protocol). Relevant items beyond the ranked list count as 0."""
    positions = np.flatnonzero(np.isin(ranked, relevant))
    total = 0.
    for found, rank in enumerate(positions):
        precision = (found + 1) / (rank + 1)
        if mode == 'integrate':
            before = found / rank if rank > 0 else 1
            precision = (before + precision) / 2
        total += precision
    if len(relevant) == 0:
        return 0.
    return total / len(relevant) * 100


@METRICS.register_module()
class RetrievalAveragePrecision(BaseMetric):
    """mAP@k of image retrieval, reported as ``retrieval/mAP@k``.

    Args:
        topk: rank cut-off k (> 0).
        mode: ``'IR'`` (precision at each relevant rank) or ``'integrate'`` (trapezoid rule).
        collect_device, prefix: see :class:`RetrievalRecall`.
    """
    default_prefix: Optional[str] = 'retrieval'

    def __init__(self, topk: Optional[int] = None, mode: str = 'IR', collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        if topk is None or isinstance(topk, bool) or not isinstance(topk, Integral) or topk <= 0:
            raise ValueError(f'`topk` must be a integer larger than 0; got {topk!r}.')
        if mode not in IR_MODES:
            raise MetricInputError(f'Invalid `mode` argument {mode!r}, please specify from '
                                   f'{list(IR_MODES)}.')
        self.topk = int(topk)
        self.mode = mode
        super().__init__(collect_device=collect_device, prefix=prefix)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            sample = sample if isinstance(sample, dict) else sample.to_dict()
            score = torch.as_tensor(sample['pred_score']).detach().cpu()
            target = _query_target(dict(sample, pred_score=score))
            self.results.append(float(self.calculate(
                score.unsqueeze(0), target.unsqueeze(0), topk=self.topk, mode=self.mode)))

    def compute_metrics(self, results: List[float]) -> dict:
        if not results:
            raise MetricInputError('RetrievalAveragePrecision got no query samples to evaluate.')
        return {f'mAP@{self.topk}': float(np.mean(results))}

    @staticmethod
    def calculate(pred: Ranked, target: Ranked, topk: Optional[int] = None,
                  pred_indices: bool = False, target_indices: bool = False,
                  mode: str = 'IR') -> float:
        """mAP@k (percent) over the queries; arguments as :meth:`RetrievalRecall.calculate`."""
        if topk is None or (isinstance(topk, Integral) and topk <= 0):
            raise ValueError(f'`topk` must be a integer larger than 0; got {topk!r}.')
        if mode not in IR_MODES:
            raise MetricInputError(f'Invalid `mode` argument {mode!r}, please specify from '
                                   f'{list(IR_MODES)}.')
        ranked, relevant = _pairs(pred, target, int(topk), pred_indices, target_indices)
        aps = np.array([_sample_ap(r, rel, mode) for r, rel in zip(ranked, relevant)])
        return aps.mean()
