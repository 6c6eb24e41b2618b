"""MMDet/MMSeg ConvNeXt configs (their form, with the one-line change) on our ConvNeXt.

The fixtures in openmmlab_configs/ are MMDetection's / MMSegmentation's ConvNeXt configs (backbone,
neck/head channels, optimizer) with ``custom_imports`` and ``type`` changed to mmcls_convnext.
Their detectors/segmentors need compiled mmcv ops and are not built; the backbone is built from
their dict through mmengine's root registry (as MMDet/MMSeg's child registries resolve a
``'mmcls_convnext.X'`` type) and their ``optim_wrapper`` through our registry. Building through
MMSeg's/MMDet's own registry is tests/install/test_beside_openmmlab.py.
"""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.registry import MODELS as ROOT_MODELS
from mmengine.utils import import_modules_from_strings

from mmcls_convnext.models import ConvNeXt
from mmcls_convnext.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

HERE = osp.join(osp.dirname(osp.abspath(__file__)), 'openmmlab_configs')
MMDET_T = osp.join(HERE, 'mask-rcnn_convnext-t-p4-w7_fpn_amp-ms-crop-3x_coco.py')
MMDET_V2 = osp.join(HERE, 'mask-rcnn_convnext-v2-b_fpn_lsj-3x-fcmae_coco.py')
MMSEG_T = osp.join(HERE, 'upernet_convnext_tiny_fp16_512x512_160k_ade20k.py')
TINY = dict(depths=[1, 1, 4, 1], channels=[8, 16, 32, 64])


def _backbone_cfg(path, **overrides):
    cfg = Config.fromfile(path)
    assert cfg.model.backbone.type == 'mmcls_convnext.ConvNeXt'
    import_modules_from_strings(**cfg.custom_imports)
    backbone = cfg.model.backbone.to_dict()
    backbone.pop('init_cfg')  # the URL is not fetched here; see test_pretrained_prefix_backbone
    backbone.update(overrides)
    return cfg, backbone


