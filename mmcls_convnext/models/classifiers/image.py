"""``ImageClassifier``: backbone -> [neck] -> head, with mmengine's BaseModel interface."""
import copy
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel

from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample

from ..errors import InvalidModeError, ModelConfigError, ModelConfigTypeError

MODES = ('tensor', 'loss', 'predict')
STAGES = ('backbone', 'neck', 'pre_logits')


def build_in_scope(cfg: Union[dict, nn.Module, None]) -> Optional[nn.Module]:
    """Build ``cfg`` from our MODELS registry (unprefixed types resolve in our scope)."""
    if cfg is None or isinstance(cfg, nn.Module):
        return cfg
    if not isinstance(cfg, dict):
        raise TypeError(f'Expected a config dict or nn.Module; got {type(cfg).__name__}.')
    return MODELS.build(copy.deepcopy(cfg))


@MODELS.register_module()
class ImageClassifier(BaseModel):
    """Image classifier.

    Args:
        backbone: backbone config, e.g. ``dict(type='ConvNeXt', arch='tiny')``.
        neck: optional neck config (e.g. ``dict(type='GlobalAveragePooling')``).
        head: optional head config; without one, ``forward`` returns features.
        pretrained: a checkpoint path or URL: MMPretrain's shortcut for
            ``init_cfg=dict(type='Pretrained', checkpoint=pretrained)`` (it replaces
            ``init_cfg``). ``init_weights()`` then loads it through
            :func:`mmcls_convnext.weights.load_model_weights`, the loader of
            ``get_model(pretrained=...)`` (verified download, strict keys, a head of another
            size skipped with one warning).
        train_cfg: ``dict(augments=[...], probs=...)`` hands batch augments to the data
            preprocessor.
        data_preprocessor: config of the :class:`ClsDataPreprocessor` (default one if None).
        init_cfg: mmengine init config of the whole model.
    """

    def __init__(self,
                 backbone: dict,
                 neck: Optional[dict] = None,
                 head: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 init_cfg: Optional[dict] = None):
        if pretrained is not None:
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
            if train_cfg is not None and train_cfg.get('augments'):
                data_preprocessor['batch_augments'] = dict(train_cfg)
            data_preprocessor = build_in_scope(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.train_cfg = train_cfg
        self.backbone = build_in_scope(backbone)
        self.neck = build_in_scope(neck)
        self.head = build_in_scope(head)
        self._check_widths(backbone, head)

    def _check_widths(self, backbone_cfg, head_cfg) -> None:
        width = getattr(self.backbone, 'num_features', None)
        in_channels = getattr(self.head, 'in_channels', None)
        neck_keeps_width = self.neck is None or type(self.neck).__name__ == 'GlobalAveragePooling'
        if width is None or in_channels is None or not neck_keeps_width:
            return
        if width != in_channels:
            arch = backbone_cfg.get('arch') if isinstance(backbone_cfg, dict) else None
            raise ValueError(
                f'head.in_channels={in_channels} does not match backbone.num_features={width} '
                f'(backbone arch={arch!r}, out_indices={getattr(self.backbone, "out_indices", "?")}'
                f'). Set head=dict(in_channels={width}).')

    @property
    def with_neck(self) -> bool:
        return self.neck is not None

    @property
    def with_head(self) -> bool:
        return self.head is not None

    def forward(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """Run the model.

        Args:
            inputs: normalised images ``(N, C, H, W)``.
            data_samples: per-image annotations (``'loss'``) or records to fill (``'predict'``).
            mode: ``'tensor'`` -> logits ``(N, num_classes)`` (features without a head);
                ``'loss'`` -> dict of losses; ``'predict'`` -> list of :class:`DataSample`.
        """
        if mode == 'tensor':
            feats = self.extract_feat(inputs)
            return self.head(feats) if self.with_head else feats
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise InvalidModeError(f'Invalid mode "{mode}": ImageClassifier.forward accepts one of '
                               f'{MODES}.')

    def extract_feat(self, inputs: torch.Tensor,
                     stage: str = 'neck') -> Union[Tuple[torch.Tensor, ...], torch.Tensor]:
        """Features of ``inputs`` after ``stage``.

        Args:
            inputs: ``(N, C, H, W)``.
            stage: ``'backbone'`` (tuple, one per backbone out index), ``'neck'`` (tuple; the
                backbone's when there is no neck) or ``'pre_logits'`` (the tensor the head's
                classifier layer sees).
        """
        if stage not in STAGES:
            raise ModelConfigError(
                f'Invalid stage {stage!r}: extract_feat accepts one of {STAGES}.')
        x = self.backbone(inputs)
        if stage == 'backbone':
            return x
        if self.with_neck:
            x = self.neck(x)
        if stage == 'neck':
            return x
        if not self.with_head or not hasattr(self.head, 'pre_logits'):
            raise ModelConfigError(
                "No head or the head has no pre_logits(): extract_feat(stage='pre_logits') needs "
                "a head such as LinearClsHead; use stage='neck' for a model without one.")
        return self.head.pre_logits(x)

    def extract_feats(self, multi_inputs: Sequence[torch.Tensor],
                      stage: str = 'neck') -> List[Union[Tuple[torch.Tensor, ...], torch.Tensor]]:
        """:meth:`extract_feat` of each batch in ``multi_inputs`` (e.g. test-time augmented views).

        Args:
            multi_inputs: a list/tuple of ``(N, C, H, W)`` batches.
            stage: see :meth:`extract_feat`.

        Returns:
            One :meth:`extract_feat` result per batch, in order.
        """
        if not isinstance(multi_inputs, (list, tuple)):
            raise ModelConfigTypeError(
                f'extract_feats takes a list or tuple of input batches; got '
                f'{type(multi_inputs).__name__}. For a single batch, use `extract_feat` instead.')
        return [self.extract_feat(inputs, stage=stage) for inputs in multi_inputs]

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        if not self.with_head:
            raise ValueError('ImageClassifier has no head: cannot compute a loss.')
        if data_samples is None:
            raise ValueError("forward(mode='loss') needs data_samples with gt_label/gt_score.")
        return self.head.loss(self.extract_feat(inputs), data_samples)

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[Sequence[DataSample]] = None) -> List[DataSample]:
        if not self.with_head:
            raise ValueError('ImageClassifier has no head: cannot predict classes.')
        return self.head.predict(self.extract_feat(inputs), data_samples)

    def get_layer_depth(self, param_name: str) -> Tuple[int, int]:
        """Layer id and layer count of ``param_name`` for layer-wise lr decay."""
        if not hasattr(self.backbone, 'get_layer_depth'):
            raise NotImplementedError(f'{type(self.backbone).__name__} has no get_layer_depth().')
        return self.backbone.get_layer_depth(param_name, 'backbone.')
