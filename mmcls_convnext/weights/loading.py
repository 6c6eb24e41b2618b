"""Load a checkpoint into a model with strict, explained key matching.

Policy (what MMPretrain users asked for in its issues #673 and #1744):

- our layout with or without a ``module.`` prefix loads as is;
- a classifier checkpoint loads into a bare backbone (``backbone.`` stripped, head ignored), and
  a bare-backbone checkpoint loads into a classifier's ``backbone``;
- a head whose shape differs (another ``num_classes``) or a head absent from the checkpoint is
  dropped with ONE warning when ``allow_head_mismatch=True`` (fine-tuning) and is an error
  otherwise (inference);
- extra output norms (``backbone.norm{i}`` for new ``out_indices``) may be missing: LayerNorm's
  default init (weight 1, bias 0) is kept and a warning says so;
- every other key must match by name and shape; otherwise the error lists the first missing and
  unexpected keys and, if the dict is in another codebase's layout, names the converter.
"""
import os
import re
import warnings
from collections import OrderedDict
from typing import Any, Dict, List, Mapping, Optional, Union

import torch
from torch import nn

from mmcls_convnext.checkpoint import CheckpointError

from .convert import CONVERTER_CMD, detect_layout, unwrap_state_dict
from .files import fetch_weights_file

_GIVEN = 'the given checkpoint'
_OUT_NORM = re.compile(r'^(backbone\.)?norm\d+\.(weight|bias)$')


def _layout_of(sd: Mapping[str, torch.Tensor]) -> Optional[str]:
    """The detected layout, or None when it is not recognised."""
    try:
        return detect_layout(sd)
    except ValueError:
        return None


def _subject(where: str) -> str:
    """'Checkpoint PATH' for a path, 'The given checkpoint' for a dict."""
    return 'The given checkpoint' if where == _GIVEN else f'Checkpoint {where}'


def _foreign_layout_error(where: str, layout: str, sd: Mapping[str, torch.Tensor]) -> str:
    what = {'official': 'an official facebookresearch ConvNeXt checkpoint: {"model": ...} with '
                        'dwconv / pwconv keys',
            'hf': 'a Hugging Face transformers ConvNext state dict',
            'timm': 'a timm state dict', 'torchvision': 'a torchvision state dict'}[layout]
    command = CONVERTER_CMD.format(src=layout)
    if where != _GIVEN:
        command = command.replace('IN.pth', where)
    return (f'{_subject(where)} is in the {layout!r} layout ({what}; first keys: '
            f'{list(sd)[:3]}), not in this toolbox\'s: convert it with `{command}` and pass '
            'OUT.pth, or convert in Python with '
            f'`mmcls_convnext.weights.convert_state_dict(ckpt, src={layout!r})`.')


