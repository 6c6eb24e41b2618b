"""Meta's FCMAE pretraining checkpoints (``convnextv2_*_1k_224_fcmae.pt``) <-> our FCMAE model.

The official files hold ``{'model': state_dict}`` of ``models/fcmae.py`` of
facebookresearch/ConvNeXt-V2: a MinkowskiEngine encoder under ``encoder.`` and a dense decoder.
Sparse layers store their weights differently from ``nn.Conv2d``/``nn.Linear``:

- ``encoder.downsample_layers.0.{0,1}.*`` (the dense stem) -> ``backbone.downsample_layers.0.*``
- ``encoder.downsample_layers.i.0.ln.*`` -> ``backbone.downsample_layers.i.0.*``
- ``encoder.downsample_layers.i.1.kernel`` (4, C_in, C_out) -> ``...i.1.weight``
  (C_out, C_in, 2, 2); ``...i.1.bias`` (1, C_out) -> (C_out,)
- ``encoder.stages.i.j.dwconv.kernel`` (49, C) -> ``backbone.stages.i.j.depthwise_conv.weight``
  (C, 1, 7, 7); ``dwconv.bias`` (1, C) -> (C,)
- ``encoder.stages.i.j.norm.ln.*`` -> ``...norm.*``; ``pwconv{1,2}.linear.*`` ->
  ``...pointwise_conv{1,2}.*``; ``grn.{gamma,beta}`` (1, 4C) -> (4C,)
- ``proj.*``, ``mask_token`` (1, D, 1, 1), ``pred.*`` -> ``decoder.proj.*``,
  ``decoder.mask_token``, ``decoder.pred.*``
- ``decoder.k.{dwconv,norm,pwconv1,pwconv2}.*`` (a dense block) -> ``decoder.blocks.k.*``;
  ``decoder.k.grn.{gamma,beta}`` (1, 1, 1, 4D) -> (4D,)

A MinkowskiEngine kernel of size K is a (K*K, C_in, C_out) stack whose row ``b * K + a`` is the
tap at (row a, column b) of the dense kernel (the rule of the official fine-tuning script's
``remap_checkpoint_keys``). The official encoder has no final LayerNorm; the converted dict gets
``backbone.norm3`` at LayerNorm's initial values (weight 1, bias 0), which is what our FCMAE
keeps in that unused, frozen norm.
"""
import re
from collections import OrderedDict
from typing import Callable, Dict, List, Mapping, Tuple

import torch

_ENC = r'^encoder\.'
Rule = Tuple[re.Pattern, Callable[[re.Match, torch.Tensor], Tuple[str, torch.Tensor]]]
_BLOCK_NAMES = {'dwconv': 'depthwise_conv', 'norm': 'norm', 'pwconv1': 'pointwise_conv1',
                'pwconv2': 'pointwise_conv2', 'grn': 'grn'}


def sparse_kernel_to_dense(kernel: torch.Tensor) -> torch.Tensor:
    """A MinkowskiEngine kernel to the ``nn.Conv2d`` weight: (K*K, C_in, C_out) ->
    (C_out, C_in, K, K); a depthwise (K*K, C) -> (C, 1, K, K)."""
    if kernel.dim() == 2:
        kernel = kernel.unsqueeze(2).transpose(1, 2)  # (K*K, C) -> (K*K, 1, C)
    kv, c_in, c_out = kernel.shape
    k = int(round(kv ** 0.5))
    if k * k != kv:
        raise ValueError(f'A sparse-conv kernel has K*K rows; got {kv} (shape '
                         f'{tuple(kernel.shape)}).')
    return kernel.permute(2, 1, 0).reshape(c_out, c_in, k, k).transpose(2, 3).contiguous()


def dense_kernel_to_sparse(weight: torch.Tensor, depthwise: bool) -> torch.Tensor:
    """Inverse of :func:`sparse_kernel_to_dense`."""
    c_out, c_in, k, _ = weight.shape
    kernel = weight.transpose(2, 3).reshape(c_out, c_in, k * k).permute(2, 1, 0).contiguous()
    return kernel[:, 0, :].contiguous() if depthwise else kernel


