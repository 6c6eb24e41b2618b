"""Every zoo entry's config builds what its name says, with the metafile's params and FLOPs.

Depends on ``configs/convnext/*.py`` and ``configs/convnext_v2/*.py``: an entry whose config file
does not exist is skipped with that reason (and only then).
"""
import os.path as osp
from functools import cache

import pytest
import torch
from mmengine.analysis import FlopAnalyzer
from mmengine.config import Config
from mmengine.registry import DefaultScope

import mmcls_convnext.models  # noqa: F401 - registers the model classes
from mmcls_convnext.registry import MODELS, SCOPE
from mmcls_convnext.zoo import MODEL_INDEX, resolve_config_path

# depths, channels per arch (the papers' table, docs/architecture.md), written out independently
# of the backbone
ARCHS = {
    'atto': ([2, 2, 6, 2], [40, 80, 160, 320]),
    'femto': ([2, 2, 6, 2], [48, 96, 192, 384]),
    'pico': ([2, 2, 6, 2], [64, 128, 256, 512]),
    'nano': ([2, 2, 8, 2], [80, 160, 320, 640]),
    'tiny': ([3, 3, 9, 3], [96, 192, 384, 768]),
    'small': ([3, 3, 27, 3], [96, 192, 384, 768]),
    'base': ([3, 3, 27, 3], [128, 256, 512, 1024]),
    'large': ([3, 3, 27, 3], [192, 384, 768, 1536]),
    'xlarge': ([3, 3, 27, 3], [256, 512, 1024, 2048]),
    'huge': ([3, 3, 27, 3], [352, 704, 1408, 2816]),
}


def conv_linear_macs(depths, channels, resolution, num_classes):
    """Multiply-accumulates of every conv and linear layer of a ConvNeXt classifier."""
    size = resolution // 4
    macs = size * size * channels[0] * 3 * 4 * 4  # stem 4x4 / 4 conv
    for i, (depth, c) in enumerate(zip(depths, channels)):
        size = resolution // (4 * 2**i)
        if i > 0:
            macs += size * size * c * channels[i - 1] * 2 * 2  # 2x2 / 2 downsampling conv
        macs += depth * size * size * (7 * 7 * c + 2 * 4 * c * c)  # dw 7x7 + two pointwise
    return macs + channels[-1] * num_classes


def test_mac_formula_matches_mmengine_counter():
    """The analytic count equals mmengine's FlopAnalyzer (conv + linear) on a real small model."""
    depths, channels = [1, 2, 1, 1], [8, 16, 24, 32]
    model = MODELS.build(dict(
        type='ImageClassifier', backbone=dict(type='ConvNeXt', arch=dict(
            depths=depths, channels=channels)),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=32))).eval()
    counts = FlopAnalyzer(model, torch.zeros(1, 3, 64, 64)).by_operator()
    assert counts['conv'] + counts['linear'] == conv_linear_macs(depths, channels, 64, 10)


@cache
def _build(config: str):
    cfg = Config.fromfile(resolve_config_path(config))
    with DefaultScope.overwrite_default_scope(SCOPE), torch.device('meta'):
        model = MODELS.build(cfg.model)
    return cfg, model


def _resolution(cfg: Config) -> int:
    size = None
    for t in cfg.test_dataloader.dataset.pipeline:
        if t['type'] == 'CenterCrop':
            size = t['crop_size']
        elif t['type'] == 'Resize':
            size = t['scale']
    size = size if isinstance(size, int) else tuple(size)
    if isinstance(size, tuple):
        assert size[0] == size[1], f'non-square eval size {size}'
        size = size[0]
    return size


@pytest.mark.parametrize('info', list(MODEL_INDEX.values()), ids=lambda i: i.name)
def test_zoo_entry_builds_what_it_says(info):
    repo_config = osp.join(osp.dirname(osp.dirname(osp.dirname(__file__))), info.config)
    if not osp.isfile(repo_config):
        pytest.skip(f'{info.config} does not exist yet (configs are written separately)')
    cfg, model = _build(info.config)
    depths, channels = ARCHS[info.arch]
    assert list(model.backbone.depths) == depths and list(model.backbone.channels) == channels
    v2 = info.family == 'ConvNeXt V2'
    assert any('.grn.' in k for k, _ in model.named_parameters()) == v2
    assert any(k.endswith('.gamma') and '.grn.' not in k for k, _ in model.named_parameters()) != v2
    num_classes = model.head.num_classes
    assert num_classes == (21841 if info.name.endswith('_in21k') else 1000)
    resolution = _resolution(cfg)
    assert resolution == info.resolution

    params = sum(p.numel() for p in model.parameters())
    assert round(params / 1e6, 2) == pytest.approx(info.params_m, abs=0.006), params
    macs = conv_linear_macs(depths, channels, resolution, num_classes)
    # the metafile's counter also counts norms / GRN / pooling: within 1 %
    assert macs / 1e9 == pytest.approx(info.gflops, rel=0.01)
