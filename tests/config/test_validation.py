"""Config typos are refused with a did-you-mean suggestion before training starts."""
import pytest
from mmengine.config import Config

from mmcls_convnext.config import ConfigKeyError, validate_cfg_options, validate_config


def _cfg(**extra):
    return Config(dict(model=dict(type='ImageClassifier', backbone=dict(drop_path_rate=0.1)),
                       train_cfg=dict(max_epochs=2), default_hooks=dict(),
                       train_dataloader=dict(dataset=dict(pipeline=[dict(type='A')])),
                       data_root='data', bgr_mean=[1, 2, 3], **extra))


@pytest.mark.parametrize('typo, fix', [('defualt_hooks', 'default_hooks'),
                                       ('trian_cfg', 'train_cfg'),
                                       ('optim_warpper', 'optim_wrapper')])
def test_top_level_typo(typo, fix):
    with pytest.raises(ConfigKeyError, match=f'"{typo}" \\(did you mean "{fix}"\\?\\).*'
                       'silently ignore'):
        validate_config(_cfg(**{typo: dict()}))


def test_runner_like_unknown_key_and_helpers_allowed():
    validate_config(_cfg(_private=1, my_helper=2))  # helper variables are fine
    with pytest.raises(ConfigKeyError, match='"extra_hooks" \\(named like a Runner setting'):
        validate_config(_cfg(extra_hooks=[]))


def test_mmpretrain_inshop_loader_variables_allowed():
    # inshop_bs32_448.py defines both; its retrieval leaves read gallery_dataloader
    validate_config(_cfg(query_dataloader=dict(), gallery_dataloader=dict()))
    with pytest.raises(ConfigKeyError, match='"galery_dataloader" \\(did you mean '
                       '"gallery_dataloader"\\?\\)'):
        validate_config(_cfg(galery_dataloader=dict()))


@pytest.mark.parametrize('key, message', [
    ('model.backbone.drop_path_rat', 'no key "drop_path_rat" in "model.backbone" \\(did you '
     'mean "model.backbone.drop_path_rate"\\?\\)'),
    ('trian_cfg.max_epochs', 'no key "trian_cfg" in the top level of the config \\(did you '
     'mean "train_cfg.max_epochs"\\?\\)'),
    ('nonsense', '"nonsense" matches no key of the config nor any Runner key'),
    ('train_dataloader.dataset.pipeline.3.type', 'index 3 is out of range'),
    ('data_root.sub', '"data_root" is a str, not a dict'),
])
def test_cfg_options_typos(key, message):
    with pytest.raises(ConfigKeyError, match=f'--cfg-options {key}: {message}'):
        validate_cfg_options(_cfg(), {key: 1})


def test_cfg_options_valid_and_new_leaf():
    validate_cfg_options(_cfg(), {'train_cfg.max_epochs': 3, 'model.backbone.new_key': 1,
                                  'train_dataloader.dataset.pipeline.0.type': 'B',
                                  'load_from': 'x.pth'})


@pytest.mark.parametrize('name', [
    'img_norm_cfg',          # MMPretrain 1.2's imagenet_bs64_clip_{224,384,448}.py bases
    'view_pipeline',         # its self-supervised bases (MoCo v2, SimCLR, DenseCL)
    'base_train_pipeline', 'train_pipeline_37e',  # MobileOne's deploy configs
    'pipeline', 'common_data_cfg',                # LeNet-5 on MNIST
    'paramwise_cfg', 'ipu_model_cfg', 'options_cfg',  # the IPU ViT config
    'norm_cfg', 'backend_args', 'file_client_args'])  # OpenMMLab model/IO helpers
def test_helper_variables_of_shipped_openmmlab_configs_are_not_typos(name):
    """Each of these top-level helper names stands in a config MMPretrain 1.2 ships (or in
    OpenMMLab configs generally); they were refused as Runner-key typos before."""
    validate_config(_cfg(**{name: dict()}))
    with pytest.raises(ConfigKeyError, match='"val_evalutor" \\(did you mean "val_evaluator"'):
        validate_config(_cfg(**{name: dict()}, val_evalutor=dict()))  # typos still caught
