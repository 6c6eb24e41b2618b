"""FCMAE weights both ways: Meta's published layout -> our FCMAE (strict) and back; our
pretraining checkpoint's encoder -> a ConvNeXt V2 backbone or classifier (strict).

The official layout is written here from the official model definition (facebookresearch/
ConvNeXt-V2 ``models/fcmae.py``, ``convnextv2_sparse.py``, ``utils.py``): key names and
MinkowskiEngine shapes, typed in by hand, filled with random numbers.
"""
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mmcls_convnext.models import ConvNeXt
from mmcls_convnext.models.selfsup import FCMAE
from mmcls_convnext.models.selfsup.official_layout import (
    convert_official_fcmae,
    to_official_fcmae,
)

ROOT = Path(__file__).resolve().parents[2]
DEPTHS, DIMS, DEC = [1, 2, 1, 1], [8, 16, 24, 32], 40


def official_layout(depths=DEPTHS, dims=DIMS, dec=DEC, patch=32, in_chans=3, seed=0):
    """``{'model': sd}`` with the keys and shapes of Meta's ``*_fcmae.pt``."""
    shapes = {
        'encoder.downsample_layers.0.0.weight': (dims[0], in_chans, 4, 4),
        'encoder.downsample_layers.0.0.bias': (dims[0],),
        'encoder.downsample_layers.0.1.weight': (dims[0],),
        'encoder.downsample_layers.0.1.bias': (dims[0],),
    }
    for i in range(1, 4):
        shapes[f'encoder.downsample_layers.{i}.0.ln.weight'] = (dims[i - 1],)
        shapes[f'encoder.downsample_layers.{i}.0.ln.bias'] = (dims[i - 1],)
        shapes[f'encoder.downsample_layers.{i}.1.kernel'] = (4, dims[i - 1], dims[i])
        shapes[f'encoder.downsample_layers.{i}.1.bias'] = (1, dims[i])
    for i, (d, c) in enumerate(zip(depths, dims)):
        for j in range(d):
            b = f'encoder.stages.{i}.{j}.'
            shapes.update({
                b + 'dwconv.kernel': (49, c), b + 'dwconv.bias': (1, c),
                b + 'norm.ln.weight': (c,), b + 'norm.ln.bias': (c,),
                b + 'pwconv1.linear.weight': (4 * c, c), b + 'pwconv1.linear.bias': (4 * c,),
                b + 'grn.gamma': (1, 4 * c), b + 'grn.beta': (1, 4 * c),
                b + 'pwconv2.linear.weight': (c, 4 * c), b + 'pwconv2.linear.bias': (c,)})
    shapes.update({
        'proj.weight': (dec, dims[-1], 1, 1), 'proj.bias': (dec,),
        'mask_token': (1, dec, 1, 1),
        'decoder.0.dwconv.weight': (dec, 1, 7, 7), 'decoder.0.dwconv.bias': (dec,),
        'decoder.0.norm.weight': (dec,), 'decoder.0.norm.bias': (dec,),
        'decoder.0.pwconv1.weight': (4 * dec, dec), 'decoder.0.pwconv1.bias': (4 * dec,),
        'decoder.0.grn.gamma': (1, 1, 1, 4 * dec), 'decoder.0.grn.beta': (1, 1, 1, 4 * dec),
        'decoder.0.pwconv2.weight': (dec, 4 * dec), 'decoder.0.pwconv2.bias': (dec,),
        'pred.weight': (patch ** 2 * in_chans, dec, 1, 1), 'pred.bias': (patch ** 2 * in_chans,),
    })
    gen = torch.Generator().manual_seed(seed)
    return {'model': {k: torch.randn(s, generator=gen) for k, s in shapes.items()}}


def our_fcmae(**kw) -> FCMAE:
    return FCMAE(backbone=dict(type='ConvNeXt', arch=dict(depths=DEPTHS, channels=DIMS),
                               use_grn=True, layer_scale_init_value=0.),
                 decoder=dict(embed_dims=DEC), **kw)


def test_official_layout_converts_strictly_and_places_every_tap():
    official = official_layout()
    sd = convert_official_fcmae(official)
    model = our_fcmae()
    model.load_state_dict(sd, strict=True)  # every key, every shape
    src = official['model']
    # depthwise: MinkowskiEngine row b * 7 + a is the tap at row a, column b
    ours = model.backbone.stages[2][0].depthwise_conv.weight
    kernel = src['encoder.stages.2.0.dwconv.kernel']
    for c, a, b in [(0, 0, 0), (3, 1, 5), (23, 6, 2), (11, 3, 3)]:
        assert ours[c, 0, a, b] == kernel[b * 7 + a, c]
    # downsample: (4, C_in, C_out), row b * 2 + a
    ours = model.backbone.downsample_layers[3][1].weight
    kernel = src['encoder.downsample_layers.3.1.kernel']
    for o, i, a, b in [(0, 0, 0, 1), (31, 23, 1, 0), (5, 7, 1, 1)]:
        assert ours[o, i, a, b] == kernel[b * 2 + a, i, o]
    torch.testing.assert_close(model.backbone.downsample_layers[1][1].bias,
                               src['encoder.downsample_layers.1.1.bias'][0], rtol=0, atol=0)
    torch.testing.assert_close(model.backbone.stages[0][0].grn.gamma,
                               src['encoder.stages.0.0.grn.gamma'][0], rtol=0, atol=0)
    torch.testing.assert_close(model.backbone.stages[1][1].pointwise_conv2.weight,
                               src['encoder.stages.1.1.pwconv2.linear.weight'], rtol=0, atol=0)
    torch.testing.assert_close(model.decoder.blocks[0].grn.beta,
                               src['decoder.0.grn.beta'].flatten(), rtol=0, atol=0)
    torch.testing.assert_close(model.decoder.mask_token, src['mask_token'], rtol=0, atol=0)
    torch.testing.assert_close(model.decoder.pred.weight, src['pred.weight'], rtol=0, atol=0)
    # the official encoder has no final norm: ours holds LayerNorm's initial values
    assert torch.all(model.backbone.norm3.weight == 1) and torch.all(model.backbone.norm3.bias == 0)


