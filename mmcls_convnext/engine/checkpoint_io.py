"""Safe checkpoint I/O for training runs: atomic writes and narrow unpickling.

Two kinds of files reach a training run:

* **the run's own checkpoints** (``epoch_N.pth`` / ``iter_N.pth`` inside ``work_dir``, written by
  this code). They hold mmengine's ``message_hub`` (``HistoryBuffer`` objects with numpy arrays),
  which ``torch.load(weights_only=True)`` refuses on torch >= 2.6. They are loaded with
  ``weights_only=True`` plus :data:`RUN_CHECKPOINT_SAFE_GLOBALS`, a list of the few extra
  classes such a file needs - never with ``weights_only=False``.
* **user-supplied files** (``load_from``, ``tools/test.py`` checkpoints, URLs). They go through
  :func:`mmcls_convnext.zoo.load_checkpoint` (``weights_only=True``, hash checks).

Writes are atomic: the bytes go to a hidden temp file in the same directory, are flushed and
fsync'ed, then renamed over the final name, so a crash never leaves a half-written
``epoch_N.pth`` or ``last_checkpoint``.
"""
import builtins
import io
import os
import os.path as osp
import re
import tempfile
from typing import Any, Callable, Dict, List, Optional, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

#: Extra globals an mmengine 0.10.7 training checkpoint needs under ``weights_only=True``
#: (found with ``torch.serialization.get_unsafe_globals_in_checkpoint``): the message hub's
#: ``HistoryBuffer``, numpy arrays / scalars / dtypes and ``getattr`` (numpy pickles dtypes with
#: it). Nothing here can execute code on load.
RUN_CHECKPOINT_SAFE_GLOBALS: List[Any] = [
    HistoryBuffer,
    np.ndarray,
    np.dtype,
    np._core.multiarray._reconstruct,
    np._core.multiarray.scalar,
    builtins.getattr,
] + [type(np.dtype(code)) for code in '?bhilqBHILQefdFD']

_CKPT_NAME = re.compile(r'^(epoch|iter)_(\d+)\.pth$')
#: temp files of interrupted atomic writes: ``.<name>.<pid>.tmp`` / ``.<name>.<pid>.<rand>.tmp``
_TEMP_NAME = re.compile(
    r'^\.(?:epoch_\d+\.pth|iter_\d+\.pth|last_checkpoint)\.(\d+)(?:\.\w+)?\.tmp$')


class CheckpointSaveError(OSError):
    """A checkpoint could not be written (disk full, permissions, ...).

    The previous checkpoints of the run are left untouched when this is raised.
    """


def _checkpoint_error(path: str, problem: str) -> Exception:
    """Build the zoo's :class:`CheckpointError` (one error type for every bad checkpoint)."""
    from mmcls_convnext.zoo import CheckpointError
    size = osp.getsize(path) if osp.isfile(path) else None
    size_txt = f'{size} bytes' if size is not None else 'missing'
    return CheckpointError(f'Cannot load checkpoint "{path}" ({size_txt}): {problem}')


def is_inside(path: str, directory: str) -> bool:
    """Whether ``path`` resolves to a file inside ``directory`` (symlinks resolved)."""
    real_path = osp.realpath(path)
    real_dir = osp.realpath(directory)
    return osp.commonpath([real_path, real_dir]) == real_dir


def load_run_checkpoint(path: str, map_location: Union[str, torch.device, None] = 'cpu'
                        ) -> Dict[str, Any]:
    """Load one of this run's own training checkpoints (``weights_only=True`` + safe globals).

    Args:
        path: a local checkpoint file written by this package's Runner.
        map_location: as for :func:`torch.load`.

    Returns:
        The checkpoint dict (``meta``, ``state_dict``, ``message_hub``, ``optimizer``, ...).

    Raises:
        CheckpointError: the file is missing, empty, truncated, not a torch file, or holds
            objects outside :data:`RUN_CHECKPOINT_SAFE_GLOBALS`.
    """
    if not osp.isfile(path):
        raise _checkpoint_error(path, 'no such file. Check the path, or start without --resume.')
    if osp.getsize(path) == 0:
        raise _checkpoint_error(path, 'the file is empty (an interrupted write?). Delete it and '
                                'resume from an earlier checkpoint.')
    try:
        with torch.serialization.safe_globals(RUN_CHECKPOINT_SAFE_GLOBALS):
            checkpoint = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # noqa: BLE001 - every failure becomes one clear error type
        raise _checkpoint_error(
            path, f'not a readable training checkpoint ({type(exc).__name__}: '
            f'{str(exc).splitlines()[0][:300]}). The file is truncated, corrupt, or holds '
            'objects that are not allowed under weights_only=True.') from exc
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        raise _checkpoint_error(path, 'expected a dict with a "state_dict" key, got '
                                f'{type(checkpoint).__name__}')
    return checkpoint


def _only_run_checkpoint_globals(path: str) -> bool:
    """Whether every non-torch global pickled in ``path`` is in the training allow-list."""
    allowed = {f'{g.__module__}.{g.__qualname__}' for g in RUN_CHECKPOINT_SAFE_GLOBALS}
    allowed |= {g.__qualname__ for g in RUN_CHECKPOINT_SAFE_GLOBALS}
    try:
        unsafe = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # noqa: BLE001 - not a readable zip: the zoo's error stands
        return False
    return bool(unsafe) and all(name in allowed for name in unsafe)


