"""The one way this package reads a checkpoint file.

Policy, the same for every entry point (weights, published files, ``load_from``, ``--resume``,
``tools/test.py``, the converters, the ``Pretrained`` initialiser):

1. The file must exist, be a file and be non-empty; a hash in its name (``-<8 hex>.pth``) is
   checked unless the caller has just verified it.
2. ``.safetensors`` files are read with safetensors (a format without code).
3. Everything else is read with a plain ``torch.load(weights_only=True)``: the files this
   package writes are plain data (:mod:`.plain`), so nothing is added to torch's allow-list.
4. Before unpickling, everything the pickle may allocate is bounded by the file's own size
   (:mod:`.bounds`: a dry run of its opcodes; zip members' declared sizes; after loading, no
   tensor may view more than its storage holds).
5. Before unpickling, the pickle's globals are listed from its opcodes (nothing executed). If
   every name beyond torch's own is one of the mmengine / numpy names of a native mmengine
   training checkpoint, the file is read with those names mapped to inert stand-ins
   (:mod:`.legacy`), which call nothing; any other name refuses the file unread. Each file is
   unpickled once.
6. Any other file is refused with a :class:`CheckpointError` naming the path, its size and what
   is wrong. ``weights_only=False`` is never used.
"""
import os
import os.path as osp
import re
import zipfile
from typing import Any, Dict, List, Optional, Union

import torch

from .bounds import AllocationError, check_pickled_file, check_tensor_sizes
from .errors import CheckpointError, CheckpointNotFoundError
from .hashing import verify_file_hash
from .legacy import LEGACY_GLOBALS, LegacyFormatError, legacy_globals, materialize
from .plain import from_plain

MapLocation = Union[str, torch.device, None]
CONVERTER = 'python tools/model_converters/convnext_to_mmcls.py'
_WEIGHT_FILES = ('model.safetensors', 'pytorch_model.bin', 'open_clip_pytorch_model.bin')


def _folder_message(path: str) -> str:
    names = sorted(os.listdir(path))
    weights = [n for n in _WEIGHT_FILES if n in names]
    if weights:
        inner = osp.join(path, weights[0])
        return (f'Checkpoint path {path} is a directory, not a checkpoint file: it looks like a '
                f'Hugging Face / timm save_pretrained folder holding {weights[0]}. Convert the '
                f'weights into this toolbox\'s layout with `{CONVERTER} {inner} OUT.pth` and pass '
                'OUT.pth.')
    files = [n for n in names if n.endswith(('.pth', '.pt', '.bin', '.safetensors'))][:5]
    hint = f' Checkpoint files in it: {files}.' if files else ' It holds no checkpoint file.'
    return f'Checkpoint path {path} is a directory, not a checkpoint file.{hint}'


def _check_file(path: str) -> int:
    """The file's size; raises for a missing path, a folder or an empty file."""
    if not osp.exists(path):
        raise CheckpointNotFoundError(
            f'Checkpoint file {path} does not exist (absolute path: {osp.abspath(path)}). '
            'Check the path, or pass a model-zoo name / URL instead.')
    if osp.isdir(path):
        raise CheckpointError(_folder_message(path))
    size = osp.getsize(path)
    if size == 0:
        raise CheckpointError(f'Checkpoint file {path} is empty (0 bytes): the download or save '
                              'was interrupted. Delete it and save/download it again.')
    return size


def _first_line(exc: BaseException) -> str:
    """The gist of an error, without torch's advice to retry with ``weights_only=False``."""
    text = str(exc)
    if 'WeightsUnpickler error:' in text:
        text = text.split('WeightsUnpickler error:', 1)[1]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:200] if lines else ''


def _archive_intact(path: str) -> bool:
    """Whether the zip archive itself is fine (every member's CRC matches)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is None
    except Exception:  # noqa: BLE001 - not even a readable archive
        return False


def _unreadable(path: str, size: int, exc: BaseException) -> CheckpointError:
    with open(path, 'rb') as f:
        head = f.read(4)
    if head == b'PK\x03\x04':
        what = ('a torch.save archive whose pickle is damaged' if _archive_intact(path)
                else 'a truncated or corrupt torch.save zip archive')
    else:
        what = f'not a PyTorch checkpoint (first bytes {head!r})'
    return CheckpointError(f'Cannot read checkpoint {path} ({size} bytes): it is {what} '
                           f'({type(exc).__name__}: {_first_line(exc)}). Re-download or re-save '
                           'the file.')


def _refused(path: str, size: int, unsafe: List[str]) -> CheckpointError:
    shown = ', '.join(unsafe[:6]) + (', ...' if len(unsafe) > 6 else '')
    module_like = any(name.split('.')[-1][:1].isupper() and not name.startswith(('numpy.',
                      'mmengine.', 'builtins.', 'collections.')) for name in unsafe)
    hint = (' If it is a whole pickled model (torch.save(model)), save model.state_dict() '
            'instead.' if module_like else '')
    return CheckpointError(
        f'Refusing to load {path} ({size} bytes): it pickles {shown}, which could run arbitrary '
        'code when unpickled. Only tensors, numbers, strings, lists and dicts are read '
        f'(torch.load(weights_only=True)), plus mmengine\'s own training state.{hint} If you '
        'made this file yourself, save its tensors again as a plain state dict.')


_REFUSED_GLOBAL = re.compile(r'GLOBAL (\S+) was not an allowed global')


def _scan_globals(path: str) -> Optional[List[str]]:
    """The pickle globals of a zip checkpoint that torch does not allow by default, found by
    reading the pickle's opcodes without executing them; None when it cannot be scanned (not
    a zip archive, a damaged one, or an unusual pickle): torch.load then decides."""
    try:
        with open(path, 'rb') as f:
            if not zipfile.is_zipfile(f):
                return None
        return sorted(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except Exception:  # noqa: BLE001
        return None


def _too_big(path: str, size: int, exc: AllocationError) -> CheckpointError:
    return CheckpointError(f'Refusing to read checkpoint {path} ({size} bytes): {exc}. A genuine '
                           'checkpoint never asks for more memory than its own size; the file '
                           'is damaged or crafted: re-download or re-save it.')


def _load(path: str, size: int, map_location: MapLocation) -> Any:
    """Unpickle once, with the loader the file's globals call for (see the module doc)."""
    unsafe = _scan_globals(path)
    if unsafe and not set(unsafe) <= LEGACY_GLOBALS:
        raise _refused(path, size, unsafe)  # refused before a single opcode is executed
    try:
        check_pickled_file(path, size)  # every allocation bounded by the file's size
    except AllocationError as exc:
        raise _too_big(path, size, exc) from None
    try:
        if not unsafe:
            loaded = torch.load(path, map_location=map_location, weights_only=True)
            check_tensor_sizes(loaded)
            return loaded
        with legacy_globals():
            raw = torch.load(path, map_location=map_location, weights_only=True)
        check_tensor_sizes(raw)
        return materialize(raw)
    except AllocationError as exc:
        raise _too_big(path, size, exc) from None
    except Exception as exc:  # noqa: BLE001 - every failure becomes one CheckpointError
        named = _REFUSED_GLOBAL.findall(str(exc))  # non-zip files: torch names the first one
        if named and not set(named) <= set(unsafe or ()):
            raise _refused(path, size, sorted(set(unsafe or ()) | set(named))) from exc
        if not unsafe:
            raise _unreadable(path, size, exc) from exc
        detail = str(exc) if isinstance(exc, LegacyFormatError) else (
            f'{type(exc).__name__}: {_first_line(exc)}')
        raise CheckpointError(
            f'Cannot read checkpoint {path} ({size} bytes): it uses only the names of an '
            f'mmengine training checkpoint ({", ".join(unsafe)}), but its content is not what '
            f'mmengine / numpy write ({detail}). The file is damaged or crafted.') from exc


