"""The model index: names, URLs, look-ups and config resolution."""
import re

import pytest

from mmcls_convnext.weights.download import expected_hash
from mmcls_convnext.zoo import (
    MODEL_INDEX,
    TASK_BACKBONE,
    TASK_CLASSIFICATION,
    get_model_info,
    list_models,
    model_index,
    resolve_config_path,
)


def test_counts():
    assert sum(i.family == 'ConvNeXt' for i in MODEL_INDEX.values()) == 24
    assert sum(i.family == 'ConvNeXt V2' for i in MODEL_INDEX.values()) == 26
    assert len(list_models(task=TASK_BACKBONE)) == 8  # atto..huge FCMAE encoders (no small)


@pytest.mark.parametrize('name', [
    # the in21k-pre_3rdparty / in21k-pre-3rdparty mix is kept on purpose
    'convnext-base_in21k-pre_3rdparty_in1k',
    'convnext-base_in21k-pre-3rdparty_in1k-384px',
    'convnext-xlarge_in21k-pre-3rdparty_in1k-384px',
    'convnext-v2-huge_fcmae-in21k-pre_3rdparty_in1k-512px',
    'convnext-v2-atto_3rdparty-fcmae_in1k',
])
def test_known_names(name):
    assert name in MODEL_INDEX


@pytest.mark.parametrize('info', list(MODEL_INDEX.values()), ids=lambda i: i.name)
def test_entry_is_consistent(info):
    assert re.fullmatch(r'https://download\.openmmlab\.com/mmclassification/v0/convnext(-v2)?/'
                        r'[\w.-]+-[0-9a-f]{8}\.pth', info.weights)
    assert expected_hash(info.file_name) is not None
    assert info.config.startswith('configs/convnext/' if info.family == 'ConvNeXt'
                                  else 'configs/convnext_v2/convnext-v2-')
    assert f'-{info.arch}_' in info.config
    assert (info.resolution != 224) == ('px' in info.name) == ('px' in info.config)
    if info.task == TASK_BACKBONE:
        assert info.top1 is None and 'fcmae_in1k' in info.name
    if info.top1 is not None:
        assert 70 < info.top1 < info.top5 < 100


def test_v2_weights_follow_the_naming_rule():
    info = get_model_info('convnext-v2-tiny_fcmae-in21k-pre_3rdparty_in1k-384px')
    assert info.weights.endswith('/convnext-v2/convnext-v2-tiny_fcmae-in21k-pre_3rdparty_in1k-'
                                 '384px_20230104-d8579f84.pth')
    assert info.config == 'configs/convnext_v2/convnext-v2-tiny_32xb32_in1k-384px.py'
    assert info.training_data == ('ImageNet-21k', 'ImageNet-1k')


def test_list_models_patterns():
    assert list_models() == sorted(MODEL_INDEX)
    v2_384 = list_models('convnext-v2-*384px')
    assert v2_384 == sorted(v2_384) and len(v2_384) == 5
    assert list_models('convnext-base_3rdparty_in1k') == ['convnext-base_3rdparty_in1k']
    assert list_models('*TINY*', exclude_patterns=['*v2*', '*384px']) == [
        'convnext-tiny_32xb128-noema_in1k', 'convnext-tiny_32xb128_in1k',
        'convnext-tiny_in21k-pre_3rdparty_in1k']
    assert 'convnext-v2-atto_3rdparty-fcmae_in1k' not in list_models(task=TASK_CLASSIFICATION)
    with pytest.raises(ValueError, match=r"Unknown task 'detection'; choose one of"):
        list_models(task='detection')


def test_unknown_name_suggests_close_matches():
    with pytest.raises(KeyError, match=r"Failed to find model 'convnext-tiny_32xb128_in1kk': it "
                       r"is not a model-zoo name.*Did you mean one of "
                       r"\['convnext-tiny_32xb128_in1k'"):
        get_model_info('convnext-tiny_32xb128_in1kk')


def test_resolve_config_path_prefers_installed_copy(tmp_path, monkeypatch):
    assert resolve_config_path('configs/convnext/convnext-tiny_32xb128_in1k.py').endswith(
        'configs/convnext/convnext-tiny_32xb128_in1k.py')
    installed, checkout = tmp_path / 'mim', tmp_path / 'repo'
    for root in (installed, checkout):
        (root / 'convnext').mkdir(parents=True)
    (checkout / 'convnext' / 'a.py').write_text('x = 1')
    monkeypatch.setattr(model_index, 'config_roots', lambda: [str(installed), str(checkout)])
    assert resolve_config_path('configs/convnext/a.py') == str(checkout / 'convnext' / 'a.py')
    (installed / 'convnext' / 'a.py').write_text('x = 2')
    assert resolve_config_path('configs/convnext/a.py') == str(installed / 'convnext' / 'a.py')
    with pytest.raises(FileNotFoundError, match=r"Config 'configs/convnext/nope.py' was found "
                       r'in none of .*mim/convnext/nope\.py'):
        resolve_config_path('configs/convnext/nope.py')