def _check_tensors(sd: Mapping, where: str) -> None:
    bad = [k for k, v in sd.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(f'{_subject(where)} is not a state dict: {len(bad)} entries are '
                              f'not name -> tensor pairs (first: {[repr(k) for k in bad[:3]]}).')


def _adapt_prefix(sd: 'OrderedDict[str, Any]', model_keys: List[str]) -> Dict[str, List[str]]:
    """Make ``sd`` keys use the model's ``backbone.`` convention in place; return notes."""
    notes: Dict[str, List[str]] = {'ignored': []}
    model_has_bb = any(k.startswith('backbone.') for k in model_keys)
    sd_has_bb = any(k.startswith('backbone.') for k in sd)
    if model_has_bb and not sd_has_bb and any(k.startswith('downsample_layers.') for k in sd):
        for k in list(sd):
            sd['backbone.' + k] = sd.pop(k)
    elif not model_has_bb and sd_has_bb:
        for k in list(sd):
            value = sd.pop(k)
            if k.startswith('backbone.'):
                sd[k[len('backbone.'):]] = value
            else:
                notes['ignored'].append(k)
    return notes


def load_model_weights(model: nn.Module,
                       checkpoint_or_path: Union[str, os.PathLike, Mapping],
                       *,
                       allow_head_mismatch: bool = False,
                       map_location: Any = 'cpu',
                       model_name: Optional[str] = None,
                       source: Optional[str] = None,
                       prefix: Optional[str] = None) -> Dict[str, Any]:
    """Load weights into ``model`` (a classifier or a bare ConvNeXt backbone).

    The one way weights get into a model: ``get_model(pretrained=...)``, ``init_model``,
    ``init_cfg=dict(type='Pretrained')`` (and ``ImageClassifier(pretrained=...)``, its
    shortcut) all end here: read (:func:`read_state_dict`), fit to the model's keys
    (:func:`fit_state_dict`), then ``model.load_state_dict(strict=True)``.

    Args:
        model: the target module; its parameters are overwritten in place.
        checkpoint_or_path: a path/URL (read by :func:`read_weights_file`), a checkpoint dict
            (``{'state_dict', 'meta'}``) or a bare state dict in our layout.
        allow_head_mismatch: fine-tuning: a checkpoint head of another shape, or none at all,
            is skipped with one warning (the model's head keeps its initialisation).
        map_location: for :func:`torch.load`.
        model_name: used in messages.
        source: where a checkpoint dict came from (a path or URL), for messages.
        prefix: load only the checkpoint keys under this prefix (e.g. ``'backbone'``), with
            the prefix stripped.

    Returns:
        A report dict: ``loaded`` (number of tensors copied), ``head_dropped`` (bool),
        ``ignored`` (checkpoint keys deliberately skipped), ``kept_init`` (model keys left at
        their initialisation), ``meta`` (the checkpoint's ``meta`` dict or ``{}``), ``file``
        (the local file read: a URL's cached copy; None for a dict).

    Raises:
        CheckpointError: missing/unexpected keys or shape mismatches (listed, with the
            converter to run if another layout is detected), or a head mismatch without
            ``allow_head_mismatch``.
    """
    state, meta, where, local = read_state_dict(checkpoint_or_path, map_location=map_location,
                                             model_name=model_name, source=source,
                                             prefix=prefix)
    full, report = fit_state_dict(state, model.state_dict(), where=where,
                                  model_name=model_name or type(model).__name__,
                                  allow_head_mismatch=allow_head_mismatch)
    model.load_state_dict(full, strict=True)
    return dict(report, meta=meta, file=local)


def read_state_dict(checkpoint_or_path: Union[str, os.PathLike, Mapping],
                 *,
                 map_location: Any = 'cpu',
                 model_name: Optional[str] = None,
                 source: Optional[str] = None,
                 prefix: Optional[str] = None
                 ) -> 'tuple[OrderedDict[str, torch.Tensor], Dict[str, Any], str, Optional[str]]':
    """The state dict to load: read, unwrapped (``state_dict`` / ``model`` key, ``module.``
    prefix), optionally cut to ``prefix``, checked to be non-empty name -> tensor pairs.

    Returns:
        ``(state dict, meta dict, where, local file)``: ``where`` names the checkpoint in
        messages (its path or URL, or ``source``); ``local`` is the file read (None for a dict).
    """
    if isinstance(checkpoint_or_path, Mapping):
        ckpt, where, local = checkpoint_or_path, source or _GIVEN, None
    else:
        local, ckpt = fetch_weights_file(checkpoint_or_path, map_location, model_name=model_name)
        where = os.fspath(checkpoint_or_path)
    meta = dict(ckpt['meta']) if isinstance(ckpt.get('meta'), Mapping) else {}
    sd = unwrap_state_dict(ckpt)
    if prefix is not None:
        sd = _under_prefix(sd, prefix, where)
    if not sd:
        raise CheckpointError(f'{_subject(where)} holds an empty state dict.')
    _check_tensors(sd, where)
    return sd, meta, where, local


def _under_prefix(sd: Mapping[str, Any], prefix: str, where: str) -> 'OrderedDict[str, Any]':
    """The keys of ``sd`` under ``prefix`` (e.g. ``'backbone'``), with the prefix stripped."""
    start = prefix.rstrip('.') + '.'
    out = OrderedDict((k[len(start):], v) for k, v in sd.items() if k.startswith(start))
    if not out:
        raise CheckpointError(f'No key of {where} starts with {start!r} (init_cfg prefix); '
                              f'first keys: {list(sd)[:5]}.')
    return out


def fit_state_dict(sd: 'OrderedDict[str, torch.Tensor]', target: Mapping[str, torch.Tensor],
                   *, where: str, model_name: str, allow_head_mismatch: bool
                   ) -> 'tuple[OrderedDict[str, torch.Tensor], Dict[str, Any]]':
    """Match a checkpoint's state dict to a model's (``target``) by the loading policy.

    ``sd`` is changed in place. Returns the complete state dict for
    ``load_state_dict(strict=True)`` (model keys kept at their initialisation map onto
    themselves) and the report (``loaded``, ``head_dropped``, ``ignored``, ``kept_init``).

    Raises:
        CheckpointError: as :func:`load_model_weights`.
    """
    layout = _layout_of(sd)
    if layout not in (None, 'mmcls'):
        raise CheckpointError(_foreign_layout_error(where, layout, sd))
    notes = _adapt_prefix(sd, list(target))
    for k in [k for k in sd if k.startswith('data_preprocessor.') and k not in target]:
        notes['ignored'].append(k)  # mean/std buffers some toolboxes save: not weights
        sd.pop(k)
    if not any(k.startswith('decoder.') for k in target):
        for k in [k for k in sd if k.startswith('decoder.')]:
            notes['ignored'].append(k)  # an FCMAE pretraining checkpoint's decoder
            sd.pop(k)
    new_norms, extra_norms = _check_keys(sd, target, where, model_name)
    kept_init, head_dropped = _match_head(sd, target, notes, where, model_name,
                                          allow_head_mismatch)
    if new_norms or extra_norms:
        warnings.warn(f'Loading {where}: output norms {new_norms} are not in the checkpoint and '
                      f'keep LayerNorm init (weight 1, bias 0); checkpoint norms {extra_norms} '
                      'are not used by this out_indices.', stacklevel=3)
        for k in extra_norms:
            sd.pop(k)
        kept_init += new_norms
        notes['ignored'] += extra_norms
    full = OrderedDict(target)
    full.update(sd)
    return full, dict(loaded=len(sd), head_dropped=head_dropped, ignored=notes['ignored'],
                      kept_init=kept_init)


def _is_head(key: str) -> bool:
    return key.startswith('head.')


def _check_keys(sd: Mapping, target: Mapping, where: str,
                model_name: Optional[str]) -> 'tuple[List[str], List[str]]':
    """Raise unless every non-head key matches; returns (new output norms, unused norms)."""
    missing = [k for k in target if k not in sd and not _is_head(k)]
    unexpected = [k for k in sd if k not in target and not _is_head(k)]
    new_norms = [k for k in missing if _OUT_NORM.match(k)]
    extra_norms = [k for k in unexpected if _OUT_NORM.match(k)]
    missing = [k for k in missing if k not in new_norms]
    unexpected = [k for k in unexpected if k not in extra_norms]
    shape_diff = [f'{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(target[k].shape)}'
                  for k in sd if k in target and not _is_head(k) and sd[k].shape != target[k].shape]
    if missing or unexpected or shape_diff:
        parts = []
        if missing:
            parts.append(f'{len(missing)} missing key(s), first: {missing[:5]}')
        if unexpected:
            parts.append(f'{len(unexpected)} unexpected key(s), first: {unexpected[:5]}')
        if shape_diff:
            parts.append(f'{len(shape_diff)} shape mismatch(es), first: {shape_diff[:3]}')
        try:
            detect_layout(sd)
            hint = ''
        except ValueError as exc:  # e.g. an FCMAE pre-training file: the message says why
            hint = f' {exc}'
        raise CheckpointError(f'{_subject(where)} does not fit {model_name or "the model"}: '
                              + '; '.join(parts) + '.' + hint)
    return new_norms, extra_norms


def _head_problem(sd: Mapping, target: Mapping, head_keys: List[str],
                  ckpt_head: List[str]) -> Optional[str]:
    if not ckpt_head:
        return (f'the checkpoint has no head (model head: '
                f'{[tuple(target[k].shape) for k in head_keys]})')
    diffs = [f'{k}: checkpoint {tuple(sd[k].shape)} vs model {tuple(target[k].shape)}'
             for k in head_keys if k in sd and sd[k].shape != target[k].shape]
    names = sorted(set(head_keys) ^ set(ckpt_head))
    if diffs:
        return 'head shapes differ (' + '; '.join(diffs) + ')'
    if names:
        return f'head keys differ: {names}'
    return None


def _match_head(sd: dict, target: Mapping, notes: Dict[str, List[str]], where: str,
                model_name: str, allow_head_mismatch: bool) -> 'tuple[List[str], bool]':
    """Apply the head policy to ``sd`` in place; returns (model keys kept at init, dropped?)."""
    head_keys = [k for k in target if _is_head(k)]
    ckpt_head = [k for k in sd if _is_head(k)]
    if not head_keys:  # a headless model (e.g. a backbone for features)
        notes['ignored'] += ckpt_head
        for k in ckpt_head:
            sd.pop(k)
        return [], False
    problem = _head_problem(sd, target, head_keys, ckpt_head)
    if problem is None:
        return [], False
    if not allow_head_mismatch:
        raise CheckpointError(
            f'Cannot load {where} into {model_name}: {problem}. For inference the head must '
            'match: build the model with the checkpoint\'s num_classes. For fine-tuning on new '
            'classes pass allow_head_mismatch=True (get_model(..., head=dict(num_classes=N)) '
            'does).')
    for k in ckpt_head:
        sd.pop(k)
    warnings.warn(f'Loading {where}: {problem}; the head is left at its initialisation '
                  '(fine-tuning). All other weights were loaded.', stacklevel=4)
    return list(head_keys), True