def test_round_trip_back_to_the_official_layout_is_exact():
    official = official_layout(seed=3)['model']
    back = to_official_fcmae(convert_official_fcmae(official))
    assert list(back) == list(official)
    for k in official:
        assert back[k].shape == official[k].shape, k
        assert torch.equal(back[k], official[k]), k


def test_the_converted_depthwise_conv_computes_what_the_sparse_one_does():
    """A sparse depthwise conv with kernel rows b * K + a over one fully visible map equals
    ``F.conv2d`` with the converted weight (here written as the explicit tap sum)."""
    kernel = torch.randn(49, 3, dtype=torch.float64)
    from mmcls_convnext.models.selfsup.official_layout import sparse_kernel_to_dense
    weight = sparse_kernel_to_dense(kernel)
    x = torch.randn(1, 3, 9, 9, dtype=torch.float64)
    dense = torch.nn.functional.conv2d(x, weight, padding=3, groups=3)
    y, xx = 4, 5
    expected = torch.zeros(3, dtype=torch.float64)
    for a in range(7):
        for b in range(7):
            yy, xxx = y + a - 3, xx + b - 3
            if 0 <= yy < 9 and 0 <= xxx < 9:
                expected += kernel[b * 7 + a] * x[0, :, yy, xxx]
    torch.testing.assert_close(dense[0, :, y, xx], expected)


def test_bad_official_files_are_named():
    sd = official_layout()['model']
    sd['encoder.stages.0.0.extra'] = torch.zeros(1)
    with pytest.raises(ValueError, match=r"encoder.stages.0.0.extra"):
        convert_official_fcmae(sd)
    with pytest.raises(ValueError, match='Not an official FCMAE'):
        convert_official_fcmae({'stages.0.0.dwconv.weight': torch.zeros(1)})


def test_converter_cli_and_loading_paths(tmp_path):
    """Meta's file -> tools/model_converters/fcmae_to_mmcls.py -> our FCMAE (strict), its
    encoder into a bare backbone (init_cfg Pretrained, prefix) and a classifier (get_model)."""
    src = tmp_path / 'convnextv2_custom_1k_224_fcmae.pt'
    torch.save(official_layout(seed=5), src)
    dst = tmp_path / 'fcmae_ours.pth'
    proc = subprocess.run([sys.executable, 'tools/model_converters/fcmae_to_mmcls.py',
                           str(src), str(dst)], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert 'decoder tensors' in proc.stdout
    ckpt = torch.load(dst, weights_only=True)
    model = our_fcmae(init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    model.init_weights()  # continue Meta's pretraining: every tensor, strictly
    for k, v in ckpt['state_dict'].items():
        assert torch.equal(model.state_dict()[k], v), k

    backbone = ConvNeXt(arch=dict(depths=DEPTHS, channels=DIMS), use_grn=True,
                        layer_scale_init_value=0.,
                        init_cfg=dict(type='Pretrained', checkpoint=str(dst), prefix='backbone.'))
    backbone.init_weights()
    for k, v in backbone.state_dict().items():
        assert torch.equal(v, ckpt['state_dict']['backbone.' + k]), k

    from mmcls_convnext.apis import get_model
    cfg = dict(model=dict(
        type='ImageClassifier',
        backbone=dict(type='ConvNeXt', arch=dict(depths=DEPTHS, channels=DIMS), use_grn=True,
                      layer_scale_init_value=0.),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=DIMS[-1])))
    from mmengine.config import Config
    with pytest.warns(UserWarning, match='head'):
        clf = get_model(Config(cfg), pretrained=str(dst), head=dict(num_classes=5))
    for k, v in clf.backbone.state_dict().items():
        assert torch.equal(v, ckpt['state_dict']['backbone.' + k]), k

    back = tmp_path / 'back.pt'
    proc = subprocess.run([sys.executable, 'tools/model_converters/fcmae_to_mmcls.py',
                           str(dst), str(back), '--to-official'], cwd=ROOT,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    again = torch.load(back, weights_only=True)['model']
    original = torch.load(src, weights_only=True)['model']
    assert list(again) == list(original)
    assert all(torch.equal(again[k], original[k]) for k in original)


def test_meta_file_given_straight_to_a_classifier_names_the_converter(tmp_path):
    from mmcls_convnext.checkpoint import CheckpointError
    from mmcls_convnext.weights import load_model_weights
    src = tmp_path / 'convnextv2_custom_1k_224_fcmae.pt'
    torch.save(official_layout(), src)
    backbone = ConvNeXt(arch=dict(depths=DEPTHS, channels=DIMS), use_grn=True,
                        layer_scale_init_value=0.)
    with pytest.raises((CheckpointError, ValueError), match='fcmae_to_mmcls.py'):
        load_model_weights(backbone, str(src))
