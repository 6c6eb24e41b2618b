"""Convert ConvNeXt state dicts of other codebases into this toolbox's key layout.

Supported sources (``src``):

- ``'official'``: facebookresearch ConvNeXt / ConvNeXt-V2 (``{'model': sd}``; ``dwconv``,
  ``pwconv1/2``, top-level ``norm``, ``head``; V2 GRN params shaped (1, 1, 1, C)).
- ``'timm'``: ``timm.models.convnext`` (``stem``, ``stages.i.blocks.j.conv_dw``, ``mlp.fc1``,
  ``mlp.grn``, ``head.norm``/``head.fc``; ``conv_mlp`` variants with 1x1-conv MLPs).
- ``'torchvision'``: ``torchvision.models.convnext_*`` (``features.k``, ``block.0/2/3/5``,
  ``layer_scale`` (C, 1, 1), ``classifier.0/2``).
- ``'hf'``: Hugging Face transformers ``ConvNext*``/``ConvNextV2*`` (``convnext.embeddings``,
  ``encoder.stages.i.layers.j``, ``layer_scale_parameter``, ``classifier``).

Hugging Face's final LayerNorm uses eps 1e-12 where ours uses 1e-6 (all other norms agree);
the difference is far below float32 noise for real activations.

The result uses our keys (``backbone.downsample_layers.*``, ``backbone.stages.I.J.*``,
``backbone.norm3.*``, ``head.fc.*``; the full table is in ``docs/architecture.md``).
Every source key must be mapped: an unmapped key is an error, never silently dropped.
"""
import re
from collections import OrderedDict
from typing import Callable, Dict, List, Mapping, Tuple

import torch

LAYOUTS = ('mmcls', 'official', 'timm', 'torchvision', 'hf')
CONVERTER_CMD = 'python tools/model_converters/convnext_to_mmcls.py --src {src} IN.pth OUT.pth'

Rules = List[Tuple[str, Callable[[re.Match], str]]]

_BLOCK = {'dwconv': 'depthwise_conv', 'norm': 'norm', 'pwconv1': 'pointwise_conv1',
          'pwconv2': 'pointwise_conv2', 'gamma': 'gamma', 'grn.gamma': 'grn.gamma',
          'grn.beta': 'grn.beta'}
TIMM_BLOCK = {'conv_dw': 'depthwise_conv', 'norm': 'norm', 'mlp.fc1': 'pointwise_conv1',
               'mlp.fc2': 'pointwise_conv2', 'gamma': 'gamma', 'mlp.grn.weight': 'grn.gamma',
               'mlp.grn.bias': 'grn.beta'}
TORCHVISION_BLOCK = {'block.0': 'depthwise_conv', 'block.2': 'norm', 'block.3': 'pointwise_conv1',
             'block.5': 'pointwise_conv2', 'layer_scale': 'gamma'}
_HF_BLOCK = {'dwconv': 'depthwise_conv', 'layernorm': 'norm', 'pwconv1': 'pointwise_conv1',
             'pwconv2': 'pointwise_conv2', 'layer_scale_parameter': 'gamma',
             'grn.weight': 'grn.gamma', 'grn.bias': 'grn.beta'}


def _block_rule(prefix: str, table: Mapping[str, str]) -> Tuple[str, Callable]:
    names = '|'.join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    pattern = prefix + rf'(?P<name>{names})(?P<rest>(\.(weight|bias))?)$'
    return pattern, lambda m: (f'backbone.stages.{m["i"]}.{m["j"]}.'
                               f'{table[m["name"]]}{m["rest"]}')


