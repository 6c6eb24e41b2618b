"""Layer-wise lr decay constructor, AdamW no-decay rules, CPU AMP optim wrapper config."""
import json
import re
from pathlib import Path

import pytest
import torch
from mmengine.optim import OptimWrapper

from mmcls_convnext.engine import (
    CPUAmpOptimWrapper,
    LearningRateDecayOptimWrapperConstructor,
    amp_optim_wrapper_cfg,
)
from mmcls_convnext.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
from mmcls_convnext.utils import register_all_modules

register_all_modules(init_default_scope=False)
REPO = Path(__file__).resolve().parents[2]


def _classifier(depths):
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type='ConvNeXt', arch=dict(depths=depths, channels=[8, 16, 32, 64])),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=64)))


def _expected_layer_id(name: str, depths) -> int:
    """The layer-wise lr decay rule (docs/architecture.md, "Architectures"), written out
    independently of the model's get_layer_depth."""
    max_id = 12 if depths[-2] > 9 else 6
    match = re.match(r'backbone\.(downsample_layers|stages)\.(\d+)(?:\.(\d+))?', name)
    if match is None:  # head, final norm
        return max_id + 1
    kind, index = match.group(1), int(match.group(2))
    if kind == 'downsample_layers':
        return {0: 0, 1: 2, 2: 3, 3: max_id}[index]
    if index in (0, 1):
        return index + 1
    if index == 2:
        return 3 + int(match.group(3)) // 3
    return max_id


@pytest.mark.parametrize('depths', [[1, 1, 1, 1], [1, 1, 10, 1]])
def test_layer_decay_lrs_follow_reference_depths(depths):
    model = _classifier(depths)
    rate, base_lr, base_wd = 0.5, 1e-3, 0.05
    constructor = LearningRateDecayOptimWrapperConstructor(
        dict(optimizer=dict(type='AdamW', lr=base_lr, weight_decay=base_wd)),
        dict(layer_decay_rate=rate, norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.))
    wrapper = constructor(model)
    assert isinstance(wrapper, OptimWrapper)
    num_layers = (12 if depths[-2] > 9 else 6) + 2
    groups = wrapper.optimizer.param_groups
    # MMPretrain's grouping: one param group per trainable parameter, named by param_name
    assert all(len(g['params']) == 1 for g in groups)
    by_name = {n: p for n, p in model.named_parameters()}
    for group in groups:
        name = group['param_name']
        assert group['params'][0] is by_name[name]
        layer_id = _expected_layer_id(name, depths)
        scale = rate**(num_layers - layer_id - 1)
        assert group['layer_id'] == layer_id and group['lr_scale'] == pytest.approx(scale)
        assert group['lr'] == pytest.approx(base_lr * scale), name
        no_decay = by_name[name].ndim == 1  # norms, biases and layer-scale gamma are all 1-D
        assert group['weight_decay'] == (0. if no_decay else base_wd), name
    # every trainable parameter exactly once, in the model's order
    assert [g['param_name'] for g in groups] == [n for n, p in model.named_parameters()
                                                 if p.requires_grad]
    head_lr = [g['lr'] for g in groups if g['param_name'] == 'head.fc.weight']
    assert head_lr == [base_lr]


def test_layer_decay_bad_settings():
    cfg = dict(optimizer=dict(type='AdamW', lr=1e-3))
    with pytest.raises(ValueError, match=r'layer_decay_rate must be a positive number .*got 0'):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(layer_decay_rate=0))
    with pytest.raises(ValueError, match=r'layer_decay_rate must be a positive number'):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(layer_decay_rate='0.8'))
    with pytest.raises(KeyError, match=r"unknown paramwise_cfg keys \['layer_decay'\]"):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(layer_decay=0.7))
    with pytest.raises(TypeError, match=r'norm_decay_mult must be a number or None'):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(norm_decay_mult='0'))
    with pytest.raises(TypeError, match=r'custom_keys must be a dict'):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(custom_keys=['.gamma']))
    with pytest.raises(KeyError, match=r"custom_keys\['.gamma'\] has unknown keys \['decay'\]"):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(custom_keys={'.gamma': dict(decay=0)}))
    with pytest.raises(ValueError, match=r"custom_keys\['.gamma'\].lr_mult must be a non-neg"):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(custom_keys={'.gamma': dict(
            lr_mult=-1)}))