def load_untrusted_checkpoint(path: str, map_location: Union[str, torch.device, None] = 'cpu',
                              trust: bool = False) -> Dict[str, Any]:
    """Load a user-supplied checkpoint file or URL (``load_from``, ``tools/test.py``).

    Goes through :func:`mmcls_convnext.zoo.load_checkpoint` (``weights_only=True``, hash checks,
    one :class:`CheckpointError` for every bad file). A full mmengine training checkpoint of this
    package (message hub, numpy arrays) is then retried with ``weights_only=True`` plus the
    narrow :data:`RUN_CHECKPOINT_SAFE_GLOBALS` allow-list - never ``weights_only=False``.

    Args:
        path: local file or ``http(s)://`` URL.
        map_location: as for :func:`torch.load`.
        trust: load a local file with ``weights_only=False`` (arbitrary code may run!). Only for
            files the user vouches for (``--trust-checkpoint``); the caller logs it.

    Returns:
        The checkpoint dict.
    """
    from mmcls_convnext.zoo import CheckpointError, load_checkpoint
    if trust and not re.match(r'^[a-z]+://', path):
        if not osp.isfile(path) or osp.getsize(path) == 0:
            raise _checkpoint_error(path, 'no such file, or the file is empty.')
        try:
            return torch.load(path, map_location=map_location, weights_only=False)
        except Exception as exc:  # noqa: BLE001
            raise _checkpoint_error(path, f'{type(exc).__name__}: {exc}') from exc
    try:
        return load_checkpoint(path, map_location=map_location)
    except CheckpointError:
        if osp.isfile(path) and _only_run_checkpoint_globals(path):
            return load_run_checkpoint(path, map_location=map_location)
        raise


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


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def commit_atomically(path: str, write_tmp: Callable[[str], None],
                      describe_failure: Callable[[OSError, str], str],
                      tmp_path: Optional[str] = None) -> None:
    """Create ``path`` atomically: ``write_tmp(tmp)``, fsync, rename over ``path``, fsync dir.

    On any failure the temp file is removed and ``path`` (and any older file there) is left as
    it was; an ``OSError`` becomes :class:`CheckpointSaveError` with the message
    ``describe_failure(exc, directory)``.

    Args:
        path: the final file.
        write_tmp: writes the whole content into the temp file it is given.
        describe_failure: builds the error message from the OSError and the directory.
        tmp_path: the temp file to use (default: a fresh ``.<name>.<pid>.<rand>.tmp`` beside
            ``path``).
    """
    directory = osp.dirname(osp.abspath(path))
    if tmp_path is None:
        fd, tmp_path = tempfile.mkstemp(prefix=f'.{osp.basename(path)}.{os.getpid()}.',
                                        suffix='.tmp', dir=directory)
        os.close(fd)
    try:
        write_tmp(tmp_path)
        with open(tmp_path, 'rb+') as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except OSError as exc:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise CheckpointSaveError(exc.errno, describe_failure(exc, directory)) from exc
    except BaseException:
        if osp.exists(tmp_path):
            os.remove(tmp_path)
        raise
    _fsync_dir(directory)


def atomic_write_bytes(data: bytes, path: str) -> None:
    """Write ``data`` to ``path`` atomically (temp file + fsync + rename).

    Raises:
        CheckpointSaveError: the write failed; ``path`` and any older file there are unchanged.
    """

    def write(tmp_path: str) -> None:
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; use the usual umask
        with open(tmp_path, 'wb') as f:
            f.write(data)

    def describe(exc: OSError, directory: str) -> str:
        return (f'Could not write "{path}" ({len(data)} bytes; {_free_bytes(directory)} bytes '
                f'free in "{directory}"): {exc.strerror or exc}. Earlier checkpoints are intact; '
                'free disk space or choose another --work-dir, then --resume.')

    commit_atomically(path, write, describe)


def atomic_torch_save(obj: Any, path: str) -> None:
    """``torch.save`` into memory, then :func:`atomic_write_bytes`."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    atomic_write_bytes(buffer.getvalue(), path)


def _free_bytes(directory: str) -> Optional[int]:
    try:
        stat = os.statvfs(directory)
    except OSError:
        return None
    return stat.f_bavail * stat.f_frsize


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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temp_files(work_dir: str) -> List[str]:
    """Delete temp files left by checkpoint writes of processes that no longer run (SIGKILL).

    Returns:
        The removed paths.
    """
    removed = []
    if not osp.isdir(work_dir):
        return removed
    for name in os.listdir(work_dir):
        match = _TEMP_NAME.match(name)
        if match and not _pid_alive(int(match.group(1))):
            path = osp.join(work_dir, name)
            try:
                os.remove(path)
                removed.append(path)
            except OSError:
                pass
    return removed


def non_finite_tensors(state_dict: Dict[str, Any]) -> List[str]:
    """Names of floating-point tensors in ``state_dict`` that hold NaN or inf."""
    return [name for name, value in state_dict.items()
            if isinstance(value, torch.Tensor) and value.is_floating_point()
            and not bool(torch.isfinite(value).all())]