_RULES: Dict[str, Rules] = {
    'official': [
        (r'^downsample_layers\.(?P<rest>\d+\.\d+\.(weight|bias))$',
         lambda m: f'backbone.downsample_layers.{m["rest"]}'),
        _block_rule(r'^stages\.(?P<i>\d+)\.(?P<j>\d+)\.', _BLOCK),
        (r'^norm\.(?P<p>weight|bias)$', lambda m: f'backbone.norm3.{m["p"]}'),
        (r'^head\.(?P<p>weight|bias)$', lambda m: f'head.fc.{m["p"]}'),
    ],
    'timm': [
        (r'^stem\.(?P<k>[01])\.(?P<p>weight|bias)$',
         lambda m: f'backbone.downsample_layers.0.{m["k"]}.{m["p"]}'),
        (r'^stages\.(?P<i>[123])\.downsample\.(?P<k>[01])\.(?P<p>weight|bias)$',
         lambda m: f'backbone.downsample_layers.{m["i"]}.{m["k"]}.{m["p"]}'),
        _block_rule(r'^stages\.(?P<i>\d+)\.blocks\.(?P<j>\d+)\.', TIMM_BLOCK),
        (r'^head\.norm\.(?P<p>weight|bias)$', lambda m: f'backbone.norm3.{m["p"]}'),
        (r'^head\.fc\.(?P<p>weight|bias)$', lambda m: f'head.fc.{m["p"]}'),
    ],
    'torchvision': [
        (r'^features\.0\.(?P<k>[01])\.(?P<p>weight|bias)$',
         lambda m: f'backbone.downsample_layers.0.{m["k"]}.{m["p"]}'),
        (r'^features\.(?P<f>[246])\.(?P<k>[01])\.(?P<p>weight|bias)$',
         lambda m: f'backbone.downsample_layers.{int(m["f"]) // 2}.{m["k"]}.{m["p"]}'),
        (r'^features\.(?P<f>[1357])\.(?P<j>\d+)\.(?P<name>block\.[0235]|layer_scale)'
         r'(?P<rest>(\.(weight|bias))?)$',
         lambda m: (f'backbone.stages.{int(m["f"]) // 2}.{m["j"]}.{TORCHVISION_BLOCK[m["name"]]}'
                    f'{m["rest"]}')),
        (r'^classifier\.0\.(?P<p>weight|bias)$', lambda m: f'backbone.norm3.{m["p"]}'),
        (r'^classifier\.2\.(?P<p>weight|bias)$', lambda m: f'head.fc.{m["p"]}'),
    ],
    'hf': [
        (r'^(convnext(v2)?\.)?embeddings\.patch_embeddings\.(?P<p>weight|bias)$',
         lambda m: f'backbone.downsample_layers.0.0.{m["p"]}'),
        (r'^(convnext(v2)?\.)?embeddings\.layernorm\.(?P<p>weight|bias)$',
         lambda m: f'backbone.downsample_layers.0.1.{m["p"]}'),
        (r'^(convnext(v2)?\.)?encoder\.stages\.(?P<i>[123])\.downsampling_layer\.(?P<k>[01])\.'
         r'(?P<p>weight|bias)$',
         lambda m: f'backbone.downsample_layers.{m["i"]}.{m["k"]}.{m["p"]}'),
        _block_rule(r'^(convnext(v2)?\.)?encoder\.stages\.(?P<i>\d+)\.layers\.(?P<j>\d+)\.',
                    _HF_BLOCK),
        (r'^(convnext(v2)?\.)?layernorm\.(?P<p>weight|bias)$',
         lambda m: f'backbone.norm3.{m["p"]}'),
        (r'^classifier\.(?P<p>weight|bias)$', lambda m: f'head.fc.{m["p"]}'),
    ],
}
_COMPILED = {src: [(re.compile(p), f) for p, f in rules] for src, rules in _RULES.items()}


