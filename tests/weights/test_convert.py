"""Official (facebookresearch) and Hugging Face layouts: hand-built dicts converted back."""
import re

import pytest
import torch

from mmcls_convnext.models import ImageClassifier
from mmcls_convnext.weights import convert_state_dict, detect_layout, unwrap_state_dict

ARCH = dict(depths=[1, 1, 2, 1], channels=[8, 16, 24, 32])


def _ours(v2: bool) -> dict:
    backbone = dict(type='ConvNeXt', arch=ARCH)
    if v2:
        backbone.update(use_grn=True, layer_scale_init_value=0.)
    model = ImageClassifier(backbone=backbone,
                            head=dict(type='LinearClsHead', num_classes=7, in_channels=32))
    return {k: torch.randn_like(v) for k, v in model.state_dict().items()}


def _to_official(sd: dict) -> dict:
    """Our keys -> facebookresearch keys, written independently of convert.py."""
    out = {}
    for k, v in sd.items():
        k2 = k.replace('backbone.', '', 1)
        k2 = (k2.replace('depthwise_conv', 'dwconv').replace('pointwise_conv1', 'pwconv1')
              .replace('pointwise_conv2', 'pwconv2'))
        k2 = k2.replace('norm3.', 'norm.').replace('head.fc.', 'head.')
        if '.grn.' in k2:
            v = v.reshape(1, 1, 1, -1)  # the official GRN parameter shape
        out[k2] = v
    return out


def _to_hf(sd: dict, v2: bool) -> dict:
    prefix = 'convnextv2.' if v2 else 'convnext.'
    out = {}
    for k, v in sd.items():
        if k.startswith('head.fc.'):
            out['classifier.' + k.rsplit('.', 1)[1]] = v
            continue
        m = re.match(r'backbone\.downsample_layers\.(\d)\.(\d)\.(\w+)$', k)
        if m and m[1] == '0':
            name = 'patch_embeddings' if m[2] == '0' else 'layernorm'
            out[f'{prefix}embeddings.{name}.{m[3]}'] = v
            continue
        if m:
            out[f'{prefix}encoder.stages.{m[1]}.downsampling_layer.{m[2]}.{m[3]}'] = v
            continue
        m = re.match(r'backbone\.stages\.(\d)\.(\d+)\.(.+)$', k)
        if m:
            rest = {'depthwise_conv': 'dwconv', 'norm': 'layernorm', 'gamma':
                    'layer_scale_parameter', 'grn': 'grn', 'pointwise_conv1': 'pwconv1',
                    'pointwise_conv2': 'pwconv2'}
            head, _, tail = m[3].partition('.')
            name = rest.get(head, head)
            if head == 'grn':
                tail = {'gamma': 'weight', 'beta': 'bias'}[tail]
                v = v.reshape(1, 1, 1, -1)
            key = f'{name}.{tail}' if tail else name
            out[f'{prefix}encoder.stages.{m[1]}.layers.{m[2]}.{key}'] = v
            continue
        assert k.startswith('backbone.norm3.'), k
        out[f'{prefix}layernorm.' + k.rsplit('.', 1)[1]] = v
    return out


def _assert_same(converted: dict, expected: dict) -> None:
    assert sorted(converted) == sorted(expected)
    for k, v in expected.items():
        assert converted[k].shape == v.shape, k
        assert torch.equal(converted[k], v), k


@pytest.mark.parametrize('v2', [False, True])
def test_official_roundtrip(v2):
    ours = _ours(v2)
    official = {'model': _to_official(ours)}
    assert detect_layout(unwrap_state_dict(official)) == 'official'
    _assert_same(convert_state_dict(official), ours)
    if v2:
        grn = convert_state_dict(official)['backbone.stages.0.0.grn.gamma']
        assert grn.shape == (4 * 8, )


@pytest.mark.parametrize('v2', [False, True])
def test_hf_roundtrip(v2):
    ours = _ours(v2)
    hf = _to_hf(ours, v2)
    assert detect_layout(hf) == 'hf'
    _assert_same(convert_state_dict(hf, src='hf'), ours)


def test_module_prefix_and_mmcls_passthrough():
    ours = _ours(False)
    wrapped = {'state_dict': {'module.' + k: v for k, v in ours.items()}}
    assert detect_layout(unwrap_state_dict(wrapped)) == 'mmcls'
    _assert_same(convert_state_dict(wrapped), ours)


def test_input_is_not_modified():
    official = _to_official(_ours(True))
    before = {k: v.clone() for k, v in official.items()}
    convert_state_dict(official)
    _assert_same(official, before)


def test_unmapped_key_is_an_error():
    official = _to_official(_ours(False))
    official['stages.0.0.extra.weight'] = torch.zeros(3)
    with pytest.raises(ValueError, match=r"1 key\(s\) of the 'official' state dict.*extra"):
        convert_state_dict(official)


def test_unknown_src_and_layout():
    with pytest.raises(ValueError, match='Unknown source layout .*mmpretrain'):
        convert_state_dict({'a': torch.zeros(1)}, src='mmpretrain')
    with pytest.raises(ValueError, match='Unrecognised state-dict layout'):
        detect_layout({'foo.weight': torch.zeros(1)})
    with pytest.raises(ValueError, match='FCMAE pre-training checkpoint'):
        detect_layout({'encoder.stem.0.weight': torch.zeros(1), 'mask_token': torch.zeros(1)})
