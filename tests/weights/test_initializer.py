"""init_cfg=dict(type='Pretrained', ...) goes through the verified, strict loader."""
import pytest
import torch
from mmengine.config import Config

from mmcls_convnext.apis import get_model
from mmcls_convnext.registry import WEIGHT_INITIALIZERS
from mmcls_convnext.weights import CheckpointError, ChecksumError, VerifiedPretrainedInit

from .conftest import write_hashed

ARCH = dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])


def _cfg(num_classes=5, backbone_init=None):
    backbone = dict(type='ConvNeXt', arch=ARCH)
    if backbone_init is not None:
        backbone['init_cfg'] = backbone_init
    return Config(dict(model=dict(
        type='ImageClassifier', backbone=backbone,
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=64))))


def test_registered_under_our_scope():
    assert WEIGHT_INITIALIZERS.get('Pretrained') is VerifiedPretrainedInit


def test_backbone_prefix_loads_exactly_the_backbone(tmp_path):
    source = get_model(_cfg(num_classes=10))
    path = write_hashed(tmp_path, 'cls', {'state_dict': source.state_dict()})
    model = get_model(_cfg(num_classes=3, backbone_init=dict(
        type='Pretrained', checkpoint=str(path), prefix='backbone')))
    for k, v in source.state_dict().items():
        if k.startswith('backbone.'):
            assert torch.equal(model.state_dict()[k], v), k
    assert model.head.fc.out_features == 3


def test_tampered_file_and_wrong_prefix_are_errors(tmp_path):
    source = get_model(_cfg())
    bad = write_hashed(tmp_path, 'bad', {'state_dict': source.state_dict()}, wrong_hash=True)
    with pytest.raises(ChecksumError, match=r'bad_20260101'):
        get_model(_cfg(backbone_init=dict(type='Pretrained', checkpoint=str(bad),
                                          prefix='backbone')))
    good = write_hashed(tmp_path, 'good', {'state_dict': source.state_dict()})
    with pytest.raises(CheckpointError, match=r"No key of .*good.* starts with 'encoder\.'"):
        get_model(_cfg(backbone_init=dict(type='Pretrained', checkpoint=str(good),
                                          prefix='encoder')))


def test_wrong_layout_is_not_silently_skipped(tmp_path):
    timm = pytest.importorskip('timm')
    path = tmp_path / 'timm.pth'
    torch.save(timm.create_model('convnext_atto', pretrained=False).state_dict(), path)
    with pytest.raises(CheckpointError, match=rf"Checkpoint {path} is in the 'timm' layout "
                       r'\(a timm state dict; .*convert it with `python tools/model_converters/'
                       rf'convnext_to_mmcls\.py --src timm {path} OUT\.pth`'):
        get_model(_cfg(backbone_init=dict(type='Pretrained', checkpoint=str(path))))


def test_loading_is_logged_with_file_counts_and_what_was_dropped(tmp_path, monkeypatch):
    from mmengine.logging import MMLogger
    source = get_model(_cfg(num_classes=10))
    path = write_hashed(tmp_path, 'cls', {'state_dict': source.state_dict()})
    lines = []
    logger = MMLogger.get_current_instance()
    monkeypatch.setattr(logger, 'info', lambda msg, *a, **k: lines.append(msg))
    model = _cfg(num_classes=3, backbone_init=None)
    model.model.init_cfg = dict(type='Pretrained', checkpoint=str(path))  # whole classifier
    with pytest.warns(UserWarning, match='head shapes differ'):
        get_model(model)
    n_backbone = sum(k.startswith('backbone.') for k in source.state_dict())
    assert [line for line in lines if line.startswith('init_cfg Pretrained')] == [
        f'init_cfg Pretrained: loaded {n_backbone} tensors into ImageClassifier from {path}; '
        'the head (another shape: left at its initialisation); 2 module key(s) kept at init, '
        "e.g. ['head.fc.weight', 'head.fc.bias']."]


def test_a_url_says_which_local_copy_was_read(tmp_path, monkeypatch):
    from mmengine.logging import MMLogger
    source = get_model(_cfg())
    served = tmp_path / 'mirror'
    served.mkdir()
    path = write_hashed(served, 'bb', {'state_dict': source.state_dict()})
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path / 'home'))
    monkeypatch.setenv('MMCLS_CONVNEXT_MIRROR', f'file://{served}')
    lines = []
    monkeypatch.setattr(MMLogger.get_current_instance(), 'info',
                        lambda msg, *a, **k: lines.append(msg))
    url = f'https://download.example.invalid/x/{path.name}'
    get_model(_cfg(backbone_init=dict(type='Pretrained', checkpoint=url, prefix='backbone')))
    from mmcls_convnext.weights.download import cache_path
    cached = cache_path(f'file://{served}/{path.name}')  # keyed as the mirror's URL
    assert [line for line in lines if line.startswith('init_cfg Pretrained')] == [
        f'init_cfg Pretrained: loaded {sum(k.startswith("backbone.") for k in source.state_dict())}'
        f' tensors into ConvNeXt from {cached} (the local copy of {url}: cache or mirror; the '
        "config shows the URL) (keys under 'backbone.'); every key matched."]
