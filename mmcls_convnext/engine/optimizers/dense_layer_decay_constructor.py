"""MMDet/MMSeg's ConvNeXt layer decay: ``LearningRateDecayOptimizerConstructor``.

Same name, ``paramwise_cfg`` keys and learning rates as MMDetection/MMSegmentation's constructor,
so their ``optim_wrapper`` blocks work unchanged with our registry
(:class:`LearningRateDecayOptimWrapperConstructor` is MMPretrain's classification variant).

``paramwise_cfg``: ``num_layers`` (12 for ConvNeXt-S/B/L/XL, 6 for -T in their configs),
``decay_rate`` and ``decay_type``:

- ``'layer_wise'`` (default): id 0 = stem (``backbone.downsample_layers.0``); stage 0 -> 1;
  downsample 1 / stage 1 -> 2; downsample 2 -> 3; block j of stage 2 -> ``3 + j // 3``; stage 3
  and its downsample -> ``num_layers``; everything else (per-stage norms, neck, heads) ->
  ``num_layers + 1``.
- ``'stage_wise'``: downsamples -> 0; stage i -> ``i + 1``; everything else -> ``num_layers + 1``.

Each parameter gets ``lr = base_lr * decay_rate ** (num_layers + 1 - id)``; weight decay is the
optimizer's, 0 for 1-D parameters and biases. Frozen parameters are left out.
"""
from typing import Any, Dict, List, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from mmcls_convnext.registry import OPTIM_WRAPPER_CONSTRUCTORS

DECAY_TYPES = ('layer_wise', 'stage_wise')


def convnext_layer_id(name: str, num_layers: int) -> int:
    """``'layer_wise'`` id of a parameter of a detector/segmentor with a ConvNeXt ``backbone``."""
    parts = name.split('.')
    if name.startswith('backbone.downsample_layers.'):
        stage = int(parts[2])
        return {0: 0, 1: 2, 2: 3}.get(stage, num_layers)
    if name.startswith('backbone.stages.'):
        stage, block = int(parts[2]), int(parts[3])
        return {0: 1, 1: 2, 2: 3 + block // 3}.get(stage, num_layers)
    return num_layers + 1


def convnext_stage_id(name: str, num_layers: int) -> int:
    """``'stage_wise'`` id of a parameter of a detector/segmentor with a ConvNeXt ``backbone``."""
    if name.startswith('backbone.downsample_layers.'):
        return 0
    if name.startswith('backbone.stages.'):
        return int(name.split('.')[2]) + 1
    return num_layers + 1


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LearningRateDecayOptimizerConstructor(DefaultOptimWrapperConstructor):
    """MMDet/MMSeg's ConvNeXt layer decay (see the module docstring for the ids and rates).

    Args:
        optim_wrapper_cfg: the ``optim_wrapper`` config (``optimizer`` with ``lr`` and
            ``weight_decay``).
        paramwise_cfg: ``dict(num_layers=int, decay_rate=float, decay_type='layer_wise' or
            'stage_wise')``.
    """

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[Dict[str, Any]] = None) -> None:
        cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(cfg) - {'num_layers', 'decay_rate', 'decay_type'})
        if unknown:
            raise KeyError(f'LearningRateDecayOptimizerConstructor: unknown paramwise_cfg keys '
                           f'{unknown}; allowed: num_layers, decay_rate, decay_type.')
        num_layers, rate = cfg.get('num_layers'), cfg.get('decay_rate')
        if not isinstance(num_layers, int) or isinstance(num_layers, bool) or num_layers < 4:
            raise ValueError(f'paramwise_cfg.num_layers must be an int >= 4 (12 for '
                             f'ConvNeXt-S/B/L, 6 for -T); got {num_layers!r}.')
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 < rate <= 1:
            raise ValueError(f'paramwise_cfg.decay_rate must be a number in (0, 1]; got '
                             f'{rate!r}.')
        decay_type = cfg.get('decay_type', 'layer_wise')
        if decay_type not in DECAY_TYPES:
            raise ValueError(f'paramwise_cfg.decay_type must be one of {DECAY_TYPES}; got '
                             f'{decay_type!r}.')
        super().__init__(optim_wrapper_cfg, None)
        self.paramwise_cfg = cfg  # non-empty: mmengine then calls add_params
        self.num_layers, self.decay_rate, self.decay_type = num_layers, float(rate), decay_type

    def add_params(self, params: List[dict], module: nn.Module, **kwargs) -> None:
        backbone = getattr(module, 'backbone', None)
        if backbone is None or 'ConvNeXt' not in type(backbone).__name__:
            raise TypeError(f'LearningRateDecayOptimizerConstructor needs a model whose '
                            f'`backbone` is a ConvNeXt; got '
                            f'{type(backbone).__name__ if backbone is not None else "none"} in '
                            f'{type(module).__name__}. For classifiers use '
                            f'LearningRateDecayOptimWrapperConstructor.')
        id_of = convnext_layer_id if self.decay_type == 'layer_wise' else convnext_stage_id
        total = self.num_layers + 2
        groups: Dict[str, dict] = {}
        for name, param in module.named_parameters():
            if not param.requires_grad:
                continue
            no_decay = param.ndim == 1 or name.endswith('.bias')
            layer_id = id_of(name, self.num_layers)
            key = f'layer_{layer_id}_{"no_decay" if no_decay else "decay"}'
            if key not in groups:
                scale = self.decay_rate**(total - layer_id - 1)
                groups[key] = dict(params=[], param_names=[], lr=scale * self.base_lr,
                                   lr_scale=scale, group_name=key,
                                   weight_decay=0. if no_decay else self.base_wd)
            groups[key]['params'].append(param)
            groups[key]['param_names'].append(name)
        print_log(f'LearningRateDecayOptimizerConstructor ({self.decay_type}, rate '
                  f'{self.decay_rate}, num_layers {self.num_layers}): '
                  + ', '.join(f'{k} lr x{g["lr_scale"]:.4g} ({len(g["params"])} tensors)'
                              for k, g in sorted(groups.items())), logger='current')
        params.extend(groups.values())
