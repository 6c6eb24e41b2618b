"""Multi-label heads: sigmoid scores per class, labels above a threshold or the top-k.

A multi-label sample carries its classes as an index list ``gt_label`` (e.g. ``[0, 3]``; turned
into a multi-hot target of ``num_classes`` columns), or a ``gt_score`` vector ``(C,)`` used as
the target as it is. ``predict`` sets ``pred_score`` (sigmoid, ``(C,)``) and ``pred_label`` (the
indices with ``score >= thr``, or the ``topk`` best when no threshold is set).
"""
from numbers import Real
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample, DataSampleError, format_label, label_to_onehot

from ..errors import ModelConfigError, TargetError
from .cls_head import last_feature, with_predictions


def check_thr(thr: Optional[float], owner: str) -> Optional[float]:
    """``thr`` as a float in [0, 1] (None stays None).

    Raises:
        ModelConfigError: a non-number or a value outside [0, 1].
    """
    if thr is None:
        return None
    if isinstance(thr, bool) or not isinstance(thr, Real) or not 0 <= thr <= 1:
        raise ModelConfigError(f'{owner} thr={thr!r} must be a number in [0, 1] (a sigmoid '
                               f'score), e.g. thr=0.5.')
    return float(thr)


def check_topk(topk: Optional[int], owner: str, num_classes: Optional[int] = None
               ) -> Optional[int]:
    """``topk`` as a positive int (not above ``num_classes`` when that is known)."""
    if topk is None:
        return None
    if isinstance(topk, bool) or not isinstance(topk, int) or topk < 1:
        raise ModelConfigError(f'{owner} topk={topk!r} must be a positive int, e.g. topk=3.')
    if num_classes is not None and topk > num_classes:
        raise ModelConfigError(f'{owner} topk={topk} is more than num_classes={num_classes}.')
    return topk


def multi_hot_targets(data_samples: Sequence[DataSample], num_classes: int,
                      owner: str) -> torch.Tensor:
    """Float ``(N, num_classes)`` targets: the samples' ``gt_score`` if they carry one, else their
    ``gt_label`` index lists as multi-hot rows.

    Raises:
        TargetError: no samples, a sample without labels, a gt_score of another length, or a
            label index outside ``[0, num_classes)`` (naming the sample and the index).
    """
    if not data_samples:
        raise TargetError(f'{owner}.loss needs at least one data sample.')
    if 'gt_score' in data_samples[0]:
        scores = [s.gt_score for s in data_samples]
        bad = [i for i, s in enumerate(scores) if s.shape != (num_classes,)]
        if bad:
            raise TargetError(f'{owner}: gt_score of sample {bad[0]} has shape '
                              f'{tuple(scores[bad[0]].shape)}, expected ({num_classes},).')
        return torch.stack(scores).float()
    labels = []
    for i, sample in enumerate(data_samples):
        if 'gt_label' not in sample:
            raise TargetError(f'{owner}: data sample {i} has neither gt_label nor gt_score.')
        labels.append(format_label(sample.gt_label))
    flat = torch.cat(labels)
    if flat.numel() and (int(flat.min()) < 0 or int(flat.max()) >= num_classes):
        for i, (sample, label) in enumerate(zip(data_samples, labels)):
            try:  # the first sample out of range, named with its index and file
                label_to_onehot(label, num_classes)
            except DataSampleError as err:
                path = sample.metainfo.get('img_path', f'sample {i} of the batch')
                raise TargetError(f'{owner}: multi-label annotation of {path}: {err}') from None
    # one scatter for the batch: row i gets a 1 at each of its label indices
    rows = torch.repeat_interleave(torch.arange(len(labels)),
                                   torch.tensor([len(label) for label in labels]))
    targets = torch.zeros(len(labels), num_classes)
    targets[rows, flat] = 1
    return targets


