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

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).parent))


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
            # one os.write per line: a pipe write under PIPE_BUF is atomic, so the two
            # processes' lines never interleave (print() writes text and newline separately
            # when PYTHONUNBUFFERED=1 is set)
            '    os.write(1, b"child %d\\n" % os.getpid())\n'  # its at-fork handlers have run
            '    time.sleep(30)\n'  # a forked child (like a DataLoader worker) outlives us
            '    os._exit(0)\n'
            'os.write(1, b"parent %d\\n" % os.getpid())\n'
            'time.sleep(30)\n')
    proc = subprocess.Popen([sys.executable, '-c', code], stdout=subprocess.PIPE, text=True,
                            env=dict(os.environ))
    # both lines, in either order: under load the child may not have run yet when the parent
    # writes, and until it runs it still holds the inherited descriptor
    lines = dict(proc.stdout.readline().split() for _ in range(2))
    assert int(lines['parent']) == proc.pid, lines
    child = int(lines['child'])
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


PAUSE_HOOK = '''
import os, time
from mmengine.hooks import Hook
from mmcls_convnext.registry import HOOKS


@HOOKS.register_module()
class PauseAfterEpochHook(Hook):
    """After epoch 1 is saved: write ``paused`` into the work_dir, then sleep (a live run)."""

    priority = 'LOWEST'

    def after_train_epoch(self, runner):
        open(os.path.join(runner.work_dir, 'paused'), 'w').close()
        time.sleep(300)
'''


def test_second_run_is_refused_then_resume_works_after_kill_9(tmp_path):
    """Run A trains; run B into A's work_dir is refused with A's pid; after kill -9 of A,
    ``--resume`` continues; tools/test.py reads A's checkpoint while A is alive."""
    import time

    from tiny_run import make_image_folder, run_tool, write_config
    data = make_image_folder(tmp_path / 'data', per_class=2)
    (tmp_path / 'pause_hook.py').write_text(PAUSE_HOOK)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path),
                                                        os.environ.get('PYTHONPATH', '')]),
               OMP_NUM_THREADS='1')
    cfg_a = write_config(tmp_path / 'a.py', data, max_epochs=3, custom_hooks=[
        dict(type='PauseAfterEpochHook')], extra="custom_imports = dict(imports=['pause_hook'])")
    cfg_b = write_config(tmp_path / 'b.py', data, max_epochs=2)
    work_dir = tmp_path / 'work'
    run_a = subprocess.Popen([sys.executable, str(REPO / 'tools' / 'train.py'), str(cfg_a),
                              '--work-dir', str(work_dir)], cwd=str(REPO), env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while not (work_dir / 'paused').exists():
            assert run_a.poll() is None and time.monotonic() < deadline, 'run A did not start'
            time.sleep(0.2)
        before = sorted(p.name for p in work_dir.rglob('*'))
        started = time.monotonic()
        run_b = run_tool('train.py', str(cfg_b), '--work-dir', str(work_dir), timeout=180)
        refused_after = time.monotonic() - started
        assert run_b.returncode == 1, run_b.stderr[-2000:]
        assert run_b.stderr.strip().splitlines()[-1].startswith(
            f'ERROR (WorkDirLockedError): work_dir "{work_dir}" is in use by another training '
            f'run (pid {run_a.pid} on ')
        assert 'a.py' in run_b.stderr  # A's command line
        assert sorted(p.name for p in work_dir.rglob('*')) == before  # B wrote nothing
        print(f'run B refused after {refused_after:.1f} s (process start included)')
        tested = run_tool('test.py', str(cfg_b), str(work_dir / 'epoch_1.pth'), '--work-dir',
                          str(tmp_path / 'test'), timeout=180)
        assert tested.returncode == 0, tested.stderr[-2000:]  # reading a live run: no wait
    finally:
        run_a.kill()  # SIGKILL
        run_a.wait()
    resumed = run_tool('train.py', str(cfg_b), '--work-dir', str(work_dir), '--resume',
                       timeout=240)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert 'resumed epoch: 1, iter: 2' in resumed.stdout + resumed.stderr
    assert (work_dir / 'epoch_2.pth').is_file()


def test_a_file_system_without_locks_is_warned_about(tmp_path, monkeypatch):
    import errno
    import fcntl

    def no_locks(fd, op):
        raise OSError(errno.ENOLCK, 'No locks available')

    monkeypatch.setattr(fcntl, 'flock', no_locks)
    with pytest.warns(UserWarning, match=r'The file system of work_dir ".*" does not support '
                      r'locks \(No locks available\): a second run into it would not be refused'):
        lock = WorkDirLock(str(tmp_path))
    lock.release()
