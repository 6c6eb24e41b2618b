"""The run's folder: writability, the latest checkpoint, and the one-run-at-a-time lock."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from mmcls_convnext.engine import (
    WorkDirLock,
    WorkDirLockedError,
    check_work_dir_writable,
    find_latest_checkpoint,
    work_dir,
)


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


def test_second_holder_is_refused_with_the_first_ones_details(tmp_path):
    first = WorkDirLock(str(tmp_path))
    with pytest.raises(WorkDirLockedError, match=rf'work_dir "{tmp_path}" is in use by another '
                       rf'training run \(pid {os.getpid()} on .*, started .*, command: .*python'
                       r".*\)\. Two runs in one work_dir overwrite each other's checkpoints"):
        WorkDirLock(str(tmp_path))
    first.release()
    WorkDirLock(str(tmp_path)).release()  # free again
    assert os.path.isfile(tmp_path / '.work_dir.lock')


def test_lock_dies_with_its_process_and_not_with_forked_children(tmp_path):
    module = Path(work_dir.__file__)  # stdlib only: load it without importing torch
    code = ('import importlib.util, os, sys, time\n'
            f'spec = importlib.util.spec_from_file_location("work_dir", {str(module)!r})\n'
            'mod = importlib.util.module_from_spec(spec)\n'
            'spec.loader.exec_module(mod)\n'
            f'lock = mod.WorkDirLock({str(tmp_path)!r})\n'
            'child = os.fork()\n'
            'if child == 0:\n'
            '    time.sleep(30)\n'  # a forked child (like a DataLoader worker) outlives us
            '    os._exit(0)\n'
            'print(child, flush=True)\n'
            'time.sleep(30)\n')
    proc = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    child = int(proc.stdout.readline())
    try:
        with pytest.raises(WorkDirLockedError, match=f'pid {proc.pid} '):
            WorkDirLock(str(tmp_path))
        proc.kill()  # SIGKILL: no cleanup code runs
        proc.wait()
        WorkDirLock(str(tmp_path)).release()  # the child's copy did not keep it held
    finally:
        for pid in (proc.pid, child):
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass
