"""ConvNeXt backbone: sizes, keys, shapes, options and errors (the arch table and checkpoint
keys of docs/architecture.md)."""
import copy

import pytest
import torch

from mmcls_convnext.models import ConvNeXt, ImageClassifier
from mmcls_convnext.models.backbones.convnext import ARCH_SETTINGS

TINY_ARCH = dict(depths=[1, 1, 2, 1], channels=[8, 16, 32, 64])

PARAMS = {  # V1 with a 1000-class LinearClsHead (docs/architecture.md, "Architectures")
    'tiny': 28_589_128, 'small': 50_223_688, 'base': 88_591_464, 'large': 197_767_336,
    'xlarge': 350_196_968,
}
PARAMS_M = {'atto': 3.70, 'femto': 5.22, 'pico': 9.05, 'nano': 15.59, 'huge': 659.94}


def classifier(arch, num_classes=1000, **backbone):
    width = ARCH_SETTINGS[arch]['channels'][-1] if isinstance(arch, str) else arch['channels'][-1]
    return ImageClassifier(
        backbone=dict(type='ConvNeXt', arch=arch, **backbone),
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=width))


def count(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('arch', sorted(PARAMS))
def test_param_counts_exact(arch):
    with torch.device('meta'):
        model = classifier(arch)
    assert count(model) == PARAMS[arch]


@pytest.mark.parametrize('arch', sorted(PARAMS_M))
def test_param_counts_small_and_huge(arch):
    with torch.device('meta'):
        model = classifier(arch)
    assert round(count(model) / 1e6, 2) == PARAMS_M[arch]


def test_v2_tiny_param_count():
    with torch.device('meta'):
        model = classifier('tiny', use_grn=True, layer_scale_init_value=0.)
    assert count(model) == 28_635_496


def expected_keys(depths, v2):
    keys = ['backbone.downsample_layers.0.0.weight', 'backbone.downsample_layers.0.0.bias',
            'backbone.downsample_layers.0.1.weight', 'backbone.downsample_layers.0.1.bias']
    for i in range(1, len(depths)):
        keys += [f'backbone.downsample_layers.{i}.{j}.{p}' for j in (0, 1)
                 for p in ('weight', 'bias')]
    for i, depth in enumerate(depths):
        for j in range(depth):
            block = f'backbone.stages.{i}.{j}'
            keys += [f'{block}.{m}.{p}' for m in ('depthwise_conv', 'norm', 'pointwise_conv1',
                                                  'pointwise_conv2') for p in ('weight', 'bias')]
            keys += [f'{block}.grn.gamma', f'{block}.grn.beta'] if v2 else [f'{block}.gamma']
    keys += ['backbone.norm3.weight', 'backbone.norm3.bias', 'head.fc.weight', 'head.fc.bias']
    return sorted(keys)


@pytest.mark.parametrize('v2', [False, True], ids=['v1', 'v2'])
def test_state_dict_keys_match_openmmlab_files(v2):
    kwargs = dict(use_grn=True, layer_scale_init_value=0.) if v2 else {}
    with torch.device('meta'):
        model = classifier('tiny', **kwargs)
    sd = model.state_dict()
    assert sorted(sd) == expected_keys([3, 3, 9, 3], v2)
    assert sd['backbone.downsample_layers.0.0.weight'].shape == (96, 3, 4, 4)
    assert sd['backbone.downsample_layers.1.1.weight'].shape == (192, 96, 2, 2)
    assert sd['backbone.stages.0.0.depthwise_conv.weight'].shape == (96, 1, 7, 7)
    assert sd['backbone.stages.0.0.pointwise_conv1.weight'].shape == (384, 96)
    assert sd['backbone.stages.0.0.pointwise_conv2.weight'].shape == (96, 384)
    assert sd['head.fc.weight'].shape == (1000, 768)
    if v2:
        assert sd['backbone.stages.3.2.grn.gamma'].shape == (3072,)
    else:
        assert sd['backbone.stages.3.2.gamma'].shape == (768,)


def test_seed_example_shapes():
    model = classifier('tiny').eval()
    x = torch.rand(1, 3, 224, 224)
    with torch.no_grad():
        assert model(x).shape == (1, 1000)
        feats = model.extract_feat(x)
    assert isinstance(feats, tuple) and len(feats) == 1 and feats[0].shape == (1, 768)


def test_all_stages_spatial_outputs():
    backbone = ConvNeXt('tiny', out_indices=(0, 1, 2, 3), gap_before_final_norm=False).eval()
    with torch.no_grad():
        outs = backbone(torch.rand(1, 3, 224, 224))
    assert [tuple(o.shape) for o in outs] == [(1, 96, 56, 56), (1, 192, 28, 28),
                                              (1, 384, 14, 14), (1, 768, 7, 7)]
    assert backbone.out_channels == (96, 192, 384, 768)
    assert all(hasattr(backbone, f'norm{i}') for i in range(4))


def test_gap_before_final_norm_equals_norm_of_mean():
    backbone = ConvNeXt(TINY_ARCH, out_indices=(1, 3)).eval()
    x = torch.rand(2, 3, 64, 64)
    with torch.no_grad():
        pooled = backbone(x)
        backbone.gap_before_final_norm = False
        spatial = backbone(x)
    assert [tuple(o.shape) for o in pooled] == [(2, 16), (2, 64)]
    assert [tuple(o.shape) for o in spatial] == [(2, 16, 8, 8), (2, 64, 2, 2)]
    # gap then norm is not norm then gap: recompute from the raw stage output
    with torch.no_grad():
        h = x
        for i in range(4):
            h = backbone.stages[i](backbone.downsample_layers[i](h))
        ref = torch.nn.functional.layer_norm(h.mean((2, 3)), (64,), backbone.norm3.weight,
                                             backbone.norm3.bias, 1e-6)
    torch.testing.assert_close(pooled[1], ref, rtol=0, atol=1e-6)


def test_five_stage_custom_arch_negative_indices():
    arch = dict(depths=[1, 1, 1, 1, 1], channels=[8, 16, 24, 32, 40])
    out_indices = [-1, -3]
    given = copy.deepcopy(out_indices)
    backbone = ConvNeXt(arch, out_indices=out_indices, gap_before_final_norm=False).eval()
    assert out_indices == given, 'out_indices argument must not be mutated'
    assert backbone.out_indices == (2, 4)
    assert hasattr(backbone, 'norm4') and hasattr(backbone, 'norm2')
    with torch.no_grad():
        outs = backbone(torch.rand(1, 3, 64, 64))
    # outputs come in stage order
    assert [tuple(o.shape) for o in outs] == [(1, 24, 4, 4), (1, 40, 1, 1)]
    assert backbone.num_features == 40


def test_arch_dict_not_mutated():
    arch = dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])
    given = copy.deepcopy(arch)
    norm_cfg = dict(type='LN2d', eps=1e-6)
    ConvNeXt(arch, norm_cfg=norm_cfg)
    assert arch == given and norm_cfg == dict(type='LN2d', eps=1e-6)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(arch='tinny'), ValueError, r"Unknown ConvNeXt arch 'tinny'.*Did you mean \['tiny'\]"),
    (dict(arch=dict(depths=[1, 1])), ValueError, r'missing \[\'channels\'\]'),
    (dict(arch=dict(depths=[1, 1], channels=[8])), ValueError, r'equal length'),
    (dict(arch='tiny', out_indices=4), ValueError, r'out of range for 4 stages: allowed -4..3'),
    (dict(arch='tiny', out_indices=(0, -4)), ValueError, r'same stage twice'),
    (dict(arch='tiny', frozen_stages=5), ValueError, r'frozen_stages must be an int in 0..4'),
    (dict(arch='tiny', drop_path_rate=1.0), ValueError, r'drop_path_rate must be in \[0, 1\)'),
    (dict(arch=3), TypeError, r'arch must be a name or dict'),
])
def test_invalid_arguments_raise_clear_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ConvNeXt(**kwargs)
    with pytest.raises(AssertionError, match=match):  # what MMPretrain raises for these
        ConvNeXt(**kwargs)


def test_drop_path_rates_rise_linearly():
    backbone = ConvNeXt(TINY_ARCH, drop_path_rate=0.5)
    rates = [0.0 if isinstance(b.drop_path, torch.nn.Identity) else b.drop_path.drop_prob
             for stage in backbone.stages for b in stage]
    expected = [0.5 * i / 4 for i in range(5)]
    assert rates == pytest.approx(expected)


def test_frozen_stages_stay_frozen_after_train():
    backbone = ConvNeXt(TINY_ARCH, frozen_stages=2)
    backbone.train()
    for i in range(4):
        frozen = i < 2
        for module in (backbone.downsample_layers[i], backbone.stages[i]):
            assert all(p.requires_grad is not frozen for p in module.parameters())
            assert all(m.training is not frozen for m in module.modules())
    assert backbone.norm3.weight.requires_grad


def test_frozen_stage_gets_no_gradient_and_no_update():
    backbone = ConvNeXt(TINY_ARCH, frozen_stages=1, drop_path_rate=0.2)
    backbone.train()
    backbone(torch.rand(2, 3, 32, 32))[0].sum().backward()
    assert all(p.grad is None for p in backbone.stages[0].parameters())
    assert all(p.grad is not None for p in backbone.stages[1].parameters())


def test_with_cp_same_output_and_gradients():
    torch.manual_seed(1)
    plain = ConvNeXt(TINY_ARCH, use_grn=True, drop_path_rate=0.).train()
    ckpt = ConvNeXt(TINY_ARCH, use_grn=True, drop_path_rate=0., with_cp=True).train()
    ckpt.load_state_dict(plain.state_dict())
    for p in list(plain.parameters()) + list(ckpt.parameters()):
        torch.nn.init.normal_(p, std=0.1)
    ckpt.load_state_dict(plain.state_dict())
    x1 = torch.rand(2, 3, 32, 32, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_(True)
    out1, out2 = plain(x1)[0], ckpt(x2)[0]
    torch.testing.assert_close(out1, out2)
    out1.pow(2).sum().backward()
    out2.pow(2).sum().backward()
    torch.testing.assert_close(x1.grad, x2.grad)
    for (name, p1), p2 in zip(plain.named_parameters(), ckpt.parameters()):
        assert p2.grad is not None, name
        torch.testing.assert_close(p1.grad, p2.grad, msg=name)


def test_linear_and_conv_pointwise_give_same_output():
    linear = ConvNeXt(TINY_ARCH, use_grn=True).eval()
    conv = ConvNeXt(TINY_ARCH, use_grn=True, linear_pw_conv=False).eval()
    for p in linear.parameters():
        torch.nn.init.normal_(p, std=0.2)
    converted = {k: (v[..., None, None] if 'pointwise_conv' in k and k.endswith('weight') else v)
                 for k, v in linear.state_dict().items()}
    conv.load_state_dict(converted)
    assert conv.stages[0][0].pointwise_conv1.weight.shape == (32, 8, 1, 1)
    x = torch.rand(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(linear(x)[0], conv(x)[0], rtol=1e-5, atol=1e-5)


def test_layer_scale_zero_removes_gamma():
    backbone = ConvNeXt(TINY_ARCH, layer_scale_init_value=0.)
    assert not any(k.endswith('.gamma') for k in backbone.state_dict())
    backbone = ConvNeXt(TINY_ARCH, layer_scale_init_value=1e-6)
    assert backbone.stages[0][0].gamma.detach().eq(1e-6).all()


def test_stem_patch_size_and_in_channels():
    backbone = ConvNeXt(TINY_ARCH, in_channels=1, stem_patch_size=2,
                        gap_before_final_norm=False).eval()
    out = backbone(torch.rand(1, 1, 32, 32))[0]
    assert out.shape == (1, 64, 2, 2)


def test_default_init_follows_recipe():
    backbone = ConvNeXt(TINY_ARCH)
    backbone.init_weights()
    w = backbone.stages[2][1].pointwise_conv1.weight
    # trunc-normal(std=0.02) with the usual absolute bounds (-2, 2): in effect a normal
    assert 0.018 < w.std() < 0.022 and abs(w.mean()) < 0.002
    assert backbone.stages[2][1].pointwise_conv1.bias.eq(0).all()
    assert backbone.norm3.weight.eq(1).all() and backbone.norm3.bias.eq(0).all()


@pytest.mark.parametrize('arch, expected_max', [('tiny', 6), ('base', 12), ('atto', 6)])
def test_get_layer_depth_reference_values(arch, expected_max):
    with torch.device('meta'):
        backbone = ConvNeXt(arch)
    m = expected_max
    depth = backbone.get_layer_depth
    assert depth('backbone.downsample_layers.0.0.weight', 'backbone.') == (0, m + 2)
    assert depth('backbone.downsample_layers.1.1.weight', 'backbone.') == (2, m + 2)
    assert depth('backbone.downsample_layers.2.0.bias', 'backbone.') == (3, m + 2)
    assert depth('backbone.downsample_layers.3.1.weight', 'backbone.') == (m, m + 2)
    assert depth('backbone.stages.0.1.gamma', 'backbone.') == (1, m + 2)
    assert depth('backbone.stages.1.0.norm.weight', 'backbone.') == (2, m + 2)
    assert depth('backbone.stages.2.0.norm.weight', 'backbone.') == (3, m + 2)
    assert depth('backbone.stages.2.5.norm.weight', 'backbone.') == (4, m + 2)
    assert depth('backbone.stages.3.0.depthwise_conv.weight', 'backbone.') == (m, m + 2)
    assert depth('backbone.norm3.weight', 'backbone.') == (m + 1, m + 2)
    assert depth('head.fc.weight', 'backbone.') == (m + 1, m + 2)
    if arch == 'base':
        assert depth('backbone.stages.2.26.norm.weight', 'backbone.') == (11, 14)


def test_classifier_get_layer_depth_uses_backbone_prefix():
    model = classifier(TINY_ARCH, num_classes=5)
    assert model.get_layer_depth('backbone.stages.2.1.gamma') == (3, 8)
    assert model.get_layer_depth('head.fc.weight') == (7, 8)


@pytest.mark.parametrize('size', [(1, 1), (2, 2), (3, 3), (4, 4), (1, 3), (2, 5), (8, 8)])
@pytest.mark.parametrize('bias', [True, False])
def test_depthwise_conv_on_small_maps_equals_full_kernel(size, bias):
    # maps smaller than 4 px use only the kernel taps that reach them; output and gradients must
    # equal the full 7x7 zero-padded convolution
    from mmcls_convnext.models.backbones.convnext_block import depthwise_conv
    torch.manual_seed(0)
    conv = torch.nn.Conv2d(6, 6, kernel_size=7, padding=3, groups=6, bias=bias)
    x = torch.randn(3, 6, *size, requires_grad=True)
    out = depthwise_conv(conv, x)
    ref_conv = copy.deepcopy(conv)
    x_ref = x.detach().clone().requires_grad_()
    ref = ref_conv(x_ref)
    assert out.shape == ref.shape == x.shape
    torch.testing.assert_close(out, ref, atol=1e-6, rtol=1e-5)
    grad = torch.randn_like(ref)
    out.backward(grad)
    ref.backward(grad)
    torch.testing.assert_close(x.grad, x_ref.grad, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(conv.weight.grad, ref_conv.weight.grad, atol=1e-6, rtol=1e-5)
    if bias:
        torch.testing.assert_close(conv.bias.grad, ref_conv.bias.grad, atol=1e-6, rtol=1e-5)
    # taps beyond the map's reach get exactly zero gradient, as with the full kernel
    reach_h, reach_w = min(3, size[0] - 1), min(3, size[1] - 1)
    outside = torch.ones(7, 7, dtype=torch.bool)
    outside[3 - reach_h:4 + reach_h, 3 - reach_w:4 + reach_w] = False
    if outside.any():
        assert conv.weight.grad[:, :, outside].abs().max().item() == 0


def test_small_input_backbone_matches_full_kernel_convolutions():
    # a 32 px input reaches the last two stages as 2x2 and 1x1 maps
    from mmcls_convnext.models.backbones import convnext_block
    torch.manual_seed(0)
    model = ConvNeXt(arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]))
    model.eval()
    x = torch.randn(2, 3, 32, 32)
    out = model(x)[0]
    full = convnext_block.depthwise_conv
    try:
        convnext_block.depthwise_conv = lambda conv, inputs: conv(inputs)
        ref = model(x)[0]
    finally:
        convnext_block.depthwise_conv = full
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:`torch.jit.trace:FutureWarning")
def test_traced_graph_keeps_full_kernel_for_other_sizes():
    # tracing at 32 px (2x2 and 1x1 maps in the last stages) must give a graph that is also
    # right at 64 px: the small-map shortcut is not baked in
    torch.manual_seed(0)
    model = ConvNeXt(arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])).eval()
    traced = torch.jit.trace(model, torch.randn(1, 3, 32, 32), check_trace=False)
    x = torch.randn(2, 3, 64, 64)
    torch.testing.assert_close(traced(x)[0], model(x)[0], atol=1e-5, rtol=1e-5)
