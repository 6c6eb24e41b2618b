"""get_model / init_model / list_models: by name, config path and Config."""
import os

import pytest
import torch
from mmengine.config import Config

from mmcls_convnext.apis import get_model, imagenet_classes, init_model, list_models
from mmcls_convnext.weights import CheckpointError, ChecksumError, WeightsDownloadError


def test_zoo_name_builds_in_eval_mode_with_imagenet_classes():
    model = get_model('convnext-v2-atto_fcmae-pre_3rdparty_in1k')
    assert not model.training
    assert sum(p.numel() for p in model.parameters()) == 3_708_400
    assert model.dataset_meta['classes'] == imagenet_classes()
    assert len(imagenet_classes()) == 1000 and imagenet_classes()[0] == 'tench'
    assert model._config.model.backbone.arch == 'atto'


def test_fcmae_backbone_has_no_head_unless_asked():
    model = get_model('convnext-v2-atto_3rdparty-fcmae_in1k')
    assert model.head is None and model.dataset_meta is None
    assert model(torch.zeros(1, 3, 32, 32))[0].shape == (1, 320)
    tuned = get_model('convnext-v2-atto_3rdparty-fcmae_in1k', head=dict(num_classes=3))
    assert tuned.head.fc.out_features == 3


def test_kwargs_merge_into_model_config(tiny_config):
    model = get_model(tiny_config, head=dict(num_classes=3),
                      backbone=dict(out_indices=(2, 3)))
    assert model.head.fc.out_features == 3 and model.head.fc.in_features == 64
    assert model.backbone.out_indices == (2, 3)
    assert model.dataset_meta is None  # the config's 5 class names do not fit 3 classes


def test_config_object_and_path_agree(tiny_config):
    a = get_model(tiny_config)
    b = get_model(Config.fromfile(tiny_config))
    assert a.dataset_meta == b.dataset_meta == {'classes': ['a', 'b', 'c', 'd', 'e']}
    assert sorted(a.state_dict()) == sorted(b.state_dict())


def test_pretrained_path_and_classes_from_meta(tiny_config, tmp_path):
    src = get_model(tiny_config)
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': src.state_dict(),
                'meta': {'dataset_meta': {'classes': ['v', 'w', 'x', 'y', 'z']}}}, path)
    model = init_model(tiny_config, str(path), device='cpu')
    assert all(torch.equal(v, src.state_dict()[k]) for k, v in model.state_dict().items())
    assert model.dataset_meta['classes'] == ['v', 'w', 'x', 'y', 'z']
    torch.save({'state_dict': src.state_dict(), 'meta': {'CLASSES': list('pqrst')}}, path)
    assert get_model(tiny_config, pretrained=str(path)).dataset_meta['classes'] == list('pqrst')


def test_inference_head_mismatch_is_error_finetune_is_not(tiny_config, tmp_path):
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': get_model(tiny_config, head=dict(num_classes=7)).state_dict()},
               path)
    with pytest.raises(CheckpointError, match=r'Cannot load .*w\.pth into .*head shapes '
                       r'differ.*\(7, 64\).*\(5, 64\)'):
        get_model(tiny_config, pretrained=str(path))
    with pytest.warns(UserWarning, match='head shapes differ'):
        model = get_model(tiny_config, pretrained=str(path), head=dict(num_classes=5))
    assert model.head.fc.out_features == 5


def test_errors(tiny_config):
    with pytest.raises(KeyError, match=r"Did you mean one of \['convnext-v2-atto_fcmae-pre_3rd"):
        get_model('convnext-v2-atto_fcmae-pre_3rdparty_in1')
    with pytest.raises(FileNotFoundError, match=r'Config file missing/cfg\.py does not exist'):
        get_model('missing/cfg.py')
    with pytest.raises(TypeError, match='model must be a zoo name, a config path or an mmengine '
                       'Config; got int'):
        get_model(3)
    with pytest.raises(TypeError):  # a misspelt model argument is not swallowed
        get_model(tiny_config, backbone=dict(depth_typo=3))


