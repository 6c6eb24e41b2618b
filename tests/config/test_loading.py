"""config.load_config: read, validate, apply options and translate - each once; ClsRunner.from_cfg
takes its result as it is and still loads a raw Config itself."""
import pytest
from mmengine.config import Config

from mmcls_convnext.config import ConfigKeyError, is_loaded, load_config
from mmcls_convnext.config import loading as loading_module

THEIR_CONFIG = """
default_scope = 'mmpretrain'
model = dict(type='mmpretrain.ImageClassifier',
             backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1],
                                                      channels=[8, 16, 32, 64])),
             head=dict(type='LinearClsHead', num_classes=3, in_channels=64))
"""


def _count(monkeypatch, module, names):
    """Wrap ``module.<name>`` for each name; returns the dict of call counts."""
    calls = {name: 0 for name in names}
    for name in names:
        original = getattr(module, name)

        def wrapper(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(module, name, wrapper)
    return calls


@pytest.fixture
def their_file(tmp_path):
    path = tmp_path / 'their.py'
    path.write_text(THEIR_CONFIG)
    return str(path)


def test_each_step_runs_once_with_cfg_options(their_file, monkeypatch):
    calls = _count(monkeypatch, loading_module, ['validate_config', 'validate_cfg_options',
                                                 'translate_config', 'refuse_removed_keys'])
    cfg = load_config(their_file, {'model.backbone.drop_path_rate': 0.2})
    assert calls == dict(validate_config=1, validate_cfg_options=1, translate_config=1,
                         refuse_removed_keys=1)
    assert cfg.default_scope == 'mmcls_convnext' and cfg.model.type == 'ImageClassifier'
    assert cfg.model.backbone.drop_path_rate == 0.2 and is_loaded(cfg)
    assert load_config(cfg) is cfg  # already loaded: nothing is checked again
    assert calls['translate_config'] == 1 and calls['validate_config'] == 1


def test_a_given_config_is_never_modified():
    raw = Config(dict(model=dict(type='mmcls.ImageClassifier'), train_cfg=dict(max_epochs=3)))
    cfg = load_config(raw, {'train_cfg.max_epochs': 7})
    assert cfg is not raw and not is_loaded(raw)
    assert raw.model.type == 'mmcls.ImageClassifier' and raw.train_cfg.max_epochs == 3
    assert 'default_scope' not in raw
    assert cfg.model.type == 'ImageClassifier' and cfg.train_cfg.max_epochs == 7
    again = load_config(cfg, {'train_cfg.max_epochs': 9})  # options on a loaded config: a copy
    assert again is not cfg and cfg.train_cfg.max_epochs == 7 and again.train_cfg.max_epochs == 9


def test_typos_removed_settings_and_wrong_inputs_are_refused(their_file, tmp_path):
    with pytest.raises(ConfigKeyError, match=r'no key "drop_path_rat" in "model.backbone" '
                                             r'\(did you mean "model.backbone.drop_path_rate"'):
        load_config(Config(dict(model=dict(backbone=dict(drop_path_rate=0.1)))),
                    {'model.backbone.drop_path_rat': 0.2})
    with pytest.raises(ValueError, match=r'^trust_checkpoint was removed: checkpoint files are '
                                         r'never unpickled with weights_only=False any more\.'):
        load_config(their_file, {'trust_checkpoint': True})
    with pytest.raises(ConfigKeyError, match='"trian_cfg" \\(did you mean "train_cfg"\\?\\)'):
        load_config(dict(trian_cfg=dict()))
    with pytest.raises(FileNotFoundError, match='missing.py" does not exist'):
        load_config(str(tmp_path / 'missing.py'))
    with pytest.raises(TypeError, match='got int'):
        load_config(3)


def test_cls_runner_from_cfg_loads_only_what_was_not_loaded(their_file, tmp_path, monkeypatch):
    from mmcls_convnext.engine import ClsRunner
    calls = _count(monkeypatch, loading_module, ['validate_config', 'translate_config'])
    loaded = load_config(their_file)
    loaded.work_dir = str(tmp_path / 'a')
    assert calls == dict(validate_config=1, translate_config=1)
    runner = ClsRunner.from_cfg(loaded)
    assert calls == dict(validate_config=1, translate_config=1)  # taken as it is
    assert runner.cfg.default_scope == 'mmcls_convnext'
    raw = Config.fromfile(their_file)
    raw.work_dir = str(tmp_path / 'b')
    runner = ClsRunner.from_cfg(raw)  # a raw Config: checked and translated here, once
    assert calls == dict(validate_config=2, translate_config=2)
    assert runner.cfg.model.type == 'ImageClassifier' and raw.model.type == \
        'mmpretrain.ImageClassifier'
