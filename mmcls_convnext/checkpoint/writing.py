"""The one atomic writer: bytes go to a hidden temp file, are fsync'ed, then renamed.

A crash (even ``kill -9``) at any moment leaves either the old file or the complete new one,
never a half-written file under the final name. Temp files are named
``.<final name>.<pid>.<random>.tmp`` beside the final file, so that :func:`remove_stale_temp_files`
can delete those of processes that no longer run. Files are created with the usual permissions
(``0666 & ~umask``, i.e. 0644 by default), not ``mkstemp``'s private 0600, so that a shared cache
or work_dir stays readable to other users.
"""
import io
import os
import os.path as osp
import re
import tempfile
import time
from typing import Any, Callable, List, Optional

import torch

from .errors import CheckpointError, CheckpointSaveError

#: ``.<name>.<pid>.tmp`` or ``.<name>.<pid>.<random>.tmp``
TEMP_NAME = re.compile(r'^\.(?P<name>.+)\.(?P<pid>\d+)(?:\.[A-Za-z0-9_]+)?\.tmp$')
#: temp files of earlier versions (``.<name>.<random>.partial``) carry no pid: removed when old
_OLD_PARTIAL = re.compile(r'^\..+\.partial$')
_OLD_PARTIAL_AGE_S = 24 * 3600


def default_file_mode() -> int:
    """``0o666`` minus the process umask (what ``open(path, 'w')`` would create)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def temp_path_for(path: str) -> str:
    """A fresh, empty temp file beside ``path`` named ``.<name>.<pid>.<random>.tmp``."""
    directory = osp.dirname(osp.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.{os.getpid()}.',
                                    suffix='.tmp', dir=directory)
    os.close(fd)
    return tmp_path


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def free_bytes(directory: str) -> Optional[int]:
    """Free space available to this user in ``directory``, or None if unknown."""
    try:
        stat = os.statvfs(directory)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


def commit_atomically(path: str, write_tmp: Callable[[str], None],
                      describe_failure: Callable[[OSError, str], str],
                      tmp_path: Optional[str] = None) -> None:
    """Create ``path`` atomically: ``write_tmp(tmp)``, chmod, fsync, rename, fsync the folder.

    On any failure (also ``KeyboardInterrupt``) the temp file is removed and ``path`` (and any
    older file there) is left as it was.

    Args:
        path: the final file.
        write_tmp: writes the whole content into the temp file it is given (it may also
            raise, e.g. when a download turns out incomplete).
        describe_failure: builds the message of the :class:`CheckpointSaveError` raised for an
            ``OSError``, from the error and the folder.
        tmp_path: the temp file to use (default: :func:`temp_path_for`); it should follow the
            ``.<name>.<pid>[.<random>].tmp`` pattern.

    Raises:
        CheckpointSaveError: an ``OSError`` while writing or renaming.
    """
    directory = osp.dirname(osp.abspath(path))
    try:
        if tmp_path is None:
            tmp_path = temp_path_for(path)
        write_tmp(tmp_path)
        os.chmod(tmp_path, default_file_mode())
        with open(tmp_path, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except CheckpointError:  # e.g. a failed download (some of these are OSErrors too)
        _remove_quietly(tmp_path)
        raise
    except OSError as exc:
        _remove_quietly(tmp_path)
        raise CheckpointSaveError(exc.errno, describe_failure(exc, directory)) from exc
    except BaseException:
        _remove_quietly(tmp_path)
        raise
    _fsync_dir(directory)


def _remove_quietly(path: Optional[str]) -> None:
    if path is not None and osp.exists(path):
        try:
            os.remove(path)
        except OSError:
            pass


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` atomically.

    Raises:
        CheckpointSaveError: the write failed; ``path`` and any older file there are unchanged.
    """

    def write(tmp_path: str) -> None:
        with open(tmp_path, 'wb') as f:
            f.write(data)

    def describe(exc: OSError, directory: str) -> str:
        return (f'Could not write "{path}" ({len(data)} bytes; {free_bytes(directory)} bytes '
                f'free in "{directory}"): {exc.strerror or exc}. Earlier checkpoints are intact; '
                'free disk space or choose another --work-dir, then --resume.')

    commit_atomically(path, write, describe)


def torch_bytes(obj: Any) -> bytes:
    """``torch.save(obj)`` into memory."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` into memory, then :func:`atomic_write_bytes`."""
    atomic_write_bytes(torch_bytes(obj), path)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(directory: str) -> List[str]:
    """Delete temp files of atomic writes whose process no longer runs (e.g. after SIGKILL).

    Also removes pid-less ``.*.partial`` temp files of earlier versions once they are a day old.

    Returns:
        The removed paths.
    """
    removed: List[str] = []
    if not osp.isdir(directory):
        return removed
    now = time.time()
    for name in os.listdir(directory):
        path = osp.join(directory, name)
        match = TEMP_NAME.match(name)
        if match:
            stale = not _pid_alive(int(match.group('pid')))
        else:
            stale = bool(_OLD_PARTIAL.match(name)) and _older_than(path, now, _OLD_PARTIAL_AGE_S)
        if stale and osp.isfile(path):
            try:
                os.remove(path)
                removed.append(path)
            except OSError:
                pass
    return removed


def _older_than(path: str, now: float, seconds: float) -> bool:
    try:
        return now - os.path.getmtime(path) > seconds
    except OSError:
        return False
