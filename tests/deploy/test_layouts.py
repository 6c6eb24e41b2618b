"""Reverse converters: our keys -> timm / torchvision, explicit names and exact round trips."""
import pytest
import timm
import torch
import torchvision

from mmcls_convnext.deploy import to_timm_state_dict, to_torchvision_state_dict
from mmcls_convnext.weights.convert import convert_state_dict


def _randomised(model):
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=g))
    return model.state_dict()


def _assert_same(actual, expected):
    assert list(actual) == list(expected)
    for key, value in expected.items():
        assert actual[key].shape == value.shape, key
        assert torch.equal(actual[key], value), key


@pytest.mark.parametrize('name, conv_mlp', [('convnext_atto', True), ('convnextv2_atto', True),
                                            ('convnext_tiny', False)])
def test_timm_round_trip_is_exact(name, conv_mlp):
    theirs = _randomised(timm.create_model(name, num_classes=7))
    ours = convert_state_dict(theirs, src='timm')
    _assert_same(to_timm_state_dict(ours, conv_mlp=conv_mlp), theirs)


def test_torchvision_round_trip_loads_strictly_and_predicts_alike():
    tv = torchvision.models.convnext_tiny(num_classes=5).eval()
    theirs = _randomised(tv)
    back = to_torchvision_state_dict(convert_state_dict(theirs, src='torchvision'))
    _assert_same(back, theirs)
    other = torchvision.models.convnext_tiny(num_classes=5).eval()
    other.load_state_dict(back, strict=True)
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(other(x), tv(x), rtol=0, atol=0)


def test_named_keys_and_shapes():
    gamma = torch.arange(4.)
    ours = {'backbone.downsample_layers.0.0.weight': torch.zeros(4, 3, 4, 4),
            'backbone.downsample_layers.2.1.bias': torch.zeros(4),
            'backbone.stages.1.3.depthwise_conv.weight': torch.zeros(4, 1, 7, 7),
            'backbone.stages.1.3.pointwise_conv1.weight': torch.zeros(16, 4),
            'backbone.stages.1.3.gamma': gamma,
            'backbone.norm3.weight': torch.zeros(4), 'head.fc.bias': torch.zeros(2)}
    tv = to_torchvision_state_dict(ours)
    assert list(tv) == ['features.0.0.weight', 'features.4.1.bias', 'features.3.3.block.0.weight',
                        'features.3.3.block.3.weight', 'features.3.3.layer_scale',
                        'classifier.0.weight', 'classifier.2.bias']
    assert tv['features.3.3.layer_scale'].shape == (4, 1, 1)
    tm = to_timm_state_dict(dict(ours, **{'backbone.stages.1.3.grn.gamma': gamma}),
                            conv_mlp=True)
    assert list(tm) == ['stem.0.weight', 'stages.2.downsample.1.bias',
                        'stages.1.blocks.3.conv_dw.weight', 'stages.1.blocks.3.mlp.fc1.weight',
                        'stages.1.blocks.3.gamma', 'head.norm.weight', 'head.fc.bias',
                        'stages.1.blocks.3.mlp.grn.weight']
    assert tm['stages.1.blocks.3.mlp.fc1.weight'].shape == (16, 4, 1, 1)
    assert to_timm_state_dict(ours)['stages.1.blocks.3.mlp.fc1.weight'].shape == (16, 4)


def test_keys_without_counterpart_are_named():
    with pytest.raises(ValueError, match=r"1 key\(s\) of our state dict have no counterpart in "
                                         r"the torchvision ConvNeXt: \['backbone.stages.0.0.grn"):
        to_torchvision_state_dict({'backbone.stages.0.0.grn.gamma': torch.zeros(4)})
    with pytest.raises(ValueError, match=r"timm ConvNeXt: \['backbone.norm0.weight'\]"):
        to_timm_state_dict({'backbone.norm0.weight': torch.zeros(4)})
