"""Classification heads."""
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.model import BaseModule

from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample

from ..errors import ModelConfigError, TargetError


def stack_targets(data_samples: Sequence[DataSample]) -> torch.Tensor:
    """Soft targets ``(N, C)`` if the samples carry ``gt_score``, else labels ``(N,)``."""
    if not data_samples:
        raise ValueError('A loss needs at least one data sample with a gt_label or gt_score.')
    if 'gt_score' in data_samples[0]:
        return torch.stack([s.gt_score for s in data_samples])
    missing = [i for i, s in enumerate(data_samples) if 'gt_label' not in s]
    if missing:
        raise ValueError(f'Data samples {missing[:5]} have no gt_label; a loss needs labels.')
    for i, sample in enumerate(data_samples):
        if sample.gt_label.numel() != 1:
            label = sample.gt_label.tolist()
            kind = ('a one-hot/multi-hot vector' if label and set(label) <= {0, 1}
                    else 'several class indices')
            where = sample.metainfo.get('img_path', f'sample {i} of the batch')
            raise TargetError(
                f'A single-label head got gt_label={label[:10]} ({kind}) for {where}: it needs '
                f'one class index per image. For multi-label data use MultiLabelLinearClsHead; '
                f'for one-hot targets pass the class index (or set_gt_score for soft targets).')
    return torch.cat([s.gt_label for s in data_samples])


def topk_accuracy(logits: torch.Tensor, labels: torch.Tensor,
                  topk: Tuple[int, ...]) -> List[torch.Tensor]:
    """Top-k accuracies in percent for hard labels."""
    maxk = min(max(topk), logits.shape[1])
    pred = logits.topk(maxk, dim=1).indices  # (N, maxk)
    hit = pred.eq(labels.view(-1, 1))
    return [hit[:, :min(k, maxk)].any(dim=1).float().mean() * 100 for k in topk]


@MODELS.register_module()
class ClsHead(BaseModule):
    """A head without parameters: the last backbone/neck output is the logits.

    Args:
        loss: loss config, built from the ``mmcls_convnext`` MODELS registry.
        topk: top-k accuracies reported with the loss when ``cal_acc`` is True.
        cal_acc: report training accuracy (hard labels only).
        init_cfg: mmengine init config.
    """

    def __init__(self, loss: Union[dict, nn.Module] = None, topk: Union[int, Tuple[int]] = (1,),
                 cal_acc: bool = False, init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if loss is None:
            loss = dict(type='CrossEntropyLoss', loss_weight=1.0)
        self.loss_module = loss if isinstance(loss, nn.Module) else MODELS.build(loss)
        self.topk = (topk,) if isinstance(topk, int) else tuple(topk)
        if not self.topk or any(not isinstance(k, int) or k < 1 for k in self.topk):
            raise ModelConfigError(f'topk must be positive ints; got {topk!r}.')
        self.cal_acc = cal_acc

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The feature the classifier layer consumes: the last of ``feats``."""
        return last_feature(feats)

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        return self.pre_logits(feats)

    def loss(self, feats: Tuple[torch.Tensor, ...], data_samples: Sequence[DataSample],
             **kwargs) -> dict:
        """Loss (and optional accuracy) of ``feats`` against the samples' targets."""
        cls_score = self(feats)
        target = stack_targets(data_samples).to(cls_score.device)
        losses = dict(loss=self.loss_module(cls_score, target, avg_factor=cls_score.size(0),
                                            **kwargs))
        if self.cal_acc:
            if target.dim() != 1:
                raise ModelConfigError(
                    'cal_acc=True needs hard labels, but the targets are soft (gt_score), as '
                    'after batch augmentation (Mixup/CutMix). Set cal_acc=False.')
            for k, acc in zip(self.topk, topk_accuracy(cls_score.detach(), target, self.topk)):
                losses[f'accuracy_top-{k}'] = acc
        return losses

    def predict(self, feats: Tuple[torch.Tensor, ...],
                data_samples: Optional[Sequence[Optional[DataSample]]] = None
                ) -> List[DataSample]:
        """Softmax scores and arg-max labels, one :class:`DataSample` per image."""
        cls_score = self(feats)
        scores = F.softmax(cls_score.float(), dim=1).detach()
        return with_predictions(data_samples, scores, scores.argmax(dim=1, keepdim=True))


def last_feature(feats: Union[torch.Tensor, Tuple[torch.Tensor, ...]]) -> torch.Tensor:
    """The last of a backbone's / neck's outputs (a lone tensor is itself): what a head's
    classifier layer consumes."""
    if isinstance(feats, torch.Tensor):
        return feats
    return feats[-1]


def with_predictions(data_samples: Optional[Sequence[Optional[DataSample]]],
                     scores: torch.Tensor, labels: Sequence[torch.Tensor]) -> List[DataSample]:
    """The samples (a new :class:`DataSample` where one is None, or for every image when
    ``data_samples`` is None) with each image's ``pred_score`` and ``pred_label`` set."""
    if data_samples is None:
        data_samples = [None] * scores.size(0)
    out = []
    for sample, score, label in zip(data_samples, scores, labels):
        sample = DataSample() if sample is None else sample
        sample.set_pred_score(score).set_pred_label(label)
        out.append(sample)
    return out


@MODELS.register_module()
class LinearClsHead(ClsHead):
    """A single ``nn.Linear`` (named ``fc``) on the last feature.

    Args:
        num_classes: number of classes.
        in_channels: width of the feature; must equal the backbone's ``num_features``.
        loss, topk, cal_acc: see :class:`ClsHead`.
        init_cfg: defaults to normal(std=0.01) on the Linear layer.
    """

    def __init__(self, num_classes: int, in_channels: int, loss: Optional[dict] = None,
                 topk: Union[int, Tuple[int]] = (1,), cal_acc: bool = False,
                 init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = dict(type='Normal', layer='Linear', std=0.01)
        super().__init__(loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ModelConfigError(f'LinearClsHead {name}={value!r} must be a positive int '
                                       f'(e.g. {name}=10).')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.fc = nn.Linear(in_channels, num_classes)

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        x = super().pre_logits(feats)
        if x.dim() != 2:
            raise ValueError(f'LinearClsHead expects pooled features (N, {self.in_channels}); '
                             f'got shape {tuple(x.shape)}. Use gap_before_final_norm=True or a '
                             f'GlobalAveragePooling neck.')
        return x

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        return self.fc(self.pre_logits(feats))
