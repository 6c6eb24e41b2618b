"""Angular-margin heads for metric learning: ``ArcFaceClsHead`` (ArcFace, Deng et al., CVPR 2019;
sub-center ArcFace, Deng et al., ECCV 2020)."""
import math
import os.path as osp
from numbers import Real
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample

from ..errors import ModelConfigError, ModelConfigTypeError
from .cls_head import ClsHead


class NormProduct(nn.Linear):
    """Cosine similarity between (normalised) features and (normalised) class weights.

    With ``k > 1`` sub-centres per class the layer holds ``out_features * k`` weight rows and
    each class keeps the largest cosine over its sub-centres.

    Args:
        in_features: feature width.
        out_features: number of classes.
        k: sub-centres per class.
        bias: add a bias (off for ArcFace).
        feature_norm: L2-normalise the features.
        weight_norm: L2-normalise the weight rows.
    """

    def __init__(self, in_features: int, out_features: int, k: int = 1, bias: bool = False,
                 feature_norm: bool = True, weight_norm: bool = True) -> None:
        super().__init__(in_features, out_features * k, bias=bias)
        self.out_features = out_features
        self.k = k
        self.feature_norm = feature_norm
        self.weight_norm = weight_norm

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.feature_norm:
            x = F.normalize(x)
        weight = F.normalize(self.weight) if self.weight_norm else self.weight
        cosine = F.linear(x, weight, self.bias)
        if self.k == 1:
            return cosine
        return cosine.view(-1, self.out_features, self.k).max(dim=2).values


def _read_margins(path: str) -> List[float]:
    if not osp.isfile(path):
        raise ModelConfigError(f'ArcFaceClsHead margins file {path!r} does not exist (a .txt file '
                               f'with one margin per line, one line per class is expected).')
    values = []
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, start=1):
            line = line.strip()
            if not line:
                continue
            try:
                values.append(float(line))
            except ValueError:
                raise ModelConfigError(f'{path}, line {number}: {line!r} is not a number (one '
                                       f'margin per line is expected).') from None
    return values


