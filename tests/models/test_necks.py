"""GlobalAveragePooling over 1, 2 or 3 spatial dims; tensor in -> tensor out, tuple -> tuple."""
import pytest
import torch

from mmcls_convnext.models import GlobalAveragePooling
from mmcls_convnext.registry import MODELS


@pytest.mark.parametrize('dim, shape', [(1, (2, 5, 7)), (2, (2, 5, 3, 4)), (3, (2, 5, 2, 3, 4))])
def test_gap_averages_the_spatial_dims(dim, shape):
    x = torch.randn(*shape)
    ref = x.reshape(2, 5, -1).sum(-1) / x[0, 0].numel()  # independent: sum / count
    neck = MODELS.build(dict(type='GlobalAveragePooling', dim=dim))
    out = neck(x)
    assert isinstance(out, torch.Tensor)
    torch.testing.assert_close(out, ref)
    pair = neck((x, x * 2))
    assert isinstance(pair, tuple) and len(pair) == 2
    torch.testing.assert_close(pair[1], ref * 2)


def test_gap_passes_pooled_features_and_keeps_channels_last_input_right():
    pooled = torch.randn(3, 8)
    assert GlobalAveragePooling()(pooled) is pooled
    x = torch.randn(2, 8, 5, 5).to(memory_format=torch.channels_last)
    torch.testing.assert_close(GlobalAveragePooling()(x), x.contiguous().mean(dim=(2, 3)))


def test_gap_errors():
    with pytest.raises(AssertionError, match=r"dim must be 1, 2 or 3 .*; got 'other'"):
        GlobalAveragePooling(dim='other')
    with pytest.raises(ValueError, match=r'dim must be 1, 2 or 3 .*; got 4'):
        GlobalAveragePooling(dim=4)
    with pytest.raises(ValueError, match=r'GlobalAveragePooling\(dim=2\) expects \(N, C, H, W\) '
                                         r'\(or pooled \(N, C\)\) features; got shape \(2, 3, 4\)'):
        GlobalAveragePooling()(torch.randn(2, 3, 4))
    with pytest.raises(TypeError, match='inputs must be a tensor or a tuple of tensors; got dict'):
        GlobalAveragePooling()({'x': torch.randn(1, 2, 3, 3)})
