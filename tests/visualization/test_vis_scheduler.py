"""tools/visualization/vis_scheduler.py against closed-form schedules."""
import importlib.util
import math
import os.path as osp

import pytest
from PIL import Image

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def _tool():
    path = osp.join(REPO, 'tools', 'visualization', 'vis_scheduler.py')
    spec = importlib.util.spec_from_file_location('vis_scheduler', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


WARMUP_COSINE = """
train_dataloader = dict(batch_size=5, dataset=dict(type='NoSuchDataset'))
train_cfg = dict(by_epoch=True, max_epochs=6)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-2, betas=(0.9, 0.999)),
    paramwise_cfg=dict(norm_decay_mult=0.0),
    constructor='LearningRateDecayOptimWrapperConstructor')
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', eta_min=1e-4, by_epoch=True, begin=2,
         convert_to_iter_based=True),
]
"""

STEP_MOMENTUM = """
train_dataloader = dict(batch_size=4)
train_cfg = dict(by_epoch=True, max_epochs=4)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9))
param_scheduler = [
    dict(type='MultiStepLR', milestones=[2, 3], gamma=0.5, by_epoch=True),
    dict(type='LinearMomentum', start_factor=0.5, by_epoch=False, begin=0, end=4),
]
"""


def _write(tmp_path, text, name='sched_cfg.py'):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_warmup_then_cosine_per_iteration(tmp_path):
    # 50 images / batch 5 = 10 iterations per epoch; warmup 20 iters = epochs 0-1
    result = _tool().main([_write(tmp_path, WARMUP_COSINE), '--dataset-size', '50',
                           '--out-dir', str(tmp_path)])
    lr0, eta_min, total, begin = 1e-2, 1e-4, 60, 20
    expected = []
    for i in range(total):
        if i < 20:
            # mmengine's LinearLR reaches the full lr at step end - 1
            expected.append(lr0 * (0.1 + 0.9 * i / 19))
        else:
            t = (i - begin) / (total - begin)
            expected.append(eta_min + (lr0 - eta_min) * (1 + math.cos(math.pi * t)) / 2)
    assert result['epoch_length'] == 10
    assert result['lr'] == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert result['momentum'] == pytest.approx([0.9] * total)  # AdamW beta1, constant
    with Image.open(result['out_file']) as img:
        assert img.size[0] > 400 and img.size[1] > 400  # two panels: lr and momentum


def test_epoch_steps_and_momentum_schedule_with_ngpus(tmp_path):
    # 33 images / (batch 4 x 2 processes) -> ceil(4.125) = 5 iterations per epoch
    result = _tool().main([_write(tmp_path, STEP_MOMENTUM), '--dataset-size', '33',
                           '--ngpus', '2', '--out-dir', str(tmp_path), '--title', 'x'])
    assert result['epoch_length'] == 5
    assert result['lr'] == pytest.approx([0.1] * 10 + [0.05] * 5 + [0.025] * 5)
    momentum = [0.9 * (0.5 + 0.5 * min(i, 3) / 3) for i in range(20)]
    assert result['momentum'] == pytest.approx(momentum)
    assert osp.isfile(tmp_path / 'sched_cfg_schedule.png')


def test_cfg_options_change_the_length(tmp_path):
    result = _tool().main([_write(tmp_path, STEP_MOMENTUM), '--dataset-size', '8',
                           '--out-dir', str(tmp_path), '--cfg-options', 'train_cfg.max_epochs=7'])
    assert len(result['lr']) == 14


def test_unbuildable_dataset_asks_for_dataset_size(tmp_path):
    with pytest.raises(ValueError, match=r'Pass --dataset-size N instead \(ImageNet-1k'):
        _tool().main([_write(tmp_path, WARMUP_COSINE), '--out-dir', str(tmp_path)])


@pytest.mark.parametrize('args, error, match', [
    (['--dataset-size', '0'], ValueError, '--dataset-size must be >= 1; got 0'),
    (['--dataset-size', '5', '--ngpus', '0'], ValueError, '--ngpus must be >= 1; got 0'),
])
def test_bad_numbers(tmp_path, args, error, match):
    with pytest.raises(error, match=match):
        _tool().main([_write(tmp_path, STEP_MOMENTUM), '--out-dir', str(tmp_path)] + args)


def test_config_without_schedule_or_file(tmp_path):
    path = _write(tmp_path, 'train_cfg = dict(max_epochs=1)\n', 'no_sched.py')
    with pytest.raises(ValueError, match='needs optim_wrapper and param_scheduler'):
        _tool().main([path, '--dataset-size', '4'])
    with pytest.raises(FileNotFoundError, match='Config file /no/cfg.py does not exist'):
        _tool().main(['/no/cfg.py'])
