"""Layer-wise learning-rate decay (as in the ConvNeXt / BEiT fine-tuning recipes).

Each parameter gets ``lr = base_lr * layer_decay_rate ** (num_layers - layer_id - 1)`` where
``(layer_id, num_layers) = model.get_layer_depth(name)`` (or, for a model without it,
``model.backbone.get_layer_depth(name, prefix='backbone.')``). For ConvNeXt: the stem is layer
0, stages 0/1 are layers 1/2, stage 2 is split into groups of 3 blocks, the head is the last
layer (full lr). Weight decay follows AdamW practice: ``norm_decay_mult``, ``bias_decay_mult``
and ``flat_decay_mult`` (1-D parameters such as layer-scale ``gamma``) multiply the decay;
``custom_keys`` override them for parameters whose name contains a key.

As MMPretrain's constructor of the same name, every parameter is its own param group carrying
``param_name``, ``layer_id`` and ``lr_scale`` (the ``lr`` and ``weight_decay`` it trains with).
"""
import logging
from collections import defaultdict
from numbers import Real
from typing import Any, Callable, Dict, List, Optional, Tuple

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from mmcls_convnext.registry import OPTIM_WRAPPER_CONSTRUCTORS

_NORMS = (nn.LayerNorm, nn.GroupNorm, nn.modules.batchnorm._BatchNorm,
          nn.modules.instancenorm._InstanceNorm, nn.LocalResponseNorm)
_MULTS = ('norm_decay_mult', 'bias_decay_mult', 'flat_decay_mult')
_ALLOWED = ('layer_decay_rate', *_MULTS, 'custom_keys')
_CUSTOM_ALLOWED = ('lr_mult', 'decay_mult')
_NAME = 'LearningRateDecayOptimWrapperConstructor'


