"""ClsRunner: crash-safe saves, NaN guard, work_dir checks, seeds, EMA, CPU bf16 autocast."""
import os
import sys
import time
from pathlib import Path

import pytest
import torch
from mmengine.fileio.backends.local_backend import LocalBackend
from mmengine.hooks import Hook

from mmcls_convnext.checkpoint import read_checkpoint
from mmcls_convnext.engine import CheckpointSaveError, NonFiniteLossError

sys.path.insert(0, str(Path(__file__).parent))
from tiny_run import build_runner, train_losses  # noqa: E402

torch.set_num_threads(1)


def _files(work_dir: Path):
    return sorted(p.name for p in work_dir.iterdir()
                  if p.is_file() and p.suffix != '.py' and p.name != '.work_dir.lock')


def test_crash_while_writing_checkpoint_leaves_no_partial_file(tmp_path, monkeypatch):
    runner = build_runner(tmp_path, max_epochs=2, val_interval=10)
    real_put = LocalBackend.put
    calls = []

    def crash_in_second_save(self, obj, filepath):
        calls.append(filepath)
        if len(calls) == 2:  # epoch 2: half of the bytes reach the disk, then the "crash"
            with open(filepath, 'wb') as f:
                f.write(obj[:len(obj) // 2])
            raise KeyboardInterrupt('simulated crash during the write')
        return real_put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', crash_in_second_save)
    with pytest.raises(KeyboardInterrupt, match='simulated crash'):
        runner.train()
    work_dir = tmp_path / 'run'
    assert _files(work_dir) == ['epoch_1.pth', 'last_checkpoint']  # no epoch_2.pth, no temp
    assert (work_dir / 'last_checkpoint').read_text() == str(work_dir / 'epoch_1.pth')
    assert read_checkpoint(str(work_dir / 'epoch_1.pth'))['meta']['epoch'] == 1


def test_disk_full_at_save_is_a_clear_error_and_keeps_old_checkpoints(tmp_path, monkeypatch):
    runner = build_runner(tmp_path, max_epochs=3, val_interval=10, max_keep=1)
    real_put = LocalBackend.put
    calls = []

    def disk_full_in_third_save(self, obj, filepath):
        calls.append(filepath)
        if len(calls) == 3:
            raise OSError(28, 'No space left on device')
        return real_put(self, obj, filepath)

    monkeypatch.setattr(LocalBackend, 'put', disk_full_in_third_save)
    with pytest.raises(CheckpointSaveError, match=r'Could not save checkpoint ".*epoch_3.pth": '
                       'No space left on device. Earlier checkpoints .* are intact'):
        runner.train()
    work_dir = tmp_path / 'run'
    # max_keep_ckpts=1 must not delete epoch_2 before epoch_3 exists
    assert _files(work_dir) == ['epoch_2.pth', 'last_checkpoint']
    assert read_checkpoint(str(work_dir / 'epoch_2.pth'))['meta']['epoch'] == 2


def test_nan_loss_stops_within_one_iteration_without_checkpoint(tmp_path):
    runner = build_runner(tmp_path, max_epochs=2, val_interval=10, lr=1e30)
    with pytest.raises(NonFiniteLossError, match=r'Non-finite loss \(loss=nan\) at epoch 1, '
                       r'iteration 2 of the epoch \(global iteration 2\)'):
        runner.train()
    assert runner.iter == 1  # iteration 2 raised before finishing
    assert not list((tmp_path / 'run').glob('*.pth'))


def test_refuses_to_save_non_finite_weights(tmp_path):
    runner = build_runner(tmp_path, val_interval=10)
    with torch.no_grad():
        runner.model.head.fc.weight[0, 0] = float('inf')
    with pytest.raises(NonFiniteLossError, match=r"1 weight tensors hold NaN/inf \(first: "
                       r"\['head.fc.weight'\]\)"):
        runner.save_checkpoint(str(tmp_path / 'run'), 'epoch_1.pth', save_optimizer=False,
                               save_param_scheduler=False)
    assert not list((tmp_path / 'run').glob('*.pth'))


def test_unwritable_work_dir_fails_before_training(tmp_path):
    (tmp_path / 'blocker').write_text('a file, not a directory')
    with pytest.raises(PermissionError, match=r'work_dir ".*blocker/run" is not writable'):
        build_runner(tmp_path, work_dir=tmp_path / 'blocker' / 'run')


def test_same_seed_gives_identical_losses_and_weights(tmp_path):
    states, losses = [], []
    for name in ('a', 'b'):
        runner = build_runner(tmp_path, name=name, max_epochs=2, val_interval=1)
        runner.train()
        states.append(runner.model.state_dict())
        losses.append(train_losses(tmp_path / name))
    assert len(losses[0]) == 6 and losses[0] == losses[1]
    for key in states[0]:
        assert torch.equal(states[0][key], states[1][key]), key


class _Record(Hook):
    """Records the parameters after every optimizer step and the weights seen by validation."""

    priority = 'LOWEST'

    def __init__(self):
        self.steps, self.val_weights = [], None

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.steps.append({k: v.detach().clone() for k, v in runner.model.named_parameters()})

    def before_val_epoch(self, runner):
        self.val_weights = {k: v.detach().clone() for k, v in runner.model.named_parameters()}


def test_ema_weights_equal_hand_computed_ema(tmp_path):
    momentum = 0.25
    runner = build_runner(tmp_path, val_interval=1, custom_hooks=[
        dict(type='EMAHook', momentum=momentum, priority='ABOVE_NORMAL')])
    record = _Record()
    runner.register_hook(record)
    runner.train()
    # mmengine's ExponentialMovingAverage: copy at the first step, then
    # ema = (1 - momentum) * ema + momentum * param
    expected = dict(record.steps[0])
    for step in record.steps[1:]:
        expected = {k: (1 - momentum) * expected[k] + momentum * step[k] for k in expected}
    ckpt = read_checkpoint(str(tmp_path / 'run' / 'epoch_1.pth'))
    for key, value in expected.items():
        torch.testing.assert_close(ckpt['state_dict'][key], value, rtol=0, atol=1e-6)
        torch.testing.assert_close(record.val_weights[key], value, rtol=0, atol=1e-6)
    raw = record.steps[-1]['head.fc.weight']
    assert not torch.allclose(ckpt['ema_state_dict']['module.head.fc.weight'] - raw,
                              torch.ones_like(raw))  # the raw weights are kept too
    torch.testing.assert_close(ckpt['ema_state_dict']['module.head.fc.weight'], raw)


def test_cpu_amp_trains_in_bf16_and_saves_fp32(tmp_path, assume_native_bf16):
    runner = build_runner(tmp_path, val_interval=10, cfg_options={
        'optim_wrapper.type': 'CPUAmpOptimWrapper', 'optim_wrapper.dtype': 'bfloat16'})
    seen = []
    fc = runner.model.head.fc
    fc.register_forward_hook(lambda mod, inp, out: seen.append((mod.training, out.dtype)))
    runner.train()
    assert {dtype for training, dtype in seen if training} == {torch.bfloat16}
    assert {dtype for training, dtype in seen if not training} == {torch.float32}  # val
    ckpt = read_checkpoint(str(tmp_path / 'run' / 'epoch_1.pth'))
    dtypes = {v.dtype for v in ckpt['state_dict'].values() if v.is_floating_point()}
    assert dtypes == {torch.float32}
    assert all(torch.isfinite(torch.tensor(v)) for v in train_losses(tmp_path / 'run').values())


def test_safety_hooks_added_once(tmp_path):
    runner = build_runner(tmp_path, custom_hooks=[dict(type='FiniteLossHook')])
    names = [type(h).__name__ for h in runner.hooks]
    assert names.count('FiniteLossHook') == 1 and names.count('EpochReseedHook') == 1
    assert names.count('AtomicCheckpointHook') == 1 and 'CheckpointHook' not in names
    assert os.path.isdir(tmp_path / 'run')


def test_checkpoints_load_with_plain_weights_only_and_resume_restores_history(tmp_path):
    runner = build_runner(tmp_path, max_epochs=1, val_interval=10)
    runner.train()
    path = tmp_path / 'run' / 'epoch_1.pth'
    ckpt = torch.load(path, weights_only=True)  # no allow-list needed for our own files
    assert ckpt['meta']['epoch'] == 1
    before = runner.message_hub.get_scalar('train/loss').data
    stale = tmp_path / 'run' / f'.epoch_2.pth.{2**22 + 1}.tmp'  # from a SIGKILLed save
    stale.write_bytes(b'half a checkpoint')
    resumed = build_runner(tmp_path, max_epochs=2, val_interval=10,
                           cfg_options=dict(resume=True))
    resumed.load_or_resume()
    assert not stale.exists()
    assert (resumed.epoch, resumed.iter) == (1, 3)
    after = resumed.message_hub.get_scalar('train/loss').data
    assert [a.tolist() for a in after] == [b.tolist() for b in before]


def test_resume_into_other_param_groups_is_a_clear_error(tmp_path):
    """A checkpoint whose optimizer had other param groups (e.g. before layer-wise lr decay's
    one group per parameter) is refused naming the file and the load_from way out; the
    checkpoint itself is left as it was."""
    from mmcls_convnext.checkpoint import CheckpointError
    build_runner(tmp_path, max_epochs=1, val_interval=10).train()
    path = tmp_path / 'run' / 'epoch_1.pth'
    before = path.read_bytes()
    resumed = build_runner(tmp_path, max_epochs=2, val_interval=10, cfg_options={
        'resume': True,
        'optim_wrapper.constructor': 'LearningRateDecayOptimWrapperConstructor',
        'optim_wrapper.paramwise_cfg': dict(layer_decay_rate=0.8)})
    with pytest.raises(CheckpointError) as info:
        resumed.load_or_resume()
    groups = len(resumed.optim_wrapper.param_groups)  # built to resume into
    message = str(info.value)
    assert str(path) in message and f'this config makes {groups}' in message
    assert f'load_from={path}' in message
    assert path.read_bytes() == before


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path')
def test_amp_optim_wrapper_in_config_on_cpu(tmp_path, assume_native_bf16):
    runner = build_runner(tmp_path, cfg_options={'optim_wrapper.type': 'AmpOptimWrapper',
                                                 'optim_wrapper.dtype': 'bfloat16'})
    wrapper = runner.build_optim_wrapper(runner.optim_wrapper)
    assert type(wrapper).__name__ == 'CPUAmpOptimWrapper'
    with pytest.raises(ValueError, match='fp16 autocast is not supported on CPU'):
        build_runner(tmp_path, name='fp16', cfg_options={'optim_wrapper.type':
                                                         'AmpOptimWrapper'})


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path')
def test_cpu_distributed_launch_errors(tmp_path, monkeypatch):
    for var in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ValueError, match=r"--launcher pytorch needs the environment variables "
                       r"\['RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'\]; start the "
                       'script with torchrun'):
        build_runner(tmp_path, cfg_options=dict(launcher='pytorch'))
    with pytest.raises(ValueError, match='launcher="slurm" needs CUDA GPUs; on a CPU-only '
                       'machine use --launcher pytorch'):
        build_runner(tmp_path, name='slurm', cfg_options=dict(launcher='slurm'))


def test_runs_started_in_one_second_get_their_own_logger_and_log_folder(tmp_path, monkeypatch):
    """mmengine names the logger and the log folder after a one-second timestamp."""
    import time as time_module

    from mmengine.config import Config

    from mmcls_convnext.engine import ClsRunner
    first = build_runner(tmp_path, name='a', max_epochs=1, val_interval=10)
    frozen = first.timestamp
    real_strftime = time_module.strftime
    calls = []

    def first_stamp_collides(fmt, t=None):  # mmengine's own stamp says the first run's second
        if fmt == '%Y%m%d_%H%M%S' and not calls:
            calls.append(fmt)
            return frozen
        return real_strftime(fmt) if t is None else real_strftime(fmt, t)

    monkeypatch.setattr(time_module, 'strftime', first_stamp_collides)
    cfg = Config.fromfile(str(tmp_path / 'a.py'))
    cfg.work_dir = str(tmp_path / 'a')  # same config name and work_dir, no experiment_name
    first.release_work_dir()
    second = ClsRunner.from_cfg(cfg)
    assert second.timestamp != frozen
    assert second.logger is not first.logger and second.log_dir != first.log_dir
    second.logger.info('only-in-the-second-run')
    first_log = Path(first.log_dir) / f'{frozen}.log'
    assert 'only-in-the-second-run' not in first_log.read_text()


def test_runs_claiming_one_second_at_once_get_their_own_folders(tmp_path):
    """Issue 20, finding 6: two tools/test.py runs into one work_dir in the same second shared
    one log file and metrics json (each saw the folder free, then both used it). Three claims
    of one stamp released together by a barrier - whatever the interleaving - get three
    folders, each created by its own claim."""
    import threading

    from mmcls_convnext.engine.runner import claim_run_folder
    stamp = time.strftime('%Y%m%d_%H%M%S')
    (tmp_path / stamp).mkdir()  # an earlier run of this second
    barrier, got = threading.Barrier(3), []

    def claim():
        barrier.wait()
        got.append(claim_run_folder(str(tmp_path), stamp))

    threads = [threading.Thread(target=claim) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(got)) == 3 and stamp not in got
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(got + [stamp])
