"""The one atomic writer: old file kept on failure, 0644, stale temp files removed."""
import os
import time

import pytest
import torch

from mmcls_convnext.checkpoint import (
    CheckpointSaveError,
    atomic_torch_save,
    atomic_write_bytes,
    commit_atomically,
    remove_stale_temp_files,
)

DEAD_PID = 2**22 + 12345  # above the default pid_max: never a running process


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / 'last_checkpoint'
    atomic_write_bytes(b'old', str(path))

    def fail(*args):
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(os, 'replace', fail)
    with pytest.raises(CheckpointSaveError, match='Could not write .*No space left on device.*'
                       'Earlier checkpoints are intact'):
        atomic_write_bytes(b'new', str(path))
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['last_checkpoint']  # no temp file left behind


def test_files_get_the_usual_permissions_not_mkstemps_0600(tmp_path):
    old = os.umask(0o022)
    try:
        atomic_write_bytes(b'x', str(tmp_path / 'a'))
        atomic_torch_save({'w': torch.ones(1)}, str(tmp_path / 'b.pth'))
    finally:
        os.umask(old)
    assert (tmp_path / 'a').stat().st_mode & 0o777 == 0o644
    assert (tmp_path / 'b.pth').stat().st_mode & 0o777 == 0o644


def test_interrupt_while_writing_leaves_nothing(tmp_path):
    path = tmp_path / 'epoch_1.pth'

    def write_half(tmp):
        with open(tmp, 'wb') as f:
            f.write(b'half')
        raise KeyboardInterrupt('Ctrl-C')

    with pytest.raises(KeyboardInterrupt):
        commit_atomically(str(path), write_half, lambda exc, d: 'unused')
    assert os.listdir(tmp_path) == []


def test_atomic_torch_save_roundtrip(tmp_path):
    atomic_torch_save(dict(state_dict=dict(a=torch.arange(3.))), str(tmp_path / 'x.pth'))
    loaded = torch.load(tmp_path / 'x.pth', weights_only=True)
    assert loaded['state_dict']['a'].tolist() == [0., 1., 2.]


def test_remove_stale_temp_files(tmp_path):
    stale = [f'.epoch_2.pth.{DEAD_PID}.tmp', f'.last_checkpoint.{DEAD_PID}.x1_y.tmp',
             f'.w.url-0123456789ab.pth.{DEAD_PID}.k2j3.tmp']
    keep = [f'.epoch_3.pth.{os.getpid()}.tmp', 'epoch_1.pth', '.other.1.tmp', 'fresh.partial',
            '.w.pth.abc.partial']
    old_partial = '.v.pth.qq.partial'  # an earlier version's pid-less temp file, a day old
    for name in stale + keep + [old_partial]:
        (tmp_path / name).write_bytes(b'x')
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(tmp_path / old_partial, (two_days_ago, two_days_ago))
    removed = remove_stale_temp_files(str(tmp_path))
    assert sorted(removed) == sorted(str(tmp_path / n) for n in stale + [old_partial])
    assert sorted(os.listdir(tmp_path)) == sorted(keep)
