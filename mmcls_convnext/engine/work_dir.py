"""The training run's folder: writability, the latest checkpoint, and one run at a time.

A live training run holds an OS lock (``fcntl.flock``) on ``<work_dir>/.work_dir.lock``; a
second training run into the same folder is refused at once with the holder's pid, host,
start time and command. The kernel releases the lock when the holding process ends, however
it ends (also ``kill -9``), so a crashed run never blocks ``--resume``. Forked children (e.g.
DataLoader workers) close their inherited copy, so they do not keep a killed run's lock alive.
Only training takes the lock; reading a finished run (``tools/test.py``) never waits for it.
"""
import errno
import fcntl
import json
import os
import os.path as osp
import re
import shlex
import socket
import sys
import tempfile
import time
import warnings
from typing import Dict, List, Optional

LOCK_NAME = '.work_dir.lock'
_CKPT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
_HELD_FDS: List[int] = []
_NO_LOCKS = (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS)


class WorkDirLockedError(RuntimeError):
    """Another live training run holds the work_dir."""


def _close_in_child() -> None:
    for fd in _HELD_FDS:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_FDS.clear()


os.register_at_fork(after_in_child=_close_in_child)


def check_work_dir_writable(work_dir: str) -> None:
    """Create ``work_dir`` if needed and check a file can be written there.

    Raises:
        PermissionError: the directory cannot be created or written, with the path and a fix.
    """
    try:
        os.makedirs(work_dir, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix='.write_probe.', dir=work_dir)
        os.close(fd)
        os.remove(probe)
    except OSError as exc:
        raise PermissionError(
            f'work_dir "{work_dir}" is not writable ({exc.strerror or exc}). Checkpoints and '
            'logs go there: pass a writable --work-dir, or fix the permissions.') from exc


def find_latest_checkpoint(work_dir: str) -> Optional[str]:
    """The checkpoint ``--resume`` (without a path) continues from.

    Reads ``work_dir/last_checkpoint``; if it is missing, empty or names a file that does not
    exist, falls back to the ``epoch_N.pth`` / ``iter_N.pth`` with the highest N.

    Returns:
        A path, or None when the directory holds no checkpoint.
    """
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            target = f.read().strip()
        if target and osp.isfile(target):
            return target
        if target and osp.isfile(osp.join(work_dir, osp.basename(target))):
            return osp.join(work_dir, osp.basename(target))
    if not osp.isdir(work_dir):
        return None
    found = []
    for name in os.listdir(work_dir):
        match = _CKPT_NAME.match(name)
        if match:
            found.append((match.group(1) == 'epoch', int(match.group(2)), name))
    if not found:
        return None
    return osp.join(work_dir, max(found)[2])


def _holder_info(fd: int) -> Dict[str, str]:
    """What the holder wrote into the lock file (it may still be writing it: retry briefly)."""
    for _ in range(20):
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 1 << 16).decode('utf-8', 'replace')
        try:
            info = json.loads(text)
            if isinstance(info, dict):
                return {k: str(v) for k, v in info.items()}
        except ValueError:
            pass
        time.sleep(0.05)
    return {}


class WorkDirLock:
    """An exclusive hold on a work_dir for the lifetime of a training run.

    Args:
        work_dir: the folder (it must exist).

    Raises:
        WorkDirLockedError: another live process holds it; the message names that process.
    """

    def __init__(self, work_dir: str) -> None:
        self.work_dir = work_dir
        self.path = osp.join(work_dir, LOCK_NAME)
        self._fd: Optional[int] = None
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _holder_info(fd)
            os.close(fd)
            raise WorkDirLockedError(self._refusal(info)) from None
        except OSError as exc:
            os.close(fd)
            if exc.errno not in _NO_LOCKS:
                raise
            warnings.warn(f'The file system of work_dir "{work_dir}" does not support locks '
                          f'({exc.strerror}): a second run into it would not be refused.',
                          stacklevel=2)
            return
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        _HELD_FDS.append(fd)
        record = dict(pid=os.getpid(), host=socket.gethostname(),
                      started=time.strftime('%Y-%m-%d %H:%M:%S'),
                      command=shlex.join([sys.executable] + sys.argv))
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode())

    def _refusal(self, info: Dict[str, str]) -> str:
        holder = (f'pid {info.get("pid", "?")} on {info.get("host", "?")}, started '
                  f'{info.get("started", "?")}, command: {info.get("command", "?")}'
                  if info else 'a process that has not written its details yet')
        return (f'work_dir "{self.work_dir}" is in use by another training run ({holder}). Two '
                'runs in one work_dir overwrite each other\'s checkpoints and logs. Wait for '
                'that run to finish or stop it (its lock is released as soon as it exits, even '
                'after kill -9), or pass another --work-dir.')

    def release(self) -> None:
        """Give the work_dir up (idempotent); the lock file itself stays."""
        fd, self._fd = getattr(self, '_fd', None), None
        if fd is None:
            return
        if fd in _HELD_FDS:
            _HELD_FDS.remove(fd)
        try:
            os.ftruncate(fd, 0)
        finally:
            os.close(fd)  # closing the last descriptor releases the flock

    def __del__(self) -> None:
        self.release()
