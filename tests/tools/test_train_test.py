"""tools/train.py and tools/test.py end to end (subprocesses; tiny model, 32 px images)."""
import json
import os
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'engine'))
from tiny_run import (  # noqa: E402
    checkpoint_names,
    make_image_folder,
    run_tool,
    scalars,
    train_losses,
    write_config,
)

PROBE_HOOKS = '''
import json, os, signal
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmcls_convnext.registry import HOOKS


@HOOKS.register_module()
class KillAtIterHook(Hook):
    """SIGKILL this process after global iteration ``at_iter`` (a crash mid-epoch)."""

    def __init__(self, at_iter):
        self.at_iter = at_iter

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.at_iter:
            os.kill(os.getpid(), signal.SIGKILL)


@HOOKS.register_module()
class RecordRankHook(Hook):
    """Write the sample indices each rank trained on and the validation metrics it got."""

    def __init__(self):
        self.indices, self.metrics = [], None

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.indices += [int(s.sample_idx) for s in data_batch['data_samples']]

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = metrics

    def after_run(self, runner):
        out = os.path.join(runner.work_dir, f'rank{get_rank()}.json')
        with open(out, 'w') as f:
            json.dump(dict(indices=self.indices, metrics=self.metrics), f)
        model = getattr(runner.model, 'module', runner.model)
        import torch
        torch.save(model.state_dict(), os.path.join(runner.work_dir, f'rank{get_rank()}.pth'))
'''


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    (root / 'probe_hooks.py').write_text(PROBE_HOOKS)
    return make_image_folder(root / 'train', per_class=4), root


def _pythonpath(root):
    """``root`` (the probe hooks) in front of the caller's PYTHONPATH (this checkout)."""
    return dict(PYTHONPATH=os.pathsep.join(p for p in (str(root), os.environ.get('PYTHONPATH'))
                                           if p))


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_smoke_train_then_test_then_inference(tmp_path, data):
    train_root, _ = data
    cfg = write_config(tmp_path / 'tiny.py', train_root, batch_size=6)  # 12 images: 2 iters
    work_dir = tmp_path / 'work'
    _ok(run_tool('train.py', str(cfg), '--work-dir', str(work_dir)))
    assert sorted(train_losses(work_dir)) == [1, 2]
    ckpt = work_dir / 'epoch_1.pth'
    assert checkpoint_names(work_dir) == ['epoch_1.pth', 'last_checkpoint']
    out = tmp_path / 'metrics.json'
    proc = _ok(run_tool('test.py', str(cfg), str(ckpt), '--work-dir', str(work_dir), '--out',
                        str(out), '--out-item', 'metrics'))
    metrics = json.loads(out.read_text())
    assert set(metrics) == {'accuracy/top1'} and 0 <= metrics['accuracy/top1'] <= 100
    assert 'accuracy/top1' in proc.stdout + proc.stderr

    from mmcls_convnext.apis import inference_model, init_model
    model = init_model(str(cfg), str(ckpt), device='cpu')
    result = inference_model(model, str(next((train_root / 'bee').iterdir())))
    assert result['pred_class'] in ('ant', 'bee', 'cat')
    assert 0 <= result['pred_score'] <= 1


def test_sigkill_mid_epoch_then_resume_is_bitwise_identical(tmp_path, data):
    """Drop-path 0.1, RandomResizedCrop + flip, validation every epoch, EMA: all on."""
    train_root, root = data
    env = _pythonpath(root)
    hooks = [dict(type='EMAHook', momentum=0.1, priority='ABOVE_NORMAL')]
    common = dict(max_epochs=3, custom_hooks=hooks,
                  extra="custom_imports = dict(imports=['probe_hooks'])")
    full_cfg = write_config(tmp_path / 'full.py', train_root, **common)
    crash_cfg = write_config(tmp_path / 'crash.py', train_root, **dict(
        common, custom_hooks=hooks + [dict(type='KillAtIterHook', at_iter=5)]))

    _ok(run_tool('train.py', str(full_cfg), '--work-dir', str(tmp_path / 'full'), env=env))
    crashed = run_tool('train.py', str(crash_cfg), '--work-dir', str(tmp_path / 'crash'), env=env)
    assert crashed.returncode == -9  # SIGKILL in epoch 2 (iterations 4-6)
    assert checkpoint_names(tmp_path / 'crash') == ['epoch_1.pth', 'last_checkpoint']
    resumed = _ok(run_tool('train.py', str(full_cfg), '--work-dir', str(tmp_path / 'crash'),
                           '--resume', env=env))
    assert 'resumed epoch: 1, iter: 3' in resumed.stdout + resumed.stderr

    full_losses = train_losses(tmp_path / 'full')
    crash_losses = train_losses(tmp_path / 'crash')  # both the killed and the resumed run
    assert sorted(full_losses) == list(range(1, 10))
    for it in range(4, 10):  # every iteration after the resume point: exactly equal
        assert crash_losses[it] == full_losses[it], it
    a = torch.load(tmp_path / 'full' / 'epoch_3.pth', weights_only=True)
    b = torch.load(tmp_path / 'crash' / 'epoch_3.pth', weights_only=True)
    for key in ('state_dict', 'ema_state_dict'):
        assert a[key].keys() == b[key].keys()
        for name in a[key]:
            assert torch.equal(a[key][name], b[key][name]), (key, name)
    val = [r['accuracy/top1'] for r in scalars(tmp_path / 'full') if 'accuracy/top1' in r]
    assert len(val) == 3


def test_torchrun_two_cpu_processes(tmp_path, data):
    train_root, root = data
    cfg = write_config(tmp_path / 'ddp.py', train_root, batch_size=2,
                       custom_hooks=[dict(type='RecordRankHook')],
                       extra="custom_imports = dict(imports=['probe_hooks'])")
    work_dir = tmp_path / 'ddp'
    _ok(run_tool('train.py', str(cfg), '--work-dir', str(work_dir), '--launcher', 'pytorch',
                 env=_pythonpath(root), torchrun_nproc=2))
    ranks = [json.loads((work_dir / f'rank{r}.json').read_text()) for r in (0, 1)]
    # 12 images, 2 ranks x batch 2: each rank trains on 6 distinct images, together all 12
    assert [len(r['indices']) for r in ranks] == [6, 6]
    assert sorted(ranks[0]['indices'] + ranks[1]['indices']) == list(range(12))
    sd0, sd1 = (torch.load(work_dir / f'rank{r}.pth', weights_only=True) for r in (0, 1))
    for name in sd0:
        assert torch.equal(sd0[name], sd1[name]), name
    # metrics are gathered over the whole val set and identical on both ranks
    assert ranks[0]['metrics'] == ranks[1]['metrics']
    single = _ok(run_tool('test.py', str(cfg), str(work_dir / 'epoch_1.pth'), '--work-dir',
                          str(tmp_path / 'single'), '--out', str(tmp_path / 'm.json'),
                          '--out-item', 'metrics', env=_pythonpath(root)))
    assert single.returncode == 0
    assert json.loads((tmp_path / 'm.json').read_text()) == ranks[0]['metrics']
