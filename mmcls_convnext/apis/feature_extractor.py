"""``FeatureExtractor``: per-image backbone/neck/pre-logits features with eval preprocessing."""
import os
from typing import List, Optional, Tuple, Union

import torch
from mmengine.config import Config
from torch import nn

from mmcls_convnext.models.classifiers.image import STAGES

from .base_inferencer import BaseInferencer
from .pipeline import InputsType


class FeatureExtractor(BaseInferencer):
    """Extract features of images.

    Args:
        model: a built model, a zoo name, a config path or a Config.
        pretrained: for a name/config: True (zoo weights), False, or a path/URL; for a built
            model, a path/URL is loaded into it (strict) and True/False change nothing.
        device: default CUDA when available, else CPU.
        stage: ``'backbone'`` (tuple, one tensor per backbone out index), ``'neck'`` or
            ``'pre_logits'`` (the vector the classifier sees).
        **kwargs: model-config overrides for :func:`get_model`, e.g. all four stages as maps:
            ``backbone=dict(out_indices=(0, 1, 2, 3), gap_before_final_norm=False)`` (the extra
            output norms start at LayerNorm init: weight 1, bias 0).

    Example:
        >>> extractor = FeatureExtractor('convnext-tiny_32xb128_in1k', stage='backbone',
        ...     backbone=dict(out_indices=(0, 1, 2, 3), gap_before_final_norm=False))
        >>> [f.shape for f in extractor('demo/demo.JPEG')[0]]
    """

    progress_label = 'Features'

    def __init__(self, model: Union[nn.Module, str, os.PathLike, Config],
                 pretrained: Union[bool, str] = True, device: Optional[str] = None,
                 stage: str = 'backbone', **kwargs) -> None:
        if stage not in STAGES:
            raise ValueError(f'Unknown stage {stage!r}; choose one of {STAGES}.')
        super().__init__(model, pretrained, device, **kwargs)
        self.stage = stage

    @torch.no_grad()
    def __call__(self, inputs: InputsType, batch_size: int = 1,
                 show_progress: Optional[bool] = None) -> List[Tuple[torch.Tensor, ...]]:
        """Features of each input image, in order.

        Returns:
            Per image, a tuple of CPU tensors without the batch dimension, e.g. for
            ``stage='backbone'`` with ``out_indices=(0, 1, 2, 3), gap_before_final_norm=False``
            at 224 px on tiny: (96, 56, 56), (192, 28, 28), (384, 14, 14), (768, 7, 7).
        """
        return [features for _, _, features in self.iterate(inputs, batch_size, show_progress)]

    def forward(self, data: dict) -> List[Tuple[torch.Tensor, ...]]:
        """One preprocessed batch -> per image, a tuple of CPU feature tensors (no batch dim)."""
        data = self.model.data_preprocessor(data, False)
        feats = self.model.extract_feat(data['inputs'], stage=self.stage)
        if isinstance(feats, torch.Tensor):
            feats = (feats, )
        return [tuple(f[i].detach().cpu() for f in feats) for i in range(len(data['inputs']))]