@pytest.mark.parametrize('path', [MMDET_T, MMSEG_T, MMDET_V2])
def test_their_backbone_dict_builds_and_matches_their_neck(path):
    cfg, backbone_cfg = _backbone_cfg(path)
    backbone = ROOT_MODELS.build(backbone_cfg)  # the type's scope prefix finds our registry
    assert type(backbone) is ConvNeXt
    assert backbone.use_grn == ('use_grn' in backbone_cfg)
    if 'neck' in cfg.model:
        assert list(backbone.out_channels) == cfg.model.neck.in_channels
    else:
        assert list(backbone.out_channels) == cfg.model.decode_head.in_channels
        assert backbone.out_channels[cfg.model.auxiliary_head.in_index] == \
            cfg.model.auxiliary_head.in_channels
    backbone.eval()
    with torch.no_grad():
        outs = backbone(torch.rand(1, 3, 64, 96))
    # strides 4, 8, 16, 32; every stage through its own LayerNorm (norm0..norm3)
    assert [tuple(o.shape) for o in outs] == [
        (1, c, 64 // s, 96 // s) for c, s in zip(backbone.channels, (4, 8, 16, 32))]
    for i, out in enumerate(outs):
        assert isinstance(getattr(backbone, f'norm{i}'), nn.LayerNorm)
        mean = out.mean(dim=1)  # channel LayerNorm with weight 1, bias 0 at init
        torch.testing.assert_close(mean, torch.zeros_like(mean), atol=1e-4, rtol=0)


def test_with_cp_backbone_trains_like_without(tmp_path):
    _, cfg = _backbone_cfg(MMDET_V2, arch=TINY, drop_path_rate=0.)
    torch.manual_seed(0)
    plain = ROOT_MODELS.build(cfg)
    ckpt = ROOT_MODELS.build(dict(cfg, with_cp=True))
    ckpt.load_state_dict(plain.state_dict())
    x = torch.rand(2, 3, 64, 64, requires_grad=True)
    grads = []
    for model in (plain, ckpt):
        model.train()
        sum(o.square().mean() for o in model(x)).backward()
        grads.append({n: p.grad.clone() for n, p in model.named_parameters()})
    for name in grads[0]:
        torch.testing.assert_close(grads[1][name], grads[0][name], atol=1e-6, rtol=1e-5)


def test_pretrained_prefix_backbone(tmp_path):
    """init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.') takes the backbone
    of a classification checkpoint (as MMDet's configs load ImageNet weights)."""
    torch.manual_seed(0)
    classifier = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ConvNeXt', arch=TINY),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=64)))
    path = tmp_path / 'in1k.pth'
    torch.save({'state_dict': classifier.state_dict(), 'meta': {}}, path)
    cfg = Config.fromfile(MMDET_T)
    import_modules_from_strings(**cfg.custom_imports)
    backbone_cfg = cfg.model.backbone.to_dict()
    backbone_cfg.update(arch=TINY)
    backbone_cfg['init_cfg']['checkpoint'] = str(path)
    backbone = ROOT_MODELS.build(backbone_cfg)
    backbone.init_weights()
    got = backbone.state_dict()
    want = classifier.backbone.state_dict()
    shared = [k for k in want if k in got]
    # everything but the per-stage norms 0..2 (the classifier has norm3 only) comes from the file
    assert sorted(set(got) - set(shared)) == sorted(
        k for k in got if k.split('.')[0] in ('norm0', 'norm1', 'norm2'))
    for key in shared:
        assert torch.equal(got[key], want[key]), key


class _Detector(nn.Module):
    def __init__(self, backbone):
        super().__init__()
        self.backbone = backbone
        self.neck = nn.Conv2d(64, 4, 1)


def _lr_scale_expected(name, decay_type, num_layers, rate):
    """Hand-written table of MMDet's ids for TINY (depths 1, 1, 4, 1)."""
    if decay_type == 'layer_wise':
        ids = {'downsample_layers.0': 0, 'stages.0': 1, 'downsample_layers.1': 2, 'stages.1': 2,
               'downsample_layers.2': 3, 'stages.2.0': 3, 'stages.2.1': 3, 'stages.2.2': 3,
               'stages.2.3': 4, 'downsample_layers.3': num_layers, 'stages.3': num_layers}
    else:
        ids = {'downsample_layers': 0, 'stages.0': 1, 'stages.1': 2, 'stages.2': 3,
               'stages.3': 4}
    layer_id = num_layers + 1
    for prefix, value in ids.items():
        if name.startswith('backbone.' + prefix + '.'):
            layer_id = value
    return rate ** (num_layers + 1 - layer_id)


@pytest.mark.parametrize('path', [MMDET_T, MMSEG_T, MMDET_V2])
def test_layer_decay_constructor_from_their_optim_wrapper(path):
    cfg, backbone_cfg = _backbone_cfg(path, arch=TINY)
    model = _Detector(ROOT_MODELS.build(backbone_cfg))
    model.backbone.downsample_layers[0].requires_grad_(False)  # frozen: left out
    wrapper_cfg = cfg.optim_wrapper.to_dict()
    # AmpOptimWrapper (and its loss_scale) needs CUDA here; the param groups are the same
    wrapper_cfg['type'] = 'OptimWrapper'
    wrapper_cfg.pop('loss_scale', None)
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type=wrapper_cfg.pop('constructor'), optim_wrapper_cfg=wrapper_cfg,
        paramwise_cfg=wrapper_cfg.pop('paramwise_cfg')))
    assert type(constructor).__name__ == 'LearningRateDecayOptimizerConstructor'
    optimizer = constructor(model).optimizer
    paramwise = cfg.optim_wrapper.paramwise_cfg
    base_lr, base_wd = cfg.optim_wrapper.optimizer.lr, cfg.optim_wrapper.optimizer.weight_decay
    names = {id(p): n for n, p in model.named_parameters()}
    seen = set()
    for group in optimizer.param_groups:
        for param in group['params']:
            name = names[id(param)]
            seen.add(name)
            scale = _lr_scale_expected(name, paramwise['decay_type'], paramwise['num_layers'],
                                       paramwise['decay_rate'])
            assert group['lr'] == pytest.approx(base_lr * scale), name
            no_decay = param.ndim == 1 or name.endswith('.bias')
            assert group['weight_decay'] == (0. if no_decay else base_wd), name
    assert seen == {n for n, p in model.named_parameters() if p.requires_grad}
    assert not any(n.startswith('backbone.downsample_layers.0.') for n in seen)


def test_layer_decay_constructor_errors():
    base = dict(type='LearningRateDecayOptimizerConstructor',
                optim_wrapper_cfg=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)))
    with pytest.raises(ValueError, match='decay_type'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(base, paramwise_cfg=dict(
            num_layers=6, decay_rate=0.9, decay_type='block_wise')))
    with pytest.raises(ValueError, match='num_layers'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(base, paramwise_cfg=dict(decay_rate=0.9)))
    with pytest.raises(KeyError, match='layer_decay_rate'):
        OPTIM_WRAPPER_CONSTRUCTORS.build(dict(base, paramwise_cfg=dict(
            num_layers=6, decay_rate=0.9, layer_decay_rate=0.9)))
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(base, paramwise_cfg=dict(
        num_layers=6, decay_rate=0.9)))
    with pytest.raises(TypeError, match='backbone. is a ConvNeXt'):
        constructor(nn.Sequential(nn.Linear(2, 2)))
