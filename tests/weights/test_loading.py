"""load_model_weights: strict matching with explained exceptions (head, backbone-only, norms)."""
import warnings

import pytest
import torch

from mmcls_convnext.models import ConvNeXt, ImageClassifier
from mmcls_convnext.weights import CheckpointError, load_model_weights

ARCH = dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])


def _model(num_classes=5, **backbone):
    return ImageClassifier(
        backbone=dict(type='ConvNeXt', arch=ARCH, **backbone),
        head=dict(type='LinearClsHead', num_classes=num_classes, in_channels=64)).eval()


def _random_sd(model):
    gen = torch.Generator().manual_seed(3)
    return {k: torch.randn(v.shape, generator=gen) for k, v in model.state_dict().items()}


def _same(model, sd, keys=None):
    state = model.state_dict()
    return all(torch.equal(state[k], sd[k]) for k in (keys or sd))


def test_full_checkpoint_and_meta():
    model = _model()
    sd = _random_sd(model)
    report = load_model_weights(model, {'state_dict': sd, 'meta': {'CLASSES': ['a']}})
    assert _same(model, sd)
    assert report['loaded'] == len(sd) and not report['head_dropped']
    assert report['meta'] == {'CLASSES': ['a']}


def test_saved_preprocessor_buffers_are_ignored():
    model = _model()
    sd = _random_sd(model)
    sd['data_preprocessor.mean'] = torch.zeros(3, 1, 1)
    report = load_model_weights(model, sd)
    assert report['ignored'] == ['data_preprocessor.mean']


def test_module_prefix_is_stripped():
    model = _model()
    sd = _random_sd(model)
    load_model_weights(model, {'state_dict': {'module.' + k: v for k, v in sd.items()}})
    assert _same(model, sd)


def test_head_mismatch_is_an_error_for_inference():
    sd = _random_sd(_model(num_classes=10))
    with pytest.raises(CheckpointError, match=r'head shapes differ \(head\.fc\.weight: checkpoint '
                       r'\(10, 64\) vs model \(5, 64\).*allow_head_mismatch=True'):
        load_model_weights(_model(num_classes=5), sd)


def test_head_mismatch_when_fine_tuning_warns_once():
    model = _model(num_classes=5)
    head_before = model.head.fc.weight.clone()
    sd = _random_sd(_model(num_classes=10))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        report = load_model_weights(model, sd, allow_head_mismatch=True)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 1
    assert '(10, 64)' in messages[0] and '(5, 64)' in messages[0]
    assert report['head_dropped']
    assert torch.equal(model.head.fc.weight, head_before)
    assert _same(model, sd, [k for k in sd if k.startswith('backbone.')])


def test_backbone_only_checkpoint_into_classifier():
    model = _model()
    sd = {k: v for k, v in _random_sd(model).items() if k.startswith('backbone.')}
    with pytest.raises(CheckpointError, match='the checkpoint has no head'):
        load_model_weights(model, sd)
    with pytest.warns(UserWarning, match='no head'):
        load_model_weights(model, sd, allow_head_mismatch=True)
    assert _same(model, sd)
    # a bare backbone state dict (no 'backbone.' prefix) works the same way
    bare = {k[len('backbone.'):]: v * 2 for k, v in sd.items()}
    with pytest.warns(UserWarning):
        load_model_weights(model, bare, allow_head_mismatch=True)
    assert _same(model, {'backbone.' + k: v for k, v in bare.items()})


def test_classifier_checkpoint_into_bare_backbone():
    backbone = ConvNeXt(arch=ARCH).eval()
    sd = _random_sd(_model())
    report = load_model_weights(backbone, sd)
    assert sorted(report['ignored']) == ['head.fc.bias', 'head.fc.weight']
    state = backbone.state_dict()
    assert all(torch.equal(state[k[len('backbone.'):]], v) for k, v in sd.items()
               if k.startswith('backbone.'))


