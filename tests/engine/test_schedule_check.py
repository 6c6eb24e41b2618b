"""check_schedule_fits: a param_scheduler that begins after training ends is one clear error."""
import pytest
from mmengine.config import Config

from mmcls_convnext.engine.schedule_check import ScheduleLengthError, check_schedule_fits

WARMUP_COSINE = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=20, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=20),
]


def _cfg(schedulers, **train_cfg):
    return Config(dict(param_scheduler=schedulers, train_cfg=train_cfg))


def test_a_fitting_schedule_passes():
    check_schedule_fits(_cfg(WARMUP_COSINE, by_epoch=True, max_epochs=300))
    check_schedule_fits(_cfg(WARMUP_COSINE, by_epoch=True, max_epochs=21))
    # an iteration warmup inside epoch training depends on the dataset size: not checked
    iters = [dict(type='LinearLR', by_epoch=False, begin=0, end=10_000)]
    check_schedule_fits(_cfg(iters, by_epoch=True, max_epochs=1))
    check_schedule_fits(_cfg([], by_epoch=True, max_epochs=1))


def test_ten_epochs_of_a_300_epoch_recipe():
    with pytest.raises(ScheduleLengthError) as info:
        check_schedule_fits(_cfg(WARMUP_COSINE, by_epoch=True, max_epochs=10))
    message = str(info.value)
    assert message.startswith('train_cfg.max_epochs=10 is shorter than the param_scheduler: '
                              'param_scheduler[1] (CosineAnnealingLR) begins at epoch 20 '
                              '(after the warmup param_scheduler[0] (LinearLR), end=20)')
    # a tenth of the run: whole epochs, no conversion needed
    assert message.endswith('--cfg-options train_cfg.max_epochs=10 param_scheduler.0.end=1 '
                            'param_scheduler.1.begin=1')


def test_one_epoch_of_the_finetune_recipe():
    finetune = [
        dict(type='LinearLR', start_factor=1e-2, by_epoch=True, end=1,
             convert_to_iter_based=True),
        dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=1,
             convert_to_iter_based=True),
    ]
    with pytest.raises(ScheduleLengthError, match=r'max_epochs=1 param_scheduler\.0\.end=0\.5 '
                       r'param_scheduler\.1\.begin=0\.5$'):
        check_schedule_fits(_cfg(finetune, by_epoch=True, max_epochs=1))


def test_iteration_based_training():
    schedulers = [dict(type='LinearLR', by_epoch=False, end=500),
                  dict(type='CosineAnnealingLR', by_epoch=False, begin=500)]
    with pytest.raises(ScheduleLengthError, match=r'train_cfg\.max_iters=100 .* begins at '
                       r'iteration 500 .* param_scheduler\.0\.end=10 '
                       r'param_scheduler\.1\.begin=10$'):
        check_schedule_fits(_cfg(schedulers, type='IterBasedTrainLoop', max_iters=100))