@MODELS.register_module()
class MultiLabelClsHead(BaseModule):
    """A multi-label head without parameters: the last feature is the logits.

    Args:
        loss: loss config; defaults to ``CrossEntropyLoss(use_sigmoid=True)`` (binary CE).
        thr: score threshold in [0, 1]; a class with ``sigmoid >= thr`` is predicted.
        topk: predict the k best classes (used only when ``thr`` is None).
        init_cfg: mmengine init config.

    When both ``thr`` and ``topk`` are None, ``thr=0.5``; when both are set, ``thr`` decides.
    """

    def __init__(self, loss: Union[dict, nn.Module, None] = None, thr: Optional[float] = None,
                 topk: Optional[int] = None, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        if loss is None:
            loss = dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0)
        elif not isinstance(loss, (dict, nn.Module)):
            raise ModelConfigError(f'{owner} loss must be a config dict or a module; got '
                                   f'{loss!r}.')
        self.loss_module = loss if isinstance(loss, nn.Module) else MODELS.build(loss)
        thr = check_thr(thr, owner)
        topk = check_topk(topk, owner)
        if thr is None and topk is None:
            thr = 0.5
        self.thr = thr
        self.topk = topk

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The feature the classifier consumes: the last of ``feats``."""
        return last_feature(feats)

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        return self.pre_logits(feats)

    def loss(self, feats: Tuple[torch.Tensor, ...], data_samples: Sequence[DataSample],
             **kwargs) -> dict:
        """``dict(loss=...)`` of the logits against multi-hot targets."""
        cls_score = self(feats)
        target = multi_hot_targets(data_samples, cls_score.shape[-1],
                                   type(self).__name__).to(cls_score.device)
        return dict(loss=self.loss_module(cls_score, target, avg_factor=cls_score.size(0),
                                          **kwargs))

    def predict(self, feats: Tuple[torch.Tensor, ...],
                data_samples: Optional[Sequence[Optional[DataSample]]] = None
                ) -> List[DataSample]:
        """Sigmoid scores and the predicted label indices, one :class:`DataSample` per image."""
        return self._predict(self(feats), data_samples)

    def _predict(self, cls_score: torch.Tensor,
                 data_samples: Optional[Sequence[Optional[DataSample]]]) -> List[DataSample]:
        scores = torch.sigmoid(cls_score.float()).detach()
        if self.thr is not None:
            labels = [torch.nonzero(score >= self.thr).reshape(-1) for score in scores]
        else:
            labels = [score.topk(min(self.topk, score.numel())).indices for score in scores]
        return with_predictions(data_samples, scores, labels)


@MODELS.register_module()
class MultiLabelLinearClsHead(MultiLabelClsHead):
    """A multi-label head with one ``nn.Linear`` (named ``fc``) on the pooled feature.

    Args:
        num_classes: number of classes.
        in_channels: width of the feature; must equal the backbone's ``num_features``.
        loss, thr, topk: see :class:`MultiLabelClsHead`.
        init_cfg: defaults to normal(std=0.01) on the Linear layer.
    """

    def __init__(self, num_classes: int, in_channels: int, loss: Optional[dict] = None,
                 thr: Optional[float] = None, topk: Optional[int] = None,
                 init_cfg: Optional[dict] = None):
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ModelConfigError(f'{type(self).__name__} {name}={value!r} must be a '
                                       f'positive int (e.g. {name}=20).')
        check_topk(topk, type(self).__name__, num_classes)
        if init_cfg is None:
            init_cfg = dict(type='Normal', layer='Linear', std=0.01)
        super().__init__(loss=loss, thr=thr, topk=topk, init_cfg=init_cfg)
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.fc = nn.Linear(in_channels, num_classes)

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        x = super().pre_logits(feats)
        if x.dim() != 2:
            raise ValueError(f'{type(self).__name__} expects pooled features (N, '
                             f'{self.in_channels}); got shape {tuple(x.shape)}. Use '
                             f'gap_before_final_norm=True or a GlobalAveragePooling neck.')
        return x

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        return self.fc(self.pre_logits(feats))
