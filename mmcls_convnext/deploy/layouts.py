"""Our ConvNeXt state dicts in timm's and torchvision's key layouts (the reverse of
:func:`mmcls_convnext.weights.convert.convert_state_dict`, for running the same weights in those
libraries, e.g. ``tools/analysis_tools/benchmark.py``).

The mapping is explicit, key by key (the block-level names are the forward converter's own
tables, inverted); ``K`` in 0/1, ``P`` weight/bias, ``I`` stage, ``J`` block:

- ``backbone.downsample_layers.0.K.P``: timm ``stem.K.P``; torchvision ``features.0.K.P``
- ``backbone.downsample_layers.I.K.P`` (I > 0): timm ``stages.I.downsample.K.P``;
  torchvision ``features.(2I).K.P``
- ``backbone.stages.I.J.<name>`` -> timm ``stages.I.blocks.J.<timm name>``, torchvision
  ``features.(2I+1).J.<torchvision name>``, with the names
  ``depthwise_conv`` = ``conv_dw`` = ``block.0``, ``norm`` = ``norm`` = ``block.2``,
  ``pointwise_conv1`` = ``mlp.fc1`` = ``block.3``, ``pointwise_conv2`` = ``mlp.fc2`` =
  ``block.5``, ``gamma`` (C,) = ``gamma`` (C,) = ``layer_scale`` (C, 1, 1), ``grn.gamma`` /
  ``grn.beta`` = ``mlp.grn.weight`` / ``mlp.grn.bias`` (torchvision has no GRN: V1 only)
- ``backbone.norm3.P``: timm ``head.norm.P``; torchvision ``classifier.0.P``
- ``head.fc.P``: timm ``head.fc.P``; torchvision ``classifier.2.P``

Every key must map: a key without a counterpart (e.g. the extra output norms of
``out_indices=(0, 1, 2, 3)``, or GRN for torchvision) is a ValueError naming it.
"""
import re
from collections import OrderedDict
from typing import Callable, List, Mapping, Optional, Tuple

import torch

from mmcls_convnext.weights.convert import TIMM_BLOCK, TORCHVISION_BLOCK

_DOWNSAMPLE = re.compile(r'^backbone\.downsample_layers\.(?P<i>[0-3])\.(?P<k>[01])\.'
                         r'(?P<p>weight|bias)$')
_BLOCK = re.compile(r'^backbone\.stages\.(?P<i>[0-3])\.(?P<j>\d+)\.(?P<name>[a-z_0-9.]+?)'
                    r'(?P<rest>(\.(weight|bias))?)$')
_FINAL_NORM = re.compile(r'^backbone\.norm3\.(?P<p>weight|bias)$')
_HEAD = re.compile(r'^head\.fc\.(?P<p>weight|bias)$')

# our block-level name -> theirs (the forward converter's tables, inverted)
_TO_TIMM = {ours: theirs for theirs, ours in TIMM_BLOCK.items()}
_TO_TORCHVISION = {ours: theirs for theirs, ours in TORCHVISION_BLOCK.items()}

Namer = Callable[[re.Match], Optional[str]]


def _timm_block(m: re.Match) -> Optional[str]:
    name = m['name'] + m['rest']
    if name in _TO_TIMM:  # gamma, grn.gamma, grn.beta carry no weight/bias suffix
        return f'stages.{m["i"]}.blocks.{m["j"]}.{_TO_TIMM[name]}'
    if m['name'] in _TO_TIMM:
        return f'stages.{m["i"]}.blocks.{m["j"]}.{_TO_TIMM[m["name"]]}{m["rest"]}'
    return None


def _torchvision_block(m: re.Match) -> Optional[str]:
    if m['name'] not in _TO_TORCHVISION:
        return None
    return f'features.{2 * int(m["i"]) + 1}.{m["j"]}.{_TO_TORCHVISION[m["name"]]}{m["rest"]}'


_TIMM_RULES: List[Tuple[re.Pattern, Namer]] = [
    (_DOWNSAMPLE, lambda m: (f'stem.{m["k"]}.{m["p"]}' if m['i'] == '0' else
                             f'stages.{m["i"]}.downsample.{m["k"]}.{m["p"]}')),
    (_BLOCK, _timm_block),
    (_FINAL_NORM, lambda m: f'head.norm.{m["p"]}'),
    (_HEAD, lambda m: f'head.fc.{m["p"]}'),
]
_TORCHVISION_RULES: List[Tuple[re.Pattern, Namer]] = [
    (_DOWNSAMPLE, lambda m: f'features.{2 * int(m["i"])}.{m["k"]}.{m["p"]}'),
    (_BLOCK, _torchvision_block),
    (_FINAL_NORM, lambda m: f'classifier.0.{m["p"]}'),
    (_HEAD, lambda m: f'classifier.2.{m["p"]}'),
]


def _rename(state_dict: Mapping[str, torch.Tensor], rules: List[Tuple[re.Pattern, Namer]],
            layout: str) -> 'OrderedDict[str, Tuple[str, torch.Tensor]]':
    """their key -> (our key, tensor); every key of ``state_dict`` mapped or a ValueError."""
    out: OrderedDict[str, Tuple[str, torch.Tensor]] = OrderedDict()
    unmapped = []
    for key, value in state_dict.items():
        for pattern, namer in rules:
            match = pattern.match(key)
            new_key = namer(match) if match else None
            if new_key is not None:
                out[new_key] = (key, value)
                break
        else:
            unmapped.append(key)
    if unmapped:
        raise ValueError(f'{len(unmapped)} key(s) of our state dict have no counterpart in the '
                         f'{layout} ConvNeXt: {unmapped[:10]}.')
    return out


def to_timm_state_dict(state_dict: Mapping[str, torch.Tensor], conv_mlp: bool = False
                       ) -> 'OrderedDict[str, torch.Tensor]':
    """Our ``ImageClassifier`` ConvNeXt state dict in ``timm.models.convnext`` keys.

    Args:
        state_dict: keys such as ``backbone.stages.0.0.depthwise_conv.weight``, ``head.fc.*``.
        conv_mlp: timm's ``conv_mlp=True`` models (e.g. ``convnextv2_atto``) hold the MLP as
            1x1 convolutions: the pointwise weights become ``(out, in, 1, 1)``.

    Returns:
        A new state dict (tensors shared with the input, reshaped where needed).
    """
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, (ours, value) in _rename(state_dict, _TIMM_RULES, 'timm').items():
        if conv_mlp and '.pointwise_conv' in ours and ours.endswith('.weight'):
            value = value.reshape(*value.shape, 1, 1)  # (out, in) -> (out, in, 1, 1)
        out[key] = value
    return out


def to_torchvision_state_dict(state_dict: Mapping[str, torch.Tensor]
                              ) -> 'OrderedDict[str, torch.Tensor]':
    """Our ``ImageClassifier`` ConvNeXt (V1) state dict in ``torchvision.models.convnext_*``
    keys; the layer scale becomes ``(C, 1, 1)``.

    Returns:
        A new state dict (tensors shared with the input, reshaped where needed).
    """
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    for key, (ours, value) in _rename(state_dict, _TORCHVISION_RULES, 'torchvision').items():
        out[key] = value.reshape(-1, 1, 1) if ours.endswith('.gamma') else value
    return out
