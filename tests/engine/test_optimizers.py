"""Layer-wise lr decay constructor, AdamW no-decay rules, CPU AMP optim wrapper config."""
import re

import pytest
import torch
from mmengine.optim import OptimWrapper

from mmcls_convnext.engine import (
    CPUAmpOptimWrapper,
    LearningRateDecayOptimWrapperConstructor,
    amp_optim_wrapper_cfg,
)
from mmcls_convnext.registry import MODELS
from mmcls_convnext.utils import register_all_modules

register_all_modules(init_default_scope=False)


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
    seen = set()
    for group in wrapper.optimizer.param_groups:
        for name in group['param_names']:
            layer_id = _expected_layer_id(name, depths)
            assert group['lr'] == pytest.approx(base_lr * rate**(num_layers - layer_id - 1)), name
            param = dict(model.named_parameters())[name]
            no_decay = param.ndim == 1  # norms, biases and layer-scale gamma are all 1-D here
            assert group['weight_decay'] == (0. if no_decay else base_wd), name
            seen.add(name)
    assert seen == {n for n, p in model.named_parameters() if p.requires_grad}
    head_lr = [g['lr'] for g in wrapper.optimizer.param_groups
               if 'head.fc.weight' in g['param_names']]
    assert head_lr == [base_lr]


def test_layer_decay_bad_settings():
    cfg = dict(optimizer=dict(type='AdamW', lr=1e-3))
    with pytest.raises(ValueError, match=r'layer_decay_rate must be a number in \(0, 1\], got 0'):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(layer_decay_rate=0))
    with pytest.raises(KeyError, match=r"unknown paramwise_cfg keys \['layer_decay'\]"):
        LearningRateDecayOptimWrapperConstructor(cfg, dict(layer_decay=0.7))


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
