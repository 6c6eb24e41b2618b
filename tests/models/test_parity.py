"""Logit parity of converted timm / torchvision ConvNeXt weights (independent implementations).

Random weights with every norm, layer-scale and GRN tensor perturbed, so that a tensor loaded
into the wrong place (or not at all) changes the logits. Eval mode, max |delta logit| <= 1e-5.
"""
import pytest
import torch

from mmcls_convnext.models import ImageClassifier
from mmcls_convnext.weights import convert_state_dict, detect_layout, load_model_weights

timm = pytest.importorskip('timm')
torchvision = pytest.importorskip('torchvision')

TOL = 1e-5


def _perturb(module: torch.nn.Module) -> None:
    """Randomise parameters that are constant at init (norm affine, layer scale, GRN)."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, p in module.named_parameters():
            if p.ndim == 1 or 'layer_scale' in name or 'grn' in name or name.endswith('gamma'):
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5 + (1.0 if 'norm' in name else 0.))


def _ours(arch: str, v2: bool, num_classes: int = 1000) -> ImageClassifier:
    channels = {'tiny': 768, 'atto': 320}[arch]
    backbone = dict(type='ConvNeXt', arch=arch)
    if v2:
        backbone.update(use_grn=True, layer_scale_init_value=0.)
    return ImageClassifier(
        backbone=backbone,
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=channels)).eval()


def _assert_parity(reference: torch.nn.Module, ours: torch.nn.Module, size: int = 64) -> None:
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = reference.eval()(x)
        got = ours.eval()(x)
    assert got.shape == expected.shape
    diff = (got - expected).abs().max().item()
    assert diff <= TOL, f'max |delta logit| = {diff:.3g} > {TOL}'
    # the check can fail: logits are far from constant
    assert expected.std().item() > 1e-2


@pytest.mark.parametrize('timm_name,arch,v2', [
    ('convnext_tiny', 'tiny', False),
    ('convnextv2_atto', 'atto', True),  # conv_mlp variant: 1x1-conv MLP weights, GRN
])
def test_timm_parity(timm_name, arch, v2):
    ref = timm.create_model(timm_name, pretrained=False)
    _perturb(ref)
    sd = ref.state_dict()
    assert detect_layout(sd) == 'timm'
    ours = _ours(arch, v2)
    report = load_model_weights(ours, convert_state_dict(sd))
    assert report['loaded'] == len(ours.state_dict())
    _assert_parity(ref, ours)


def test_torchvision_parity():
    ref = torchvision.models.convnext_tiny(weights=None)
    _perturb(ref)
    sd = ref.state_dict()
    assert detect_layout(sd) == 'torchvision'
    ours = _ours('tiny', False)
    load_model_weights(ours, convert_state_dict(sd, src='torchvision'))
    _assert_parity(ref, ours)


def test_parity_detects_a_misplaced_tensor():
    """The perturbation makes every tensor matter: swapping two norms breaks parity."""
    ref = timm.create_model('convnextv2_atto', pretrained=False)
    _perturb(ref)
    sd = convert_state_dict(ref.state_dict())
    a, b = 'backbone.stages.2.0.grn.gamma', 'backbone.stages.2.1.grn.gamma'
    sd[a], sd[b] = sd[b].clone(), sd[a].clone()
    ours = _ours('atto', True)
    load_model_weights(ours, sd)
    with pytest.raises(AssertionError, match='max'):
        _assert_parity(ref, ours)
