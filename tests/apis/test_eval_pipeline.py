"""Which eval pipeline a built model gets: its zoo weights', its config's, else ImageNet's."""
import warnings

import pytest
from mmengine.config import Config

from mmcls_convnext.apis import get_model, pipeline


def test_zoo_model_gets_its_weights_preprocessing_without_a_guess():
    model = get_model('convnext-v2-nano_fcmae-in21k-pre_3rdparty_in1k-384px')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        steps = pipeline.eval_pipeline_cfg(model)
    assert steps == model.model_info.transforms().pipeline()
    assert steps[1] == dict(type='Resize', scale=(384, 384), backend='pillow',
                            interpolation='bicubic')
    assert steps == pipeline.test_pipeline_cfg(model.cfg)  # the config says the same


def test_config_model_gets_its_configs_test_pipeline(tiny_config):
    model = get_model(tiny_config)
    assert pipeline.eval_pipeline_cfg(model) == pipeline.test_pipeline_cfg(model.cfg)
    assert pipeline.eval_pipeline_cfg(model)[1]['scale'] == 40


def test_a_model_that_names_nothing_gets_imagenet_224_with_a_warning(tiny_config):
    model = get_model(Config(dict(model=Config.fromfile(tiny_config).model)))
    with pytest.warns(UserWarning, match=r'no test pipeline .* short edge 256 \(bicubic\), '
                      r'centre crop 224'):
        assert pipeline.eval_pipeline_cfg(model) == pipeline.DEFAULT_TEST_PIPELINE
