"""A weight is a value: every metafile record's URL, hash, licence, classes and eval transforms."""
import ast
import dataclasses
import fnmatch
import os.path as osp
import re

import pytest
from mmengine.config import Config

from mmcls_convnext.datasets.imagenet import CATEGORIES_FILE, imagenet_categories
from mmcls_convnext.zoo import (
    MODEL_INDEX,
    TASK_BACKBONE,
    ModelInfo,
    get_model_info,
    resolve_config_path,
)
from mmcls_convnext.zoo import metafile as mf

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
INFOS = list(MODEL_INDEX.values())


@pytest.mark.parametrize('info', INFOS, ids=lambda i: i.name)
def test_sha256_prefix_is_what_the_file_name_carries(info):
    assert re.fullmatch(r'[0-9a-f]{8}', info.sha256_prefix)
    assert info.file_name.endswith(f'-{info.sha256_prefix}.pth')
    assert info.weights == info.weights.strip() and info.weights.endswith('/' + info.file_name)


@pytest.mark.parametrize('info', INFOS, ids=lambda i: i.name)
def test_licence_follows_where_the_weights_come_from(info):
    if info.family == 'ConvNeXt V2':
        assert info.licence == 'CC-BY-NC-4.0' and info.converted_from is not None
    elif info.converted_from is None:  # trained with MMPretrain
        assert info.licence == 'Apache-2.0' and info.code is None
    else:  # converted from github.com/facebookresearch/ConvNeXt (MIT)
        assert info.licence == 'MIT' and info.code.endswith('/facebookresearch/ConvNeXt')


@pytest.mark.parametrize('info', INFOS, ids=lambda i: i.name)
def test_label_set_classes_and_categories_agree(info):
    if info.name.endswith('_in21k'):
        assert (info.label_set, info.num_classes, info.categories) == ('ImageNet-21k', 21841,
                                                                       None)
    elif 'fcmae_in1k' in info.name and '-pre' not in info.name:  # the FCMAE encoders
        assert (info.label_set, info.num_classes, info.categories) == (None, None, None)
        assert info.task == TASK_BACKBONE
    else:
        assert info.label_set == 'ImageNet-1k' and info.num_classes == 1000
        assert info.categories == imagenet_categories() and info.categories[65] == 'sea snake'


def _config(info: ModelInfo) -> Config:
    return Config.fromfile(resolve_config_path(info.config))


@pytest.mark.parametrize('info', INFOS, ids=lambda i: i.name)
def test_record_agrees_with_its_config(info):
    """The weights' eval transforms are the config's test pipeline and normalisation, and the
    config's head has the weights' number of classes."""
    cfg = _config(info)
    if info.num_classes is not None:
        assert cfg.model.head.num_classes == info.num_classes
    preset = info.transforms()
    assert preset.pipeline() == list(cfg.test_dataloader.dataset.pipeline)
    assert preset.pipeline() == list(cfg.val_dataloader.dataset.pipeline)
    preprocessor = cfg.model.get('data_preprocessor') or cfg.data_preprocessor
    for key, value in preset.data_preprocessor().items():
        if key != 'type':
            assert preprocessor[key] == value, key
    assert info.resolution == preset.crop_size
    assert preset.crop_pct == (0.875 if info.resolution == 224 else 1.0)


def test_metafile_urls_are_literals_not_assembled():
    tree = ast.parse(open(mf.__file__, encoding='utf-8').read())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.JoinedStr)], 'no f-strings'
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and getattr(n.func, 'id', None) in ('_v1', '_v2')]
    assert len(calls) == len(MODEL_INDEX) == len(mf.MODELS)
    for call in calls:
        assert not call.args, 'records are keyword-only'
        kwargs = {k.arg: k.value for k in call.keywords}
        for key in ('name', 'config', 'weights', 'converted_from'):
            if key in kwargs:
                assert isinstance(kwargs[key], ast.Constant), (kwargs['name'].value, key)
    text = open(mf.__file__, encoding='utf-8').read()
    for info in INFOS:  # a search for a file name finds its record
        assert text.count(f"weights='{info.weights}'") == 1