def test_unknown_name_is_a_key_error_and_a_value_error():
    with pytest.raises(KeyError) as caught:
        get_model('unknown-model')
    assert isinstance(caught.value, ValueError)  # what MMPretrain raises
    assert str(caught.value).startswith("Failed to find model 'unknown-model': it is not a "
                                        'model-zoo name nor an existing config file.')


def test_pretrained_true_for_a_config_warns_and_keeps_random_weights(tiny_config):
    with pytest.warns(UserWarning, match=r'tiny_cfg\.py names no weights \(it is not a '
                      r'model-zoo name and sets no load_from\): the model keeps its random '
                      r'initial weights'):
        model = get_model(tiny_config, pretrained=True)
    assert model.head.fc.out_features == 5


def test_pretrained_true_for_a_config_loads_its_load_from(tiny_config, tmp_path):
    src = get_model(tiny_config)
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': src.state_dict()}, path)
    cfg = Config.fromfile(tiny_config)
    cfg.load_from = str(path)
    model = get_model(cfg, pretrained=True)
    assert all(torch.equal(v, src.state_dict()[k]) for k, v in model.state_dict().items())
    assert model.cfg is model._config and model.cfg.load_from == str(path)


def test_list_models_reexport():
    assert 'convnext-tiny_32xb128_in1k' in list_models('convnext-tiny*')


def test_pretrained_true_offline_names_model_url_and_cache(monkeypatch, tmp_path):
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path))
    monkeypatch.setenv('MMCLS_CONVNEXT_OFFLINE', '1')
    name = 'convnext-v2-atto_fcmae-pre_3rdparty_in1k'
    file = 'convnext-v2-atto_fcmae-pre_3rdparty_in1k_20230104-23765f83.pth'
    with pytest.raises(WeightsDownloadError, match=rf"(?s)model '{name}' from https://download"
                       rf'\.openmmlab\.com/mmclassification/v0/convnext-v2/{file}.*exactly '
                       rf'{tmp_path}/checkpoints/{file[:-13]}\.url-[0-9a-f]{{16}}-23765f83\.pth'):
        get_model(name, pretrained=True)


def test_pretrained_true_refuses_a_tampered_cached_file(monkeypatch, tmp_path):
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path))
    file = 'convnext-v2-atto_fcmae-pre_3rdparty_in1k_20230104-23765f83.pth'
    from mmcls_convnext.weights.download import cache_path
    (tmp_path / 'checkpoints').mkdir()
    model = get_model('convnext-v2-atto_fcmae-pre_3rdparty_in1k')
    url = f'https://download.openmmlab.com/mmclassification/v0/convnext-v2/{file}'
    torch.save({'state_dict': model.state_dict()}, cache_path(url))  # placed by hand
    with pytest.raises(ChecksumError, match=r'starts with 23765f83, but the file hashes to'):
        get_model('convnext-v2-atto_fcmae-pre_3rdparty_in1k', pretrained=True)


def test_pretrained_url_downloads_and_loads(tiny_config, tmp_path, monkeypatch):
    import functools
    import hashlib
    import http.server
    import threading
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path / 'home'))
    served = tmp_path / 'served'
    served.mkdir()
    src = get_model(tiny_config)
    torch.save({'state_dict': src.state_dict()}, served / 'tmp.pth')
    sha = hashlib.sha256((served / 'tmp.pth').read_bytes()).hexdigest()[:8]
    (served / 'tmp.pth').rename(served / f'tiny_20260101-{sha}.pth')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/tiny_20260101-{sha}.pth'
        model = get_model(tiny_config, pretrained=url)
    finally:
        server.shutdown()
        server.server_close()
    assert all(torch.equal(v, src.state_dict()[k]) for k, v in model.state_dict().items())
    from mmcls_convnext.weights.download import cache_path
    assert os.path.isfile(cache_path(url))


def test_bad_pretrained_files_name_the_file(tiny_config, tmp_path):
    garbage = tmp_path / 'garbage.pth'
    garbage.write_bytes(b'\x00' * 64)
    with pytest.raises(CheckpointError, match=r'garbage\.pth \(64 bytes\): it is not a PyTorch'):
        get_model(tiny_config, pretrained=str(garbage))
    timm = pytest.importorskip('timm')
    other = tmp_path / 'timm_atto.pth'
    torch.save(timm.create_model('convnext_atto', pretrained=False).state_dict(), other)
    with pytest.raises(CheckpointError, match=r"timm_atto\.pth is in the 'timm' layout .*: "
                       r'convert it with `python tools/model_converters/convnext_to_mmcls.py'):
        init_model(tiny_config, str(other))


