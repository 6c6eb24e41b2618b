"""tools/visualization/vis_cam.py: Grad-CAM maps against the closed form of a GAP + linear net."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

TINY_CONFIG = """
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(type='LinearClsHead', num_classes=5, in_channels=64),
)
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=64, edge='short'),
                 dict(type='CenterCrop', crop_size=64), dict(type='PackInputs')]
"""


def _tool():
    path = osp.join(REPO, 'tools', 'visualization', 'vis_cam.py')
    spec = importlib.util.spec_from_file_location('vis_cam', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class GapLinearNet(nn.Module):
    """features -> global average pooling -> linear: Grad-CAM has a closed form here."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 6, 3, stride=4, padding=1), nn.ReLU())
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(self.features(x).mean(dim=(2, 3)))


def _normalise(cam):
    cam = cam - cam.min()
    return cam / cam.max()


def _closed_form(net, x, category, method):
    """With GAP + linear, dy_c/dA_k = W[c, k] / (h w) at every position."""
    with torch.no_grad():
        acts = net.features(x)[0]  # (C, h, w)
        h, w = acts.shape[-2:]
        g = net.fc.weight[category] / (h * w)  # (C,)
        if method == 'gradcam':
            weights = g
        elif method == 'layercam':
            weights = F.relu(g)
        else:  # gradcam++ with constant gradients: alpha = g^2 / (2 g^2 + sum(A) g^3)
            s = acts.sum(dim=(1, 2))
            denom = 2 * g ** 2 + s * g ** 3
            weights = h * w * F.relu(g) * g ** 2 / torch.where(denom != 0, denom, 1)
        cam = F.relu(torch.einsum('c,chw->hw', weights, acts))
        up = F.interpolate(cam[None, None], size=x.shape[-2:], mode='bilinear',
                           align_corners=False)[0, 0]
    return _normalise(up).numpy()


@pytest.mark.parametrize('method', ['gradcam', 'gradcam++', 'layercam'])
def test_maps_equal_closed_form(method):
    torch.manual_seed(3)
    net = GapLinearNet()
    x = torch.randn(1, 3, 32, 32)
    cam, category, logits = _tool().GradCAM(net, ['features'], method)(x)
    assert category == int(net(x).argmax())
    assert cam.shape == (32, 32) and cam.min() == 0 and cam.max() == pytest.approx(1)
    np.testing.assert_allclose(cam, _closed_form(net, x, category, method), atol=1e-5)


def test_explicit_category_and_model_state_restored():
    torch.manual_seed(4)
    net = GapLinearNet().train()
    x = torch.randn(1, 3, 32, 32)
    cam, category, _ = _tool().GradCAM(net, ['features'])(x, category=2)
    assert category == 2 and net.training
    np.testing.assert_allclose(cam, _closed_form(net, x, 2, 'gradcam'), atol=1e-5)
    assert not net.features[0]._forward_hooks  # hooks removed


def test_localises_a_planted_object():
    """Only red pixels excite the class: the map must be hot where the red square is."""
    net = GapLinearNet()
    with torch.no_grad():
        net.features[0].weight.zero_()
        net.features[0].bias.zero_()
        net.features[0].weight[0, 0, 1, 1] = 1.0  # channel 0 copies the red input (centre tap)
        net.fc.weight.zero_()
        net.fc.bias.zero_()
        net.fc.weight[1, 0] = 1.0
    x = torch.zeros(1, 3, 64, 64)
    x[0, 0, 40:60, 4:24] = 1.0  # red square in the bottom-left
    cam, category, _ = _tool().GradCAM(net, ['features'])(x)
    assert category == 1
    assert cam[40:60, 4:24].mean() > 0.5 > cam[:24, 40:].mean()


def test_errors_name_the_problem():
    tool = _tool()
    net = GapLinearNet()
    with pytest.raises(ValueError, match="'featurs' is not a module.*Did you mean features"):
        tool.GradCAM(net, ['featurs'])
    with pytest.raises(ValueError, match="--method 'gradcm' is not supported.*'gradcam'"):
        tool.GradCAM(net, ['features'], 'gradcm')
    with pytest.raises(ValueError, match=r"Target layer 'fc' outputs Tensor \(1, 4\)"):
        tool.GradCAM(net, ['fc'])(torch.randn(1, 3, 32, 32))
    with pytest.raises(ValueError, match=r'--target-category 9 is out of range.*4 classes'):
        tool.GradCAM(net, ['features'])(torch.randn(1, 3, 32, 32), category=9)
    with pytest.raises(ValueError, match=r'takes one image \(1, C, H, W\); got \(2, 3, 8, 8\)'):
        tool.GradCAM(net, ['features'])(torch.randn(2, 3, 8, 8))
    with pytest.raises(ValueError, match=r'--alpha must be in \[0, 1\]; got 2'):
        tool.overlay(np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8), np.float32), alpha=2)


def test_cli_on_a_convnext_stage(tmp_path):
    config = tmp_path / 'tiny.py'
    config.write_text(TINY_CONFIG)
    image = tmp_path / 'photo.png'
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 255, (80, 96, 3), np.uint8))
    out = tmp_path / 'out' / 'cam.png'
    result = _tool().main([str(image), str(config), '--target-layers', 'backbone.stages.3',
                           'backbone.stages.2', '--target-category', '3', '--save-path',
                           str(out)])
    assert result['category'] == 3 and 0 < result['score'] < 1
    assert result['cam'].shape == (64, 64)
    picture = cv2.imread(str(out))[..., ::-1]  # RGB
    band = picture.shape[0] - 224  # caption band above the 224 x 224 overlay
    assert 12 < band < 40 and picture.shape[1] > 224 + 12
    bar = picture[band:, 224 + 6 + 2]  # a column of the colour bar right of the overlay
    assert bar[2, 0] > 100 and bar[2, 2] < 60  # 1.0 at the top: JET red
    assert bar[-3, 2] > 100 and bar[-3, 0] < 60  # 0.0 at the bottom: JET blue
    with pytest.raises(FileNotFoundError, match='Image /no/img.png does not exist'):
        _tool().main(['/no/img.png', str(config)])