def _number(value: Any) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LearningRateDecayOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Optimizer-wrapper constructor with layer-wise lr decay (MMPretrain's).

    ``paramwise_cfg`` keys:

    - ``layer_decay_rate`` (positive number, default 1.0: no decay): a parameter of layer
      ``layer_id`` learns at ``lr * rate ** (num_layers - layer_id - 1)``; below 1 the early
      layers learn slower.
    - ``norm_decay_mult``, ``bias_decay_mult``, ``flat_decay_mult`` (number or None, default
      1.0): multiply the weight decay of the parameters of normalisation layers, of other
      biases, of other 1-D parameters (checked in this order; None skips the rule).
    - ``custom_keys`` (dict ``{key: dict(decay_mult=..., lr_mult=...)}``): a parameter whose
      name contains ``key`` (the longest key first, then alphabetical) gets ``weight_decay *
      decay_mult`` instead of the rules above, and its layer's lr times ``lr_mult``.

    Every trainable parameter becomes one param group with ``param_name``, ``layer_id`` and
    ``lr_scale`` (the layer's decay factor) besides ``lr`` and ``weight_decay``.
    """

    def __init__(self, optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[Dict[str, Any]] = None) -> None:
        paramwise_cfg = dict(paramwise_cfg or {})
        unknown = sorted(set(paramwise_cfg) - set(_ALLOWED))
        if unknown:
            raise KeyError(f'{_NAME}: unknown paramwise_cfg keys {unknown}; allowed: '
                           f'{list(_ALLOWED)}.')
        rate = paramwise_cfg.get('layer_decay_rate', 1.0)
        if not _number(rate) or not rate > 0:
            raise ValueError(f'paramwise_cfg.layer_decay_rate must be a positive number (below '
                             f'1 the early layers learn slower; 1 turns the decay off), got '
                             f'{rate!r}.')
        for key in _MULTS:
            value = paramwise_cfg.get(key, 1.0)
            if value is not None and not _number(value):
                raise TypeError(f'paramwise_cfg.{key} must be a number or None, got {value!r}.')
        custom_keys = paramwise_cfg.get('custom_keys', {})
        if not isinstance(custom_keys, dict):
            raise TypeError(f'paramwise_cfg.custom_keys must be a dict {{name part: '
                            f'dict(decay_mult=..., lr_mult=...)}}, got {custom_keys!r}.')
        for key, setting in custom_keys.items():
            if not isinstance(key, str) or not isinstance(setting, dict):
                raise TypeError(f'paramwise_cfg.custom_keys[{key!r}] must map a name part '
                                f'(str) to a dict such as dict(decay_mult=0.), got {setting!r}.')
            bad = sorted(set(setting) - set(_CUSTOM_ALLOWED))
            if bad:
                raise KeyError(f'paramwise_cfg.custom_keys[{key!r}] has unknown keys {bad}; '
                               f'allowed: {list(_CUSTOM_ALLOWED)}.')
            for name, value in setting.items():
                if not _number(value) or value < 0:
                    raise ValueError(f'paramwise_cfg.custom_keys[{key!r}].{name} must be a '
                                     f'non-negative number, got {value!r}.')
        super().__init__(optim_wrapper_cfg, None)
        self.paramwise_cfg = paramwise_cfg

    def _get_layer_depth(self, model: nn.Module) -> Callable[[str], Tuple[int, int]]:
        if hasattr(model, 'get_layer_depth'):
            return model.get_layer_depth
        backbone = getattr(model, 'backbone', None)
        if backbone is not None and hasattr(backbone, 'get_layer_depth'):
            return lambda name: backbone.get_layer_depth(name, prefix='backbone.')
        raise TypeError(f'{type(model).__name__} has no get_layer_depth(param_name) (nor a '
                        'backbone with one); layer-wise lr decay needs it.')

    def add_params(self, params: List[dict], module: nn.Module, prefix: str = '',
                   get_layer_depth: Optional[Callable[[str], Tuple[int, int]]] = None,
                   **kwargs: Any) -> None:
        """Append one param group per trainable parameter of ``module`` to ``params``."""
        cfg = self.paramwise_cfg
        rate = float(cfg.get('layer_decay_rate', 1.0))
        mults = {k: cfg.get(k, 1.0) for k in _MULTS}
        custom_keys = cfg.get('custom_keys', {})
        keys = sorted(sorted(custom_keys), key=len, reverse=True)  # longest, then alphabetical
        if get_layer_depth is None:
            get_layer_depth = self._get_layer_depth(module)
        first = len(params)
        for module_name, sub in module.named_modules(prefix=prefix.rstrip('.')):
            is_norm = isinstance(sub, _NORMS) or type(sub).__name__ in ('LayerNorm2d', 'LN2d')
            for pname, param in sub.named_parameters(recurse=False):
                if not param.requires_grad:
                    continue
                name = f'{module_name}.{pname}' if module_name else pname
                custom = next((custom_keys[k] for k in keys if k in name), None)
                if custom is not None:
                    decay_mult = custom.get('decay_mult', 1.0)
                elif is_norm and mults['norm_decay_mult'] is not None:
                    decay_mult = mults['norm_decay_mult']
                elif pname == 'bias' and mults['bias_decay_mult'] is not None:
                    decay_mult = mults['bias_decay_mult']
                elif param.ndim == 1 and mults['flat_decay_mult'] is not None:
                    decay_mult = mults['flat_decay_mult']
                else:
                    decay_mult = 1.0
                layer_id, num_layers = get_layer_depth(name)
                scale = rate ** (num_layers - layer_id - 1)
                lr_mult = 1.0 if custom is None else custom.get('lr_mult', 1.0)
                group = dict(params=[param], lr=self.base_lr * scale * lr_mult, lr_scale=scale,
                             layer_id=layer_id, param_name=name)
                if self.base_wd is not None:
                    group['weight_decay'] = self.base_wd * decay_mult
                params.append(group)
        by_layer = defaultdict(list)
        for group in params[first:]:
            by_layer[group['layer_id']].append(group)
        for layer_id in sorted(by_layer):
            groups = by_layer[layer_id]
            lines = [f'layer {layer_id} (lr_scale={groups[0]["lr_scale"]:.4g}):']
            lines += [f'  {g["param_name"]}: lr={g["lr"]:.4g} '
                      f'weight_decay={g.get("weight_decay")}' for g in groups]
            print_log('\n'.join(lines), logger='current', level=logging.DEBUG)