def test_imagenet_names_only_for_imagenet_or_datasetless_configs(tiny_config):
    cfg = Config.fromfile(tiny_config)
    cfg.model.head.num_classes = 1000
    assert get_model(cfg).dataset_meta is None  # a CustomDataset with 5 names: none fit
    cfg = Config(dict(model=cfg.model, test_pipeline=cfg.test_pipeline))
    assert get_model(cfg).dataset_meta['classes'] == imagenet_classes()


# --- the four steps of get_model, each on its own ------------------------------------------

def test_resolve_config_of_a_zoo_name_and_of_a_config(tiny_config):
    from mmcls_convnext.apis.model import resolve_config
    cfg, info = resolve_config('convnext-v2-atto_3rdparty-fcmae_in1k')
    assert info.name == 'convnext-v2-atto_3rdparty-fcmae_in1k' and cfg.model['head'] is None
    assert cfg.model['data_preprocessor']['mean'] == [123.675, 116.28, 103.53]
    cfg, info = resolve_config(tiny_config, head=dict(num_classes=3))
    assert info is None and cfg.model['head']['num_classes'] == 3
    assert cfg.model['head']['in_channels'] == 64  # merged, not replaced
    with pytest.raises(ValueError, match=r'The config given has no `model` field'):
        resolve_config(Config(dict(work_dir='x')))


def test_build_model_initialises_without_loading(tiny_config):
    from mmcls_convnext.apis.model import build_model, resolve_config
    cfg, _ = resolve_config(tiny_config)
    torch.manual_seed(0)
    a = build_model(cfg)
    torch.manual_seed(0)
    b = build_model(cfg)
    assert a.head.fc.out_features == 5 and not hasattr(a, 'dataset_meta')
    assert all(torch.equal(v, b.state_dict()[k]) for k, v in a.state_dict().items())
    # LinearClsHead's Normal(std=0.01) init ran, not torch's default (std ~0.07 here)
    assert float(a.head.fc.weight.detach().std()) < 0.05


def test_weights_source_is_the_one_meaning_of_pretrained(tiny_config, tmp_path):
    from pathlib import Path

    from mmcls_convnext.apis.model import resolve_config, weights_source
    cfg, _ = resolve_config(tiny_config)
    zoo_cfg, info = resolve_config('convnext-v2-atto_fcmae-pre_3rdparty_in1k')
    for nothing in (False, None, ''):
        assert weights_source(nothing, info, zoo_cfg) is None
    assert weights_source(True, info, zoo_cfg) == info.weights
    assert weights_source(Path('/x/w.pth'), None, cfg) == '/x/w.pth'
    assert weights_source('https://h/w.pth', info, zoo_cfg) == 'https://h/w.pth'
    cfg.load_from = str(tmp_path / 'w.pth')
    assert weights_source(True, None, cfg) == cfg.load_from
    cfg.load_from = None
    with pytest.warns(UserWarning, match='names no weights'):
        assert weights_source(True, None, cfg) is None
    with pytest.raises(TypeError, match='pretrained must be a bool, a path or a URL; got dict'):
        weights_source({'a': 1}, None, cfg)


def test_load_weights_returns_the_meta_and_loads_nothing_for_none(tiny_config, tmp_path):
    from mmcls_convnext.apis.model import build_model, load_weights, resolve_config
    cfg, _ = resolve_config(tiny_config)
    src, net = build_model(cfg), build_model(cfg)
    before = {k: v.clone() for k, v in net.state_dict().items()}
    assert load_weights(net, None) == {}
    assert all(torch.equal(v, before[k]) for k, v in net.state_dict().items())
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': src.state_dict(), 'meta': {'CLASSES': list('vwxyz')}}, path)
    assert load_weights(net, str(path)) == {'CLASSES': list('vwxyz')}
    assert all(torch.equal(v, src.state_dict()[k]) for k, v in net.state_dict().items())