def _rules() -> List[Rule]:
    def stem(m, v):
        return f'backbone.downsample_layers.0.{m["k"]}.{m["p"]}', v

    def ds_norm(m, v):
        return f'backbone.downsample_layers.{m["i"]}.0.{m["p"]}', v

    def ds_conv(m, v):
        if m['p'] == 'kernel':
            return f'backbone.downsample_layers.{m["i"]}.1.weight', sparse_kernel_to_dense(v)
        return f'backbone.downsample_layers.{m["i"]}.1.bias', v.reshape(-1)

    def enc_block(m, v):
        ours = f'backbone.stages.{m["i"]}.{m["j"]}.{_BLOCK_NAMES[m["name"]]}'
        p = m['p']
        if p == 'kernel':
            return f'{ours}.weight', sparse_kernel_to_dense(v)
        return f'{ours}.{p}', v.reshape(-1) if v.dim() > 1 and p != 'weight' else v

    def dec_block(m, v):
        ours = f'decoder.blocks.{m["k"]}.{_BLOCK_NAMES[m["name"]]}.{m["p"]}'
        return ours, v.reshape(-1) if m['name'] == 'grn' else v

    table = [
        (_ENC + r'downsample_layers\.0\.(?P<k>[01])\.(?P<p>weight|bias)$', stem),
        (_ENC + r'downsample_layers\.(?P<i>[1-9]\d*)\.0\.ln\.(?P<p>weight|bias)$', ds_norm),
        (_ENC + r'downsample_layers\.(?P<i>[1-9]\d*)\.1\.(?P<p>kernel|bias)$', ds_conv),
        (_ENC + r'stages\.(?P<i>\d+)\.(?P<j>\d+)\.(?P<name>dwconv)\.(?P<p>kernel|bias)$',
         enc_block),
        (_ENC + r'stages\.(?P<i>\d+)\.(?P<j>\d+)\.(?P<name>norm)\.ln\.(?P<p>weight|bias)$',
         enc_block),
        (_ENC + r'stages\.(?P<i>\d+)\.(?P<j>\d+)\.(?P<name>pwconv[12])\.linear\.'
         r'(?P<p>weight|bias)$', enc_block),
        (_ENC + r'stages\.(?P<i>\d+)\.(?P<j>\d+)\.(?P<name>grn)\.(?P<p>gamma|beta)$', enc_block),
        (r'^proj\.(?P<p>weight|bias)$', lambda m, v: (f'decoder.proj.{m["p"]}', v)),
        (r'^mask_token$', lambda m, v: ('decoder.mask_token', v)),
        (r'^decoder\.(?P<k>\d+)\.(?P<name>dwconv|norm|pwconv1|pwconv2)\.(?P<p>weight|bias)$',
         dec_block),
        (r'^decoder\.(?P<k>\d+)\.(?P<name>grn)\.(?P<p>gamma|beta)$', dec_block),
        (r'^pred\.(?P<p>weight|bias)$', lambda m, v: (f'decoder.pred.{m["p"]}', v)),
    ]
    return [(re.compile(p), f) for p, f in table]


_RULES = _rules()


def is_official_fcmae(state_dict: Mapping[str, torch.Tensor]) -> bool:
    """True for the key layout of Meta's FCMAE pretraining checkpoints."""
    return any(k.startswith('encoder.stages.') for k in state_dict) and 'mask_token' in state_dict