def unwrap_state_dict(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The state dict inside a checkpoint dict, with a ``module.`` (DDP) prefix removed.

    Accepts ``{'state_dict': sd, ...}`` (ours), ``{'model': sd}`` (official), or a bare state
    dict. Does not modify its argument.
    """
    if not isinstance(checkpoint, Mapping):
        raise TypeError(f'A checkpoint must be a dict; got {type(checkpoint).__name__}.')
    sd = checkpoint
    for key in ('state_dict', 'model'):
        if isinstance(checkpoint.get(key), Mapping):
            sd = checkpoint[key]
            break
    out = OrderedDict()
    for k, v in sd.items():
        out[k[len('module.'):] if k.startswith('module.') else k] = v
    return out


def detect_layout(state_dict: Mapping[str, torch.Tensor]) -> str:
    """Guess which codebase wrote a ConvNeXt state dict.

    Returns:
        One of ``'mmcls'`` (ours), ``'official'``, ``'timm'``, ``'torchvision'``, ``'hf'``.

    Raises:
        ValueError: for an FCMAE pre-training checkpoint or an unrecognised layout.
    """
    keys = list(state_dict)
    has = lambda pat: any(re.search(pat, k) for k in keys)  # noqa: E731
    if has(r'(^|\.)(depthwise_conv|pointwise_conv1)\.') or has(r'^backbone\.'):
        return 'mmcls'
    if has(r'(^|\.)embeddings\.patch_embeddings\.'):
        return 'hf'
    if has(r'^stem\.0\.') or has(r'^stages\.\d+\.blocks\.'):
        return 'timm'
    if has(r'^features\.0\.0\.') or has(r'^features\.\d+\.\d+\.block\.'):
        return 'torchvision'
    if has(r'^stages\.\d+\.\d+\.dwconv\.') and not has(r'^(encoder|decoder)\.'):
        return 'official'
    if has(r'^(encoder|decoder|mask_token|proj)\b'):
        raise ValueError(
            'This looks like an official FCMAE pre-training checkpoint (encoder/decoder with '
            'sparse convolutions). Convert it with `python tools/model_converters/'
            'fcmae_to_mmcls.py IN.pt OUT.pth` (OUT.pth loads into our FCMAE, and its '
            "backbone.* into a ConvNeXt V2), or use the converted zoo weights, e.g. "
            "get_model('convnext-v2-tiny_3rdparty-fcmae_in1k', pretrained=True).")
    raise ValueError(f'Unrecognised state-dict layout; first keys: {keys[:5]}. Supported '
                     f'sources: {list(LAYOUTS)}.')


def _reshape(key: str, value: torch.Tensor) -> torch.Tensor:
    if key.endswith(('.grn.gamma', '.grn.beta', '.gamma')):
        return value.reshape(-1)  # (1, 1, 1, C) official/HF GRN, (C, 1, 1) torchvision scale
    if '.pointwise_conv' in key and key.endswith('.weight') and value.ndim == 4:
        return value.reshape(value.shape[0], value.shape[1])  # timm conv_mlp 1x1 conv
    return value


def convert_state_dict(checkpoint: Mapping, src: str = 'auto') -> 'OrderedDict[str, torch.Tensor]':
    """Convert a ConvNeXt checkpoint or state dict of ``src`` layout into ours.

    Args:
        checkpoint: a state dict or a checkpoint dict holding one (``state_dict``/``model``).
        src: ``'auto'`` (detect) or one of ``'official'``, ``'timm'``, ``'torchvision'``,
            ``'hf'``, ``'mmcls'`` (returned unchanged, minus any ``module.`` prefix).

    Returns:
        A new state dict with keys such as ``backbone.stages.0.0.depthwise_conv.weight`` and
        ``head.fc.weight``. The input is not modified.

    Raises:
        ValueError: unknown ``src``, or keys the source layout does not explain (listed).
    """
    sd = unwrap_state_dict(checkpoint)
    if src == 'auto':
        src = detect_layout(sd)
    if src not in LAYOUTS:
        raise ValueError(f'Unknown source layout {src!r}; choose "auto" or one of '
                         f'{list(LAYOUTS)}.')
    if src == 'mmcls':
        return sd
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    unmapped = []
    for key, value in sd.items():
        for pattern, fn in _COMPILED[src]:
            match = pattern.match(key)
            if match:
                new_key = fn(match)
                out[new_key] = _reshape(new_key, value)
                break
        else:
            unmapped.append(key)
    if unmapped:
        raise ValueError(f'{len(unmapped)} key(s) of the {src!r} state dict have no counterpart '
                         f'in mmcls_convnext ConvNeXt: {unmapped[:10]}. Is this a ConvNeXt '
                         f'checkpoint of that layout (pass another --src)?')
    return out