def test_zoo_weights_that_do_not_fit_the_head_fail_before_any_download(monkeypatch, tmp_path):
    from mmcls_convnext.apis.model import build_model, load_weights, resolve_config
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path))
    monkeypatch.setenv('MMCLS_CONVNEXT_OFFLINE', '1')
    cfg, info = resolve_config('convnext-v2-atto_fcmae-pre_3rdparty_in1k')
    cfg.model['head']['num_classes'] = 10  # e.g. an edited copy of the zoo config
    net = build_model(cfg)
    with pytest.raises(ValueError, match=r'The weights of convnext-v2-atto_fcmae-pre_3rdparty_'
                       r'in1k classify 1000 ImageNet-1k categories, but its config \(configs/'
                       r'convnext_v2/convnext-v2-atto_32xb32_in1k\.py\) builds a head with '
                       r"num_classes=10\. .*get_model\('convnext-v2-atto_fcmae-pre_3rdparty_"
                       r"in1k', pretrained=True, head=dict\(num_classes=10\)\)"):
        load_weights(net, info.weights, info=info)
    with pytest.raises(WeightsDownloadError):  # fine-tuning passes the check, then downloads
        load_weights(net, info.weights, info=info, fine_tune=True)


def test_attach_metadata_class_names_in_order_of_trust(tiny_config):
    from mmcls_convnext.apis.model import attach_metadata, build_model, resolve_config
    cfg, _ = resolve_config(tiny_config)
    net = build_model(cfg)
    attach_metadata(net, cfg, None, {'dataset_meta': {'classes': list('vwxyz')}})
    assert net.dataset_meta == {'classes': list('vwxyz')} and net.cfg is net._config is cfg
    attach_metadata(net, cfg, None, {'CLASSES': list('pq')})  # 2 names do not fit 5 classes
    assert net.dataset_meta == {'classes': list('abcde')} and net.model_info is None
    zoo_cfg, info = resolve_config('convnext-v2-atto_fcmae-pre_3rdparty_in1k')
    zoo_net = build_model(zoo_cfg)
    attach_metadata(zoo_net, zoo_cfg, info, {})
    assert zoo_net.dataset_meta['classes'] == list(info.categories)
    assert zoo_net.model_info is info


def test_get_model_attaches_the_zoo_record(tiny_config):
    model = get_model('convnext-v2-atto_fcmae-pre_3rdparty_in1k')
    assert model.model_info.name == 'convnext-v2-atto_fcmae-pre_3rdparty_in1k'
    assert model.model_info.transforms().crop_size == 224
    assert get_model(tiny_config).model_info is None


def test_zoo_fine_tune_keeps_the_documented_warning(standin_mirror, tmp_path, monkeypatch):
    """get_model(zoo name, pretrained=True, head=dict(num_classes=N)) fine-tunes: the published
    head is skipped with one warning naming both shapes (docs/inference.md), not an error."""
    mirror, folder, _ = standin_mirror
    monkeypatch.setenv('MMCLS_CONVNEXT_MIRROR', mirror)
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path / 'home'))
    monkeypatch.delenv('MMCLS_CONVNEXT_OFFLINE', raising=False)
    name = 'convnext-tiny_32xb128_in1k'
    with pytest.warns(UserWarning, match=r'head shapes differ \(head\.fc\.weight: checkpoint '
                      r'\(1000, 768\) vs model \(10, 768\).*left at its initialisation'):
        model = get_model(name, pretrained=True, head=dict(num_classes=10))
    published = torch.load(folder / model.model_info.file_name, weights_only=True)['state_dict']
    key = 'backbone.stages.3.2.pointwise_conv2.weight'
    assert torch.equal(model.state_dict()[key], published[key])
    assert model.head.fc.out_features == 10 and model.dataset_meta is None


def test_checkpoint_class_names_are_kept_for_a_headless_model(tmp_path):
    name = 'convnext-v2-atto_3rdparty-fcmae_in1k'
    src = get_model(name)
    path = tmp_path / 'enc.pth'
    torch.save({'state_dict': src.state_dict(), 'meta': {'CLASSES': ['x', 'y']}}, path)
    model = get_model(name, pretrained=str(path))
    assert model.head is None and model.dataset_meta == {'classes': ['x', 'y']}
