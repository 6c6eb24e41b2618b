"""VisionTransformer: output types, position-embedding interpolation, MMPretrain's layer ids for
layer-wise lr decay, and one block against torch's own multi-head attention."""
import pytest
import torch
import torch.nn as nn

from mmcls_convnext.models import ModelConfigError, VisionTransformer

TINY = dict(embed_dims=16, num_layers=2, num_heads=2, feedforward_channels=32)


def test_output_types_and_sizes():
    x = torch.rand(2, 3, 32, 32)
    shapes = {}
    for out_type in ('cls_token', 'featmap', 'avg_featmap', 'raw'):
        vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8, out_type=out_type)
        shapes[out_type] = tuple(vit(x)[-1].shape)
    assert shapes == {'cls_token': (2, 16), 'featmap': (2, 16, 4, 4), 'avg_featmap': (2, 16),
                      'raw': (2, 17, 16)}
    vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8, out_type='featmap',
                            out_indices=(0, 1))
    outs = vit(torch.rand(1, 3, 48, 40))  # other sizes interpolate the position embedding
    assert [tuple(o.shape) for o in outs] == [(1, 16, 6, 5)] * 2
    with pytest.raises(ModelConfigError, match='out_type'):
        VisionTransformer(arch=TINY, out_type='tokens')


def test_layer_depth_for_layer_wise_lr_decay():
    vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8)
    depth = {name: vit.get_layer_depth(name) for name in (
        'cls_token', 'pos_embed', 'patch_embed.weight', 'layers.0.ln1.weight',
        'layers.1.ffn.0.bias', 'ln1.weight')}
    assert depth == {'cls_token': (0, 4), 'pos_embed': (0, 4), 'patch_embed.weight': (0, 4),
                     'layers.0.ln1.weight': (1, 4), 'layers.1.ffn.0.bias': (2, 4),
                     'ln1.weight': (3, 4)}
    assert vit.get_layer_depth('head.fc.weight', prefix='backbone.') == (3, 4)


def test_a_block_is_pre_norm_attention_then_mlp():
    torch.manual_seed(0)
    vit = VisionTransformer(arch=TINY, img_size=32, patch_size=8)
    block = vit.layers[0]
    mha = nn.MultiheadAttention(16, 2, batch_first=True)
    mha.in_proj_weight.data = block.attn.qkv.weight.data.clone()
    mha.in_proj_bias.data = block.attn.qkv.bias.data.clone()
    mha.out_proj.weight.data = block.attn.proj.weight.data.clone()
    mha.out_proj.bias.data = block.attn.proj.bias.data.clone()
    x = torch.randn(3, 5, 16)
    h = block.ln1(x)
    y = x + mha(h, h, h, need_weights=False)[0]
    y = y + block.ffn(block.ln2(y))
    torch.testing.assert_close(block(x), y, rtol=1e-5, atol=1e-5)
