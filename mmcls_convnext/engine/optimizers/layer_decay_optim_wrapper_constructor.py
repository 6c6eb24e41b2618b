"""Layer-wise learning-rate decay (as in the ConvNeXt / BEiT fine-tuning recipes).

Each parameter gets ``lr = base_lr * layer_decay_rate ** (num_layers - layer_id - 1)`` where
``(layer_id, num_layers) = model.get_layer_depth(name)`` (or, for a model without it,
``model.backbone.get_layer_depth(name, prefix='backbone.')``). For ConvNeXt: the stem is layer
0, stages 0/1 are layers 1/2, stage 2 is split into groups of 3 blocks, the head is the last
layer (full lr). Weight decay follows AdamW practice: ``norm_decay_mult``, ``bias_decay_mult``
and ``flat_decay_mult`` (1-D parameters such as layer-scale ``gamma``) multiply the decay.
"""
from typing import Any, Dict, List, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from mmcls_convnext.registry import OPTIM_WRAPPER_CONSTRUCTORS

_NORMS = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm, nn.LocalResponseNorm)
_ALLOWED = ('layer_decay_rate', 'norm_decay_mult', 'bias_decay_mult', 'flat_decay_mult')


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LearningRateDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer-wrapper constructor with layer-wise lr decay.

    ``paramwise_cfg`` keys: ``layer_decay_rate`` (float in (0, 1], required),
    ``norm_decay_mult``, ``bias_decay_mult``, ``flat_decay_mult`` (default 1.0 each).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Dict[str, Any] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(paramwise_cfg) - set(_ALLOWED))
        if unknown:
            raise KeyError(f'LearningRateDecayOptimWrapperConstructor: unknown paramwise_cfg '
                           f'keys {unknown}; allowed: {list(_ALLOWED)}.')
        rate = paramwise_cfg.get('layer_decay_rate')
        if not isinstance(rate, (int, float)) or not 0 < rate <= 1:
            raise ValueError('paramwise_cfg.layer_decay_rate must be a number in (0, 1], got '
                             f'{rate!r}.')
        super().__init__(optim_wrapper_cfg, None)
        self.paramwise_cfg = paramwise_cfg

    def _layer_depth(self, model: nn.Module, name: str) -> Tuple[int, int]:
        if hasattr(model, 'get_layer_depth'):
            return model.get_layer_depth(name)
        backbone = getattr(model, 'backbone', None)
        if backbone is not None and hasattr(backbone, 'get_layer_depth'):
            return backbone.get_layer_depth(name, prefix='backbone.')
        raise TypeError(f'{type(model).__name__} has no get_layer_depth(param_name) (nor a '
                        'backbone with one); layer-wise lr decay needs it.')

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   **kwargs: Any) -> None:
        """Fill ``params`` with one group per (layer, decay / no-decay) combination."""
        rate = float(self.paramwise_cfg['layer_decay_rate'])
        mults = {k: float(self.paramwise_cfg.get(k, 1.0))
                 for k in ('norm_decay_mult', 'bias_decay_mult', 'flat_decay_mult')}
        groups: Dict[Tuple[int, float], dict] = {}
        for module_name, sub in module.named_modules():
            for pname, param in sub.named_parameters(recurse=False):
                if not param.requires_grad:
                    continue
                name = f'{module_name}.{pname}' if module_name else pname
                if isinstance(sub, _NORMS) or type(sub).__name__ in ('LayerNorm2d', 'LN2d'):
                    decay_mult = mults['norm_decay_mult']
                elif pname == 'bias':
                    decay_mult = mults['bias_decay_mult']
                elif param.ndim == 1:
                    decay_mult = mults['flat_decay_mult']
                else:
                    decay_mult = 1.0
                layer_id, num_layers = self._layer_depth(module, name)
                scale = rate ** (num_layers - layer_id - 1)
                key = (layer_id, decay_mult)
                if key not in groups:
                    groups[key] = dict(params=[], param_names=[], layer_id=layer_id,
                                       lr_scale=scale, lr=self.base_lr * scale)
                    if self.base_wd is not None:
                        groups[key]['weight_decay'] = self.base_wd * decay_mult
                groups[key]['params'].append(param)
                groups[key]['param_names'].append(name)
        for key in sorted(groups):
            params.append(groups[key])
            group = groups[key]
            print_log(f'layer {group["layer_id"]}: lr_scale={group["lr_scale"]:.4g} '
                      f'weight_decay={group.get("weight_decay")} '
                      f'({len(group["params"])} params)', logger='current', level=10)