def test_new_out_indices_norms_keep_init():
    sd = _random_sd(_model())
    model = _model(out_indices=(2, 3))
    model.head = None
    with pytest.warns(UserWarning, match=r"output norms \['backbone.norm2.weight'"):
        report = load_model_weights(model, sd)
    assert 'backbone.norm2.weight' in report['kept_init']
    assert torch.equal(model.backbone.norm2.weight, torch.ones(32))


def test_other_layouts_name_the_converter():
    model = _model()
    timm_sd = {'stem.0.weight': torch.zeros(8, 3, 4, 4), 'stem.0.bias': torch.zeros(8),
               'stages.0.blocks.0.conv_dw.weight': torch.zeros(8, 1, 7, 7)}
    with pytest.raises(CheckpointError, match=r"The given checkpoint is in the 'timm' layout "
                       r"\(a timm state dict; first keys: \['stem.0.weight', 'stem.0.bias', "
                       r"'stages.0.blocks.0.conv_dw.weight'\]\), not in this toolbox's: convert "
                       r'it with `python tools/model_converters/convnext_to_mmcls.py --src timm'):
        load_model_weights(model, timm_sd)


def test_shape_mismatch_outside_head_is_an_error():
    sd = _random_sd(_model())
    sd['backbone.stages.0.0.depthwise_conv.weight'] = torch.zeros(8, 1, 3, 3)
    with pytest.raises(CheckpointError, match=r'shape mismatch.*depthwise_conv.weight: checkpoint '
                       r'\(8, 1, 3, 3\) vs model \(8, 1, 7, 7\)'):
        load_model_weights(_model(), sd)


def test_empty_state_dict():
    with pytest.raises(CheckpointError, match='empty state dict'):
        load_model_weights(_model(), {'state_dict': {}})


def test_official_model_file_names_the_converter_with_its_own_keys(tmp_path):
    from mmcls_convnext.apis import get_model
    from mmcls_convnext.weights import convert_state_dict
    ours = _random_sd(_model())
    official = {'model': _official_keys(ours)}
    assert sorted(convert_state_dict(official, src='official')) == sorted(ours)  # genuine
    path = tmp_path / 'convnext_tiny_1k_224.pth'
    torch.save(official, path)
    with pytest.raises(CheckpointError, match=rf"Checkpoint {path} is in the 'official' layout "
                       r'\(an official facebookresearch ConvNeXt checkpoint: {"model": \.\.\.} '
                       r"with dwconv / pwconv keys; first keys: \['downsample_layers\.0\.0\."
                       r"weight'.*not in this toolbox's: convert it with `python tools/"
                       rf'model_converters/convnext_to_mmcls\.py --src official {path} '
                       r'OUT\.pth`') as info:
        get_model(_cfg_for_tiny(), pretrained=str(path))
    assert 'backbone.stages' not in str(info.value)  # the file's own keys, not a made-up prefix


def _official_keys(ours):
    """Our keys -> the official layout (the inverse of the converter's rules)."""
    out = {}
    for key, value in ours.items():
        name = key[len('backbone.'):] if key.startswith('backbone.') else key
        name = (name.replace('depthwise_conv', 'dwconv').replace('pointwise_conv', 'pwconv')
                .replace('norm3.', 'norm.').replace('head.fc.', 'head.'))
        out[name] = value
    return out


def _cfg_for_tiny():
    from mmengine.config import Config
    return Config(dict(model=dict(
        type='ImageClassifier', backbone=dict(type='ConvNeXt', arch=ARCH),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=64))))


def test_non_tensor_values_are_refused():
    sd = _random_sd(_model())
    sd['backbone.stages.0.0.gamma'] = 'not a tensor'
    with pytest.raises(CheckpointError, match=r"The given checkpoint is not a state dict: 1 "
                       r"entries are not name -> tensor pairs \(first: "
                       r"\[\"'backbone.stages.0.0.gamma'\"\]\)"):
        load_model_weights(_model(), sd)