@MODELS.register_module()
class ArcFaceClsHead(ClsHead):
    """ArcFace head: logits ``scale * cos(theta + m)`` for the true class, ``scale * cos(theta)``
    for the others, where ``theta`` is the angle between the normalised feature and class weight.

    Without a target (prediction) the logits are ``scale * cos(theta)``.

    Args:
        num_classes: number of classes (>= 0).
        in_channels: feature width.
        num_subcenters: sub-centres per class (sub-center ArcFace when > 1).
        scale: ``s``, the logit scale.
        margins: the additive angular margin ``m``: one float for every class, a sequence with
            one per class, or the path of a ``.txt`` file with one per line
            (:class:`~mmcls_convnext.engine.hooks.SetAdaptiveMarginsHook` sets them from the
            class frequencies).
        easy_margin: apply the margin only where ``cos(theta) > 0`` (else keep ``cos(theta)``);
            by default a linear fallback ``cos(theta) - sin(pi - m) * m`` is used where
            ``theta + m`` would pass ``pi``.
        loss: loss config (cross-entropy by default).
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 num_subcenters: int = 1,
                 scale: float = 64.,
                 margins: Union[float, Sequence[float], str] = 0.50,
                 easy_margin: bool = False,
                 loss: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None) -> None:
        # loss None: CrossEntropyLoss(loss_weight=1.0), MMPretrain's default
        super().__init__(loss=loss, init_cfg=init_cfg)
        for name, value, low in (('num_classes', num_classes, 0), ('in_channels', in_channels, 1),
                                 ('num_subcenters', num_subcenters, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ModelConfigError(f'ArcFaceClsHead {name} must be an int >= {low}; got '
                                       f'{value!r}.')
        if isinstance(scale, bool) or not isinstance(scale, Real) or scale <= 0:
            raise ModelConfigError(f'ArcFaceClsHead scale must be a number > 0; got {scale!r}.')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.num_subcenters = num_subcenters
        self.scale = float(scale)
        self.easy_margin = easy_margin
        self.norm_product = NormProduct(in_channels, num_classes, num_subcenters)
        self.set_margins(margins)

    def _margin_list(self, margins) -> List[float]:
        if isinstance(margins, Real) and not isinstance(margins, bool):
            return [float(margins)] * self.num_classes
        if isinstance(margins, str):
            if not margins.endswith('.txt'):
                raise ModelConfigError(f'ArcFaceClsHead margins given as a string must be the '
                                       f'path of a .txt file; got {margins!r}.')
            values = _read_margins(margins)
        elif isinstance(margins, torch.Tensor) or hasattr(margins, 'tolist'):
            values = [float(v) for v in margins.tolist()]
        elif isinstance(margins, Sequence):
            bad = [v for v in margins if isinstance(v, bool) or not isinstance(v, Real)]
            if bad:
                raise ModelConfigTypeError(f'ArcFaceClsHead margins must all be numbers; got '
                                           f'{bad[0]!r} in {list(margins)!r}.')
            values = [float(v) for v in margins]
        else:
            raise ModelConfigTypeError(f'ArcFaceClsHead margins must be a float, a sequence of '
                                       f'floats or a .txt path; got {type(margins).__name__}.')
        if len(values) != self.num_classes:
            raise ModelConfigError(f'ArcFaceClsHead needs one margin per class: '
                                   f'{self.num_classes} classes but {len(values)} margins.')
        return values

    def set_margins(self, margins: Union[float, Sequence[float], str, torch.Tensor]) -> None:
        """Replace the per-class margins (and the constants derived from them)."""
        values = torch.tensor(self._margin_list(margins), dtype=torch.float32)
        device = self.margins.device if hasattr(self, 'margins') else None
        if device is not None:
            values = values.to(device)
        self.register_buffer('margins', values, persistent=False)
        self.register_buffer('sinm_m', torch.sin(values), persistent=False)
        self.register_buffer('cosm_m', torch.cos(values), persistent=False)
        # cos(theta) > th  <=>  theta + m < pi; below it the linear fallback cos - mm is used
        self.register_buffer('th', torch.cos(math.pi - values), persistent=False)
        self.register_buffer('mm', torch.sin(math.pi - values) * values, persistent=False)

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The last of ``feats`` (the embedding)."""
        if isinstance(feats, torch.Tensor):
            return feats
        return feats[-1]

    def _logits_with_margin(self, pre_logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        cosine = self.norm_product(pre_logits)
        if target.dim() == 1:
            labels = target.long()
            if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
                raise ValueError(f'ArcFaceClsHead got a label outside [0, {self.num_classes}): '
                                 f'{labels.tolist()}.')
            target = F.one_hot(labels, self.num_classes).to(cosine.dtype)
        elif target.shape != cosine.shape:
            raise ValueError(f'ArcFaceClsHead targets must be labels (N,) or scores '
                             f'(N, {self.num_classes}); got shape {tuple(target.shape)}.')
        target = target.to(cosine.dtype)
        theta = torch.acos(cosine.clamp(-1 + 1e-7, 1 - 1e-7))
        phi = torch.cos(theta + self.margins)
        if self.easy_margin:
            phi = torch.where(cosine > 0, phi, cosine)
        else:
            phi = torch.where(cosine > self.th, phi, cosine - self.mm)
        return target * phi + (1 - target) * cosine

    def forward(self, feats: Tuple[torch.Tensor, ...],
                target: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Scaled logits; with ``target`` (labels ``(N,)`` or soft scores ``(N, C)``) the margin
        is applied to the target class(es)."""
        pre_logits = self.pre_logits(feats)
        if target is None:
            logits = self.norm_product(pre_logits)
        else:
            logits = self._logits_with_margin(pre_logits, target.to(pre_logits.device))
        return self.scale * logits

    def loss(self, feats: Tuple[torch.Tensor, ...], data_samples: Sequence[DataSample],
             **kwargs) -> dict:
        if not data_samples:
            raise ValueError('ArcFaceClsHead.loss needs at least one data sample.')
        if 'gt_score' in data_samples[0]:  # soft targets after Mixup/CutMix
            target = torch.stack([s.gt_score for s in data_samples])
        else:
            missing = [i for i, s in enumerate(data_samples) if 'gt_label' not in s]
            if missing:
                raise ValueError(f'Data samples {missing[:5]} have no gt_label; a loss needs '
                                 f'labels.')
            target = torch.cat([s.gt_label[:1] for s in data_samples])
        cls_score = self(feats, target)
        target = target.to(cls_score.device)
        return dict(loss=self.loss_module(cls_score, target, avg_factor=cls_score.size(0),
                                          **kwargs))
