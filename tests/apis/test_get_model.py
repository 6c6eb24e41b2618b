"""get_model / init_model / list_models: by name, config path and Config."""
import pytest
import torch
from mmengine.config import Config

from mmcls_convnext.apis import get_model, imagenet_classes, init_model, list_models
from mmcls_convnext.zoo import CheckpointError, ChecksumError, WeightsDownloadError


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
                       rf'{tmp_path}/checkpoints/{file}'):
        get_model(name, pretrained=True)


def test_pretrained_true_refuses_a_tampered_cached_file(monkeypatch, tmp_path):
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path))
    file = 'convnext-v2-atto_fcmae-pre_3rdparty_in1k_20230104-23765f83.pth'
    (tmp_path / 'checkpoints').mkdir()
    model = get_model('convnext-v2-atto_fcmae-pre_3rdparty_in1k')
    torch.save({'state_dict': model.state_dict()}, tmp_path / 'checkpoints' / file)
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
    assert (tmp_path / 'home' / 'checkpoints' / f'tiny_20260101-{sha}.pth').is_file()


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