def test_save_pretrained_folder_points_at_model_safetensors(tmp_path):
    from mmcls_convnext.apis import get_model
    folder = tmp_path / 'hf-convnext'
    folder.mkdir()
    (folder / 'model.safetensors').write_bytes(b'x')
    with pytest.raises(CheckpointError, match=r'hf-convnext is a directory, not a checkpoint '
                       r'file: .* holding model\.safetensors\. Convert .* `python tools/'
                       r'model_converters/convnext_to_mmcls\.py .*hf-convnext/model\.safetensors '
                       r'OUT\.pth`'):
        get_model(_cfg_for_tiny(), pretrained=str(folder))


# --- the parts of load_model_weights, and the one path every weight takes ---------------------

def test_read_weights_unwraps_cuts_to_a_prefix_and_names_the_file(tmp_path):
    from mmcls_convnext.weights.loading import read_state_dict
    sd = _random_sd(_model())
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': {'module.' + k: v for k, v in sd.items()}, 'meta': {'x': 1}}, path)
    state, meta, where, local = read_state_dict(str(path), prefix='backbone')
    assert sorted(state) == sorted(k[len('backbone.'):] for k in sd if k.startswith('backbone.'))
    assert (meta, where, local) == ({'x': 1}, str(path), str(path))
    state, meta, where, local = read_state_dict({'state_dict': sd}, source='memory')
    assert list(state) == list(sd) and (meta, where, local) == ({}, 'memory', None)
    with pytest.raises(CheckpointError, match=r"No key of .*w\.pth starts with 'encoder\.'"):
        read_state_dict(path, prefix='encoder')


def test_fit_state_dict_matches_without_touching_the_model():
    from mmcls_convnext.weights import fit_state_dict
    model = _model(num_classes=5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    sd = _random_sd(_model(num_classes=10))
    with pytest.warns(UserWarning, match='head shapes differ'):
        full, report = fit_state_dict(dict(sd), model.state_dict(), where='w.pth',
                                      model_name='tiny', allow_head_mismatch=True)
    assert all(torch.equal(v, before[k]) for k, v in model.state_dict().items())
    assert sorted(full) == sorted(model.state_dict())
    assert torch.equal(full['head.fc.weight'], before['head.fc.weight'])  # kept at init
    assert torch.equal(full['backbone.norm3.weight'], sd['backbone.norm3.weight'])
    assert report == dict(loaded=len(sd) - 2, head_dropped=True, ignored=[],
                          kept_init=['head.fc.weight', 'head.fc.bias'])


def test_every_way_of_naming_weights_takes_the_one_path(tmp_path, monkeypatch):
    """get_model(pretrained=), init_model, ImageClassifier(pretrained=) and init_cfg Pretrained
    all reach load_state_dict through read_state_dict and fit_state_dict with the path itself."""
    from mmengine.config import Config

    from mmcls_convnext.apis import get_model, init_model
    from mmcls_convnext.weights import loading
    model_cfg = _cfg_for_tiny().model
    path = str(tmp_path / 'w.pth')
    torch.save({'state_dict': _random_sd(_model())}, path)
    seen = []
    read, fit = loading.read_state_dict, loading.fit_state_dict
    monkeypatch.setattr(loading, 'read_state_dict',
                        lambda src, **kw: seen.append(('read', src)) or read(src, **kw))
    monkeypatch.setattr(loading, 'fit_state_dict',
                        lambda sd, target, **kw: seen.append(('fit', kw['where'])) or
                        fit(sd, target, **kw))
    get_model(Config(dict(model=model_cfg)), pretrained=path)
    init_model(Config(dict(model=model_cfg)), path)
    get_model(Config(dict(model=dict(model_cfg, pretrained=path))))
    get_model(Config(dict(model=dict(model_cfg, init_cfg=dict(type='Pretrained',
                                                              checkpoint=path)))))
    assert seen == [('read', path), ('fit', path)] * 4