def _read_safetensors(path: str, size: int) -> Dict[str, torch.Tensor]:
    try:
        from safetensors.torch import load_file
    except ImportError as exc:
        raise CheckpointError(f'Reading {path} needs the safetensors package: '
                              '`pip install safetensors`.') from exc
    try:
        return dict(load_file(path))
    except Exception as exc:  # noqa: BLE001
        raise CheckpointError(f'Cannot read {path} ({size} bytes) as safetensors '
                              f'({type(exc).__name__}: {_first_line(exc)}).') from exc


def read_checkpoint(path: Union[str, os.PathLike], map_location: MapLocation = 'cpu', *,
                    hash_verified: bool = False,
                    safetensors: Optional[bool] = None) -> Dict[str, Any]:
    """Read a local checkpoint file under the policy of this module.

    Args:
        path: a ``.pth`` / ``.pt`` / ``.bin`` file written by ``torch.save``, or a
            ``.safetensors`` file.
        map_location: as for :func:`torch.load`.
        hash_verified: the caller has just checked the file's hash (a fresh or cached
            download): do not hash it again.
        safetensors: read the file as safetensors (default: when its name ends in
            ``.safetensors``).

    Returns:
        The checkpoint dict as it was saved: our plain-data encoding and mmengine-native
        records are turned back into ``HistoryBuffer`` / numpy objects. A safetensors file gives
        its state dict.

    Raises:
        CheckpointNotFoundError: the path does not exist.
        ChecksumError: the hash in the file name does not match.
        CheckpointError: a folder, an empty, truncated or foreign file, a pickle naming anything
            but tensors / plain data / mmengine's training state, or not a dict.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f'read_checkpoint expects a path; got {type(path).__name__}.')
    path = os.fspath(path)
    size = _check_file(path)
    if not hash_verified:
        verify_file_hash(path)
    if safetensors or (safetensors is None and path.endswith('.safetensors')):
        return _read_safetensors(path, size)
    checkpoint = _load(path, size, map_location)
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f'Checkpoint {path} ({size} bytes) holds a '
                              f'{type(checkpoint).__name__}, not a dict of tensors / state_dict.')
    try:
        return from_plain(checkpoint)
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as exc:
        raise CheckpointError(f'Cannot read checkpoint {path} ({size} bytes): a tagged value is '
                              f'malformed ({type(exc).__name__}: {_first_line(exc)}). The file '
                              'is damaged or crafted.') from exc


def read_run_checkpoint(path: Union[str, os.PathLike],
                        map_location: MapLocation = 'cpu') -> Dict[str, Any]:
    """Read a run's own training checkpoint for ``--resume``: :func:`read_checkpoint`, then
    check that it holds what a resume restores (``state_dict``, ``message_hub``,
    ``meta['epoch']`` / ``meta['iter']``).

    Raises:
        CheckpointError: as :func:`read_checkpoint`, or the file holds weights only (the
            message says to start a new run from it with ``load_from``).
    """
    filename = os.fspath(path)
    checkpoint = read_checkpoint(filename, map_location)
    meta = checkpoint.get('meta')
    missing = [k for k in ('state_dict', 'message_hub') if not isinstance(checkpoint.get(k),
                                                                          dict)]
    if not isinstance(meta, dict) or not all(isinstance(meta.get(k), int)
                                             for k in ('epoch', 'iter')):
        missing.append("meta['epoch'] / meta['iter']")
    if missing:
        raise CheckpointError(
            f'Cannot resume from {filename}: it is not a training checkpoint (no {missing}). To '
            'start a new run from its weights use load_from (--cfg-options load_from=PATH) '
            'instead of --resume.')
    return checkpoint
