"""LN2d and GRN against independent formulas."""
import pytest
import torch
import torch.nn.functional as F

from mmcls_convnext.models import GRN, LayerNorm2d
from mmcls_convnext.registry import MODELS


def test_ln2d_registered_under_openmmlab_name():
    assert MODELS.get('LN2d') is LayerNorm2d


def test_ln2d_matches_layer_norm_over_channels():
    norm = LayerNorm2d(6, eps=1e-6)
    torch.nn.init.normal_(norm.weight)
    torch.nn.init.normal_(norm.bias)
    x = torch.randn(2, 6, 5, 7) * 3 + 1
    # independent: normalise each pixel's channel vector by its own mean / biased variance
    mean = x.mean(dim=1, keepdim=True)
    var = x.var(dim=1, unbiased=False, keepdim=True)
    ref = (x - mean) / torch.sqrt(var + 1e-6) * norm.weight.view(1, -1, 1, 1) \
        + norm.bias.view(1, -1, 1, 1)
    out = norm(x)
    assert out.shape == x.shape
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(
        out, F.layer_norm(x.permute(0, 2, 3, 1), (6,), norm.weight, norm.bias,
                          1e-6).permute(0, 3, 1, 2))


def test_ln2d_returns_channels_last_memory_without_copy():
    out = LayerNorm2d(4)(torch.randn(1, 4, 3, 3))
    assert out.is_contiguous(memory_format=torch.channels_last)


def test_ln2d_rejects_non_4d_input():
    with pytest.raises(ValueError, match=r'expects an \(N, C, H, W\) tensor; got shape \(2, 4\)'):
        LayerNorm2d(4)(torch.randn(2, 4))


def grn_reference(x_nhwc, gamma, beta, eps=1e-6):
    n, h, w, c = x_nhwc.shape
    gx = x_nhwc.pow(2).sum(dim=(1, 2)).sqrt()  # (N, C): L2 over H, W
    nx = gx / (gx.mean(dim=1, keepdim=True) + eps)
    return gamma * (x_nhwc * nx.view(n, 1, 1, c)) + beta + x_nhwc


def test_grn_zero_init_is_identity():
    grn = GRN(8)
    x = torch.randn(2, 8, 3, 3)  # default layout: channel_first, as in MMPretrain
    assert grn.gamma.eq(0).all() and grn.beta.eq(0).all() and grn.gamma.shape == (8,)
    torch.testing.assert_close(grn(x), x)
    torch.testing.assert_close(grn(x.permute(0, 2, 3, 1), data_format='channel_last'),
                               x.permute(0, 2, 3, 1))


@pytest.mark.parametrize('layout', ['channel_last', 'channel_first'])
def test_grn_matches_formula(layout):
    grn = GRN(8, data_format=layout)
    torch.nn.init.normal_(grn.gamma)
    torch.nn.init.normal_(grn.beta)
    x = torch.randn(2, 4, 5, 8)
    ref = grn_reference(x, grn.gamma, grn.beta)
    if layout == 'channel_first':
        out = grn(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
    else:
        out = grn(x)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-5)


def test_grn_rejects_unknown_layout():
    with pytest.raises(ValueError, match="data_format must be 'channel_last' or 'channel_first'"):
        GRN(4, data_format='nhwc')


def test_grn_forward_data_format_overrides_the_constructor_layout():
    grn = GRN(8, data_format='channel_last')
    torch.nn.init.normal_(grn.gamma)
    torch.nn.init.normal_(grn.beta)
    x = torch.randn(2, 4, 5, 8)  # (N, H, W, C)
    ref = grn_reference(x, grn.gamma, grn.beta)
    torch.testing.assert_close(grn(x), ref, rtol=1e-5, atol=1e-5)
    out = grn(x.permute(0, 3, 1, 2), data_format='channel_first')
    torch.testing.assert_close(out.permute(0, 2, 3, 1), ref, rtol=1e-5, atol=1e-5)
    with pytest.raises(AssertionError, match="data_format must be 'channel_last' or "):
        grn(x, data_format='NHWC')


def test_ln2d_channel_last_is_a_plain_layer_norm_over_the_last_dim():
    norm = LayerNorm2d(6, eps=1e-5)
    torch.nn.init.normal_(norm.weight)
    torch.nn.init.normal_(norm.bias)
    x = torch.randn(2, 3, 4, 6)
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, unbiased=False, keepdim=True)
    ref = (x - mean) / torch.sqrt(var + 1e-5) * norm.weight + norm.bias
    torch.testing.assert_close(norm(x, data_format='channel_last'), ref, rtol=1e-5, atol=1e-5)
    nchw = x.permute(0, 3, 1, 2)
    out = norm(nchw, data_format='channel_first')
    torch.testing.assert_close(out, ref.permute(0, 3, 1, 2), rtol=1e-5, atol=1e-5)
    assert out.is_contiguous(memory_format=torch.channels_last)  # still no copy back to NCHW
    with pytest.raises(ValueError, match="data_format must be 'channel_first' or "
                                         "'channel_last'; got 'nchw'"):
        norm(nchw, data_format='nchw')
