"""Atomic writes, safe loading of the run's own checkpoints, latest-checkpoint lookup."""
import os

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmcls_convnext.engine.checkpoint_io import (
    CheckpointSaveError,
    atomic_torch_save,
    atomic_write_bytes,
    check_work_dir_writable,
    find_latest_checkpoint,
    load_run_checkpoint,
    load_untrusted_checkpoint,
    non_finite_tensors,
    remove_stale_temp_files,
)
from mmcls_convnext.zoo import CheckpointError


def _training_like_checkpoint():
    buf = HistoryBuffer()
    buf.update(np.float64(0.5))
    return dict(meta=dict(epoch=1, iter=3), state_dict=dict(w=torch.ones(2)),
                message_hub=dict(log_scalars={'train/loss': buf}),
                extra=np.arange(3, dtype=np.int64))


def test_run_checkpoint_loads_with_allow_list(tmp_path):
    path = tmp_path / 'epoch_1.pth'
    torch.save(_training_like_checkpoint(), path)
    # the plain weights_only=True load that mmengine 0.10.7 does on torch >= 2.6 fails ...
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(path, weights_only=True)
    # ... ours succeeds without weights_only=False
    ckpt = load_run_checkpoint(str(path))
    assert ckpt['meta'] == dict(epoch=1, iter=3)
    assert ckpt['message_hub']['log_scalars']['train/loss'].current() == 0.5
    np.testing.assert_array_equal(ckpt['extra'], np.arange(3))


class _Evil:

    def __reduce__(self):
        return (os.system, ('echo pwned',))


@pytest.mark.parametrize('content, problem', [
    (None, 'no such file'),
    (b'', 'the file is empty'),
    (b'garbage' * 10, 'not a readable training checkpoint'),
    ('truncated', 'not a readable training checkpoint'),
    ('evil', 'not a readable training checkpoint'),
])
def test_bad_run_checkpoint_one_clear_error(tmp_path, content, problem):
    path = tmp_path / 'epoch_2.pth'
    if content == 'truncated':
        torch.save(_training_like_checkpoint(), path)
        data = path.read_bytes()
        path.write_bytes(data[:len(data) // 2])
    elif content == 'evil':
        torch.save(dict(state_dict={}, x=_Evil()), path)
    elif content is not None:
        path.write_bytes(content)
    size = 'missing' if content is None else f'{path.stat().st_size} bytes'
    with pytest.raises(CheckpointError, match=f'{path}.*{size}.*{problem}'):
        load_run_checkpoint(str(path))


def test_user_file_training_checkpoint_uses_allow_list_not_pickle(tmp_path):
    path = tmp_path / 'elsewhere.pth'
    torch.save(_training_like_checkpoint(), path)
    assert load_untrusted_checkpoint(str(path))['meta']['epoch'] == 1
    evil = tmp_path / 'evil.pth'
    torch.save(dict(state_dict={}, x=_Evil()), evil)
    with pytest.raises(CheckpointError, match='evil.pth'):
        load_untrusted_checkpoint(str(evil))


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'last_checkpoint'
    atomic_write_bytes(b'old', str(path))
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)  # not mkstemp's private mode

    def fail(*args):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'replace', fail)
    with pytest.raises(CheckpointSaveError, match='Could not write .*No space left on device.*'
                       'Earlier checkpoints are intact'):
        atomic_write_bytes(b'new', str(path))
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['last_checkpoint']  # no temp file left behind


def test_atomic_torch_save_roundtrip(tmp_path):
    atomic_torch_save(dict(state_dict=dict(a=torch.arange(3.))), str(tmp_path / 'x.pth'))
    assert torch.load(tmp_path / 'x.pth')['state_dict']['a'].tolist() == [0., 1., 2.]


def test_find_latest_checkpoint_survives_bad_pointer(tmp_path):
    assert find_latest_checkpoint(str(tmp_path)) is None
    for name in ('epoch_2.pth', 'epoch_10.pth', 'epoch_9.pth'):
        (tmp_path / name).write_bytes(b'x')
    (tmp_path / 'last_checkpoint').write_text('')  # an empty pointer (interrupted write)
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_10.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_9.pth'))
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_9.pth')
    (tmp_path / 'last_checkpoint').write_text('/moved/away/epoch_2.pth')
    assert find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_2.pth')


def test_unwritable_work_dir(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('not a directory')
    with pytest.raises(PermissionError, match=f'work_dir "{blocker}/run" is not writable.*'
                       '--work-dir'):
        check_work_dir_writable(str(blocker / 'run'))
    if os.geteuid() != 0:  # root ignores permission bits
        ro = tmp_path / 'ro'
        ro.mkdir(mode=0o500)
        with pytest.raises(PermissionError, match='is not writable'):
            check_work_dir_writable(str(ro))


def test_non_finite_tensors():
    sd = dict(a=torch.ones(2), b=torch.tensor([1., float('nan')]), c=torch.tensor([1, 2]),
              d=torch.tensor([float('inf')]))
    assert non_finite_tensors(sd) == ['b', 'd']


def test_remove_stale_temp_files(tmp_path):
    dead_pid = 2**22 + 12345  # above the default pid_max: never a running process
    stale = [f'.epoch_2.pth.{dead_pid}.tmp', f'.last_checkpoint.{dead_pid}.x1_y.tmp']
    keep = [f'.epoch_3.pth.{os.getpid()}.tmp', 'epoch_1.pth', '.other.1.tmp']
    for name in stale + keep:
        (tmp_path / name).write_bytes(b'x')
    removed = remove_stale_temp_files(str(tmp_path))
    assert sorted(removed) == sorted(str(tmp_path / n) for n in stale)
    assert sorted(os.listdir(tmp_path)) == sorted(keep)
