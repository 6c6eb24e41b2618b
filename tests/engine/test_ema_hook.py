"""Our EMAHook: MMPretrain's evaluation switches, clear argument errors, early checkpoints."""
from types import SimpleNamespace

import pytest
import torch
from mmengine.hooks import EMAHook as MMEngineEMAHook

from mmcls_convnext.engine.hooks import EMAHook
from mmcls_convnext.registry import HOOKS


def test_registered_in_our_scope_in_place_of_mmengines():
    assert HOOKS.get('EMAHook') is EMAHook and issubclass(EMAHook, MMEngineEMAHook)
    hook = HOOKS.build(dict(type='EMAHook', momentum=1e-4, evaluate_on_origin=True))
    assert isinstance(hook, EMAHook) and hook.evaluate_on_ema and hook.evaluate_on_origin


@pytest.mark.parametrize('kwargs, message', [
    (dict(begin_iter=-1), 'begin_iter and begin_epoch must be >= 0'),
    (dict(begin_iter=2, begin_epoch=1), 'set begin_iter or begin_epoch, not both'),
    (dict(momentum=1.5), r'momentum must be in \(0, 1\)'),
    (dict(ema_type='ExponentialMovingAvrage'), "unknown ema_type 'ExponentialMovingAvrage'"),
])
def test_bad_arguments_are_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EMAHook(**kwargs)


def test_evaluate_on_nothing_falls_back_to_origin_with_a_warning():
    with pytest.warns(UserWarning, match='evaluate_on_origin=True'):
        hook = EMAHook(evaluate_on_ema=False)
    assert hook.evaluate_on_origin and not hook.evaluate_on_ema


def _runner(model, resume=False):
    return SimpleNamespace(model=model, _resume=resume)


@pytest.mark.parametrize('with_ema_state', [True, False])
def test_checkpoint_loaded_before_before_run(with_ema_state):
    """tools/test.py order: load_checkpoint, then before_run builds the copy, then test."""
    model = torch.nn.Linear(2, 1)
    ema_weights = {'weight': torch.full((1, 2), 3.), 'bias': torch.full((1, ), 3.)}
    raw_weights = {'module.weight': torch.full((1, 2), 7.), 'module.bias': torch.full((1, ), 7.),
                   'steps': torch.tensor(5)}
    checkpoint = {'state_dict': dict(ema_weights)}
    if with_ema_state:
        checkpoint['ema_state_dict'] = dict(raw_weights)
    hook = EMAHook(momentum=0.5)
    hook.after_load_checkpoint(_runner(model), checkpoint)  # no ema_model yet: kept for later
    model.load_state_dict(checkpoint['state_dict'])  # what the runner loads next
    hook.before_run(_runner(model))
    hook.before_test_epoch(None)  # evaluation swaps the EMA weights in
    assert torch.equal(model.weight, ema_weights['weight'])
    hook.after_test_epoch(None)
    expected_raw = 7. if with_ema_state else 3.
    assert torch.equal(model.weight, torch.full((1, 2), expected_raw))
    assert torch.equal(hook.ema_model.module.weight, ema_weights['weight'])