def test_records_are_frozen_values():
    info = get_model_info('convnext-tiny_32xb128_in1k')
    with pytest.raises(dataclasses.FrozenInstanceError):
        info.weights = 'https://elsewhere/x.pth'
    assert info == dataclasses.replace(info) and hash(info) == hash(dataclasses.replace(info))
    assert info.transforms().describe() == ('short edge 256 (bicubic), centre crop 224, RGB, '
                                            'ImageNet mean/std (0-255 scale)')


def _record(**changes) -> ModelInfo:
    return dataclasses.replace(get_model_info('convnext-tiny_32xb128_in1k'), **changes)


@pytest.mark.parametrize('changes, message', [
    (dict(weights='https://host/convnext-tiny.pth'),
     r"file name 'convnext-tiny\.pth' carries no -<8 hex>\.pth sha256 prefix"),
    (dict(licence='GPL'), r"licence 'GPL' is not one of \('Apache-2.0', 'MIT', 'CC-BY-NC-4.0'\)"),
    (dict(label_set='ImageNet-22k'), r"label_set 'ImageNet-22k' is not one of"),
    (dict(family='ResNet'), r"family 'ResNet' is not one of"),
    (dict(label_set=None), r'a weight without a head has no top-1 accuracy'),
    (dict(training_data=()), r'training_data is empty'),
])
def test_inconsistent_records_are_refused(changes, message):
    with pytest.raises(ValueError, match=r"Model-zoo record 'convnext-tiny_32xb128_in1k': .*"
                       + message):
        _record(**changes)


def test_category_names_ship_as_package_data():
    setup = open(osp.join(REPO, 'setup.py'), encoding='utf-8').read()
    globs = re.search(r"package_data=\{'mmcls_convnext': \[([^\]]*)\]", setup).group(1)
    relative = osp.relpath(CATEGORIES_FILE, osp.join(REPO, 'mmcls_convnext'))
    assert any(fnmatch.fnmatch(relative, g.strip(" '")) for g in globs.split(','))
    names = open(CATEGORIES_FILE, encoding='utf-8').read().split('\n')
    assert names[-1] == '' and tuple(names[:-1]) == imagenet_categories()
    assert imagenet_categories()[:2] == ('tench', 'goldfish')
    assert imagenet_categories()[-1] == 'toilet tissue'


def test_a_damaged_category_file_is_a_clear_error(tmp_path, monkeypatch):
    from mmcls_convnext.datasets import imagenet
    short = tmp_path / 'names.txt'
    short.write_text('tench\ngoldfish\n')
    monkeypatch.setattr(imagenet, 'CATEGORIES_FILE', str(short))
    imagenet.imagenet_categories.cache_clear()
    try:
        with pytest.raises(RuntimeError, match=r'names\.txt holds 2 lines, not the 1000 '
                           r'non-empty ImageNet-1k class names\. Reinstall'):
            imagenet.imagenet_categories()
        monkeypatch.setattr(imagenet, 'CATEGORIES_FILE', str(tmp_path / 'missing.txt'))
        with pytest.raises(RuntimeError, match=r'missing\.txt\) cannot be read'):
            imagenet.imagenet_categories()
    finally:
        imagenet.imagenet_categories.cache_clear()


def test_class_names_need_no_torchvision():
    """With torchvision made unimportable, a zoo model still gets its 1000 ImageNet names."""
    import subprocess
    import sys
    code = ("import sys; sys.modules['torchvision'] = None\n"
            'from mmcls_convnext.apis import get_model\n'
            "model = get_model('convnext-v2-atto_fcmae-pre_3rdparty_in1k')\n"
            "print(len(model.dataset_meta['classes']), model.dataset_meta['classes'][65])")
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split('\n')[-2] == '1000 sea snake'
