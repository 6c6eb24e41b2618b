"""Registries: scope, parents, coexistence with other scopes."""
import mmengine.registry as root
import pytest
from mmengine.registry import DefaultScope, Registry

import mmcls_convnext.registry as ours
from mmcls_convnext.utils import register_all_modules


@pytest.mark.parametrize('name', ['MODELS', 'DATASETS', 'TRANSFORMS', 'METRICS', 'HOOKS',
                                  'OPTIMIZERS', 'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS',
                                  'PARAM_SCHEDULERS', 'LOOPS', 'VISUALIZERS', 'RUNNERS'])
def test_children_of_mmengine_roots(name):
    registry = getattr(ours, name)
    assert registry.scope == 'mmcls_convnext'
    assert registry.parent is getattr(root, name)


def test_root_names_reachable_from_our_scope():
    # mmengine's own components resolve through the parent
    assert ours.OPTIMIZERS.get('AdamW') is not None
    assert ours.PARAM_SCHEDULERS.get('CosineAnnealingLR') is not None
    assert ours.HOOKS.get('CheckpointHook') is not None


def test_root_registry_finds_our_models_with_default_scope():
    import mmcls_convnext.models  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmcls_convnext'):
        # what a Runner does with default_scope='mmcls_convnext': build from mmengine's root
        built = root.MODELS.build(dict(type='ConvNeXt', arch=dict(depths=[1], channels=[4])))
        assert type(built) is ours.MODELS.get('ConvNeXt')
    assert root.MODELS.get('mmcls_convnext.LN2d') is ours.MODELS.get('LN2d')


def test_coexists_with_another_scope_defining_the_same_name():
    import mmcls_convnext.models  # noqa: F401
    other = Registry('model', parent=root.MODELS, scope='othertoolbox_test')

    @other.register_module(name='ConvNeXt')
    class OtherConvNeXt:
        def __init__(self, **kwargs):
            pass

    with DefaultScope.overwrite_default_scope('othertoolbox_test'):
        assert type(root.MODELS.build(dict(type='ConvNeXt'))) is OtherConvNeXt
        # our registry keeps building ours, even while the other scope is current
        built = ours.MODELS.build(dict(type='ConvNeXt', arch=dict(depths=[1, 1],
                                                                   channels=[4, 8])))
        assert type(built).__module__.startswith('mmcls_convnext')
        assert root.MODELS.get('mmcls_convnext.ConvNeXt') is ours.MODELS.get('ConvNeXt')


def test_register_all_modules_sets_default_scope():
    register_all_modules(init_default_scope=True)
    assert DefaultScope.get_current_instance().scope_name == 'mmcls_convnext'
    assert ours.MODELS.get('ImageClassifier') is not None