def convert_official_fcmae(checkpoint: Mapping) -> 'OrderedDict[str, torch.Tensor]':
    """Meta's ``*_fcmae.pt`` (``{'model': sd}`` or the bare dict) -> our FCMAE state dict.

    Every key must be explained; the result loads with ``FCMAE.load_state_dict(strict=True)``
    into ``FCMAE(backbone=dict(type='ConvNeXt', arch=..., use_grn=True,
    layer_scale_init_value=0.), decoder=dict(embed_dims=512, depth=1))``.

    Raises:
        ValueError: unknown keys (listed), or not that layout.
    """
    sd = checkpoint.get('model', checkpoint) if isinstance(checkpoint, Mapping) else None
    if not isinstance(sd, Mapping):
        raise ValueError(f'An FCMAE checkpoint must be a dict (optionally under "model"); got '
                         f'{type(checkpoint).__name__}.')
    if not is_official_fcmae(sd):
        raise ValueError(f'Not an official FCMAE pretraining state dict (needs encoder.stages.* '
                         f'and mask_token); first keys: {list(sd)[:5]}.')
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    unmapped = []
    for key, value in sd.items():
        for pattern, fn in _RULES:
            match = pattern.match(key)
            if match:
                new_key, new_value = fn(match, value)
                out[new_key] = new_value
                break
        else:
            unmapped.append(key)
    if unmapped:
        raise ValueError(f'{len(unmapped)} key(s) of the official FCMAE checkpoint have no '
                         f'counterpart in our FCMAE: {unmapped[:10]}.')
    stages = sorted({int(k.split('.')[2]) for k in out if k.startswith('backbone.stages.')})
    last = stages[-1]
    width = out[f'backbone.stages.{last}.0.depthwise_conv.weight'].shape[0]
    dtype = out[f'backbone.stages.{last}.0.depthwise_conv.weight'].dtype
    out[f'backbone.norm{last}.weight'] = torch.ones(width, dtype=dtype)
    out[f'backbone.norm{last}.bias'] = torch.zeros(width, dtype=dtype)
    return out


def to_official_fcmae(state_dict: Mapping[str, torch.Tensor]) -> 'OrderedDict[str, torch.Tensor]':
    """Our FCMAE state dict -> the official layout (inverse of
    :func:`convert_official_fcmae`; the unused final norm ``backbone.norm*`` is dropped)."""
    out: OrderedDict[str, torch.Tensor] = OrderedDict()
    back = {v: k for k, v in _BLOCK_NAMES.items()}
    for key, v in state_dict.items():
        parts = key.split('.')
        if re.match(r'^backbone\.norm\d+\.', key):
            continue
        if key.startswith('backbone.downsample_layers.'):
            i, k, p = parts[2], parts[3], parts[4]
            if i == '0':
                out[f'encoder.downsample_layers.0.{k}.{p}'] = v
            elif k == '0':
                out[f'encoder.downsample_layers.{i}.0.ln.{p}'] = v
            elif p == 'weight':
                out[f'encoder.downsample_layers.{i}.1.kernel'] = dense_kernel_to_sparse(v, False)
            else:
                out[f'encoder.downsample_layers.{i}.1.bias'] = v.reshape(1, -1)
        elif key.startswith('backbone.stages.'):
            i, j, name, p = parts[2], parts[3], back[parts[4]], parts[5]
            base = f'encoder.stages.{i}.{j}.{name}'
            if name == 'dwconv':
                out[f'{base}.kernel' if p == 'weight' else f'{base}.bias'] = (
                    dense_kernel_to_sparse(v, True) if p == 'weight' else v.reshape(1, -1))
            elif name == 'norm':
                out[f'{base}.ln.{p}'] = v
            elif name == 'grn':
                out[f'{base}.{p}'] = v.reshape(1, -1)
            else:
                out[f'{base}.linear.{p}'] = v
        elif key.startswith('decoder.blocks.'):
            k, name, p = parts[2], back[parts[3]], parts[4]
            out[f'decoder.{k}.{name}.{p}'] = v.reshape(1, 1, 1, -1) if name == 'grn' else v
        elif key.startswith('decoder.proj.') or key.startswith('decoder.pred.'):
            out[f'{parts[1]}.{parts[2]}'] = v
        elif key == 'decoder.mask_token':
            out['mask_token'] = v
        else:
            raise ValueError(f'Key {key!r} is not part of an FCMAE state dict.')
    return out


def describe(state_dict: Mapping[str, torch.Tensor]) -> Dict[str, int]:
    """Sizes of the parts of an FCMAE state dict (for converter summaries)."""
    return dict(encoder=sum(1 for k in state_dict if k.startswith('backbone.')),
                decoder=sum(1 for k in state_dict if k.startswith('decoder.')))