def test_layer_decay_custom_keys_and_rates_above_one():
    """custom_keys override the norm / bias / flat rules (the longest matching key wins) and
    lr_mult scales the layer's lr; a rate above 1 makes early layers learn faster."""
    model = _classifier([1, 1, 1, 1])
    base_lr, base_wd, rate = 1e-3, 0.05, 2.0
    constructor = LearningRateDecayOptimWrapperConstructor(
        dict(optimizer=dict(type='AdamW', lr=base_lr, weight_decay=base_wd)),
        dict(layer_decay_rate=rate, bias_decay_mult=0., norm_decay_mult=0.5,
             custom_keys={'.gamma': dict(decay_mult=0.), 'head': dict(lr_mult=0.1),
                          'head.fc.bias': dict(decay_mult=2., lr_mult=3.)}))
    groups = {g['param_name']: g for g in constructor(model).optimizer.param_groups}
    num_layers = 8
    for name, group in groups.items():
        scale = rate**(num_layers - _expected_layer_id(name, [1, 1, 1, 1]) - 1)
        module_name = name.rsplit('.', 1)[0]
        is_norm = isinstance(model.get_submodule(module_name),
                             (torch.nn.LayerNorm, type(model.backbone.norm3)))
        if name == 'head.fc.bias':
            lr_mult, decay = 3., 2. * base_wd
        elif name.startswith('head'):
            lr_mult, decay = 0.1, base_wd  # no decay_mult in the key: full decay
        elif name.endswith('.gamma'):
            lr_mult, decay = 1., 0.
        elif is_norm:
            lr_mult, decay = 1., 0.5 * base_wd
        elif name.endswith('.bias'):
            lr_mult, decay = 1., 0.
        else:
            lr_mult, decay = 1., base_wd
        assert group['lr'] == pytest.approx(base_lr * scale * lr_mult), name
        assert group['weight_decay'] == pytest.approx(decay), name
    assert groups['backbone.downsample_layers.0.0.weight']['lr'] == pytest.approx(
        base_lr * 2**7)  # stem: layer 0 of 8


def test_layer_decay_config_lrs_unchanged_by_per_parameter_groups():
    """The shipped layer-decay recipes train every parameter with the same lr and weight decay
    as before the switch to MMPretrain's one-group-per-parameter layout. The reference
    (tests/engine/layer_decay_lrs.json) was recorded with the former constructor (one
    group per (layer, decay) pair, at commit a91af75) from each config's model and optimizer."""
    from mmengine.config import Config

    reference = json.loads((Path(__file__).parent / 'layer_decay_lrs.json').read_text())
    assert len(reference) == 3
    for config, expected in reference.items():
        cfg = Config.fromfile(str(REPO / config))
        model_cfg = dict(cfg.model)
        model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
        with torch.device('meta'):
            model = MODELS.build(model_cfg)
        optim_cfg = dict(cfg.optim_wrapper)
        constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
            type=optim_cfg.pop('constructor'), paramwise_cfg=dict(optim_cfg.pop('paramwise_cfg')),
            optim_wrapper_cfg=optim_cfg))
        assert (constructor.base_lr, constructor.base_wd) == (expected['lr'],
                                                              expected['weight_decay'])
        params: list = []
        constructor.add_params(params, model)
        got = {g['param_name']: [g['lr'], g['weight_decay']] for g in params}
        assert len(got) == len(params) == len(expected['params'])
        assert got == expected['params'], config  # exact: the same float operations


def test_default_constructor_adamw_no_decay_rules():
    """The recipe's paramwise_cfg with mmengine's default constructor: no decay on 1-D params."""
    from mmengine.optim import build_optim_wrapper
    model = _classifier([1, 1, 1, 1])
    wrapper = build_optim_wrapper(model, dict(
        optimizer=dict(type='AdamW', lr=4e-3, weight_decay=0.05),
        paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.)))
    by_param = {id(p): g['weight_decay'] for g in wrapper.optimizer.param_groups
                for p in g['params']}
    for name, param in model.named_parameters():
        assert by_param[id(param)] == (0. if param.ndim == 1 else 0.05), name


def test_amp_cfg_cpu_and_cuda(assume_native_bf16):
    base = dict(optimizer=dict(type='AdamW', lr=1e-3))
    assert amp_optim_wrapper_cfg(base, cuda=False) == dict(
        base, type='CPUAmpOptimWrapper', dtype='bfloat16')
    assert amp_optim_wrapper_cfg(base, cuda=True) == dict(
        base, type='AmpOptimWrapper', loss_scale='dynamic')
    assert 'type' not in base  # the input is not mutated
    with pytest.raises(ValueError, match="dtype='float16' on a machine without CUDA: fp16 "
                       'autocast is not supported on CPU'):
        amp_optim_wrapper_cfg(dict(base, dtype='float16'), cuda=False)
    with pytest.raises(ValueError, match='fp16 autocast is not supported on CPU'):
        amp_optim_wrapper_cfg(dict(base, type='AmpOptimWrapper'), cuda=False)


def test_cpu_amp_wrapper_refuses_fp16(assume_native_bf16):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)
    with pytest.raises(ValueError, match="dtype='float16': fp16 autocast is not supported on "
                       "CPU. Use dtype='bfloat16'"):
        CPUAmpOptimWrapper(optimizer=optimizer, dtype='float16')
    wrapper = CPUAmpOptimWrapper(optimizer=optimizer)
    with wrapper.optim_context(torch.nn.Linear(1, 1)):
        assert torch.is_autocast_enabled('cpu')
        assert torch.get_autocast_dtype('cpu') == torch.bfloat16
