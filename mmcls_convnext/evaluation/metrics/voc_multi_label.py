"""PASCAL VOC multi-label metrics: labels that occur only on "difficult" objects of an image
(metainfo ``gt_label_difficult``, set by the VOC dataset) are ignored, counted as positives or
as negatives (``difficult_as_positive`` None / True / False)."""
from typing import Optional, Sequence

import torch

from mmcls_convnext.registry import METRICS

from .multi_label import AveragePrecision, MultiLabelMetric, multi_label_record
from .utils import as_dict


class VOCMetricMixin:
    """``process`` that marks difficult-only labels of each sample in its multi-hot target."""

    def __init__(self, *args, difficult_as_positive: Optional[bool] = None, **kwargs) -> None:
        if difficult_as_positive not in (None, True, False):
            raise TypeError(f'difficult_as_positive must be None (ignore difficult labels), True '
                            f'or False; got {difficult_as_positive!r}.')
        self.difficult_as_positive = difficult_as_positive
        super().__init__(*args, **kwargs)

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            sample = as_dict(sample)
            record = multi_label_record(sample, type(self).__name__)
            difficult = sample.get('gt_label_difficult')
            if difficult is not None and self.difficult_as_positive is not False:
                gt_label = sample.get('gt_label')
                plain = set() if gt_label is None else set(
                    torch.as_tensor(gt_label).reshape(-1).tolist())
                # a class with a plain object in the image is a plain positive
                only_difficult = sorted({int(c) for c in torch.as_tensor(
                    difficult).reshape(-1).tolist()} - plain)
                record['gt_score'][only_difficult] = (
                    1 if self.difficult_as_positive else -1)
            self.results.append(record)


@METRICS.register_module()
class VOCMultiLabelMetric(VOCMetricMixin, MultiLabelMetric):
    """:class:`MultiLabelMetric` for VOC (MMPretrain's ``VOCMultiLabelMetric``).

    Args:
        difficult_as_positive: None (default) ignores difficult-only labels, True counts them
            as positives, False as negatives.
        **kwargs: see :class:`MultiLabelMetric`.
    """


@METRICS.register_module()
class VOCAveragePrecision(VOCMetricMixin, AveragePrecision):
    """:class:`AveragePrecision` for VOC (MMPretrain's ``VOCAveragePrecision``).

    Args:
        difficult_as_positive: None (default) ignores difficult-only labels, True counts them
            as positives, False as negatives.
        **kwargs: see :class:`AveragePrecision`.
    """
