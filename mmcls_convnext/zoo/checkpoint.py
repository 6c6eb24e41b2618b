"""Safe checkpoint reading: ``torch.load(weights_only=True)`` with errors that say what is wrong.

Files handed to us (pretrained weights, URLs, ``tools/test.py`` checkpoints) are never unpickled
with ``weights_only=False``: a full training checkpoint (optimizer, message hub, numpy objects)
is recognised and the error says how to publish its weights.
"""
import os
import os.path as osp
from typing import Any, Dict, List, Optional

import torch

from .download import download_weights, is_url, verify_file_hash
from .errors import CheckpointError, CheckpointNotFoundError

PUBLISH_HINT = ('Publish its weights first: `python tools/model_converters/publish_model.py '
                '{path} OUT_DIR/NAME.pth` (keeps state_dict + meta, drops optimizer state; the '
                'result loads safely).')


def _pickle_globals(path: str) -> List[str]:
    """Globals in the file that ``weights_only=True`` does not allow (best effort)."""
    try:
        return sorted(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except Exception:  # noqa: BLE001 - diagnostics only; the caller raises anyway
        return []


def _describe_unsafe(path: str, unsafe: List[str]) -> str:
    size = osp.getsize(path)
    training = any(g.startswith(('mmengine.', 'numpy.')) for g in unsafe)
    kind = ('a full training checkpoint' if training else 'a pickle holding non-tensor objects')
    return (f'Refusing to load {path} ({size} bytes) with weights_only=False: it is {kind} '
            f'(it pickles {", ".join(unsafe[:6])}), which could run arbitrary code when '
            'unpickled. ' + PUBLISH_HINT.format(path=path))


def _read_local(path: str, map_location: Any) -> Dict:
    if not osp.exists(path):
        raise CheckpointNotFoundError(
            f'Checkpoint file {path} does not exist (absolute path: {osp.abspath(path)}). '
            'Check the path, or pass a model-zoo name / URL instead.')
    if osp.isdir(path):
        raise CheckpointError(f'Checkpoint path {path} is a directory, not a .pth file.')
    size = osp.getsize(path)
    if size == 0:
        raise CheckpointError(f'Checkpoint file {path} is empty (0 bytes): the download or save '
                              'was interrupted. Delete it and save/download it again.')
    verify_file_hash(path)
    with open(path, 'rb') as f:
        head = f.read(4)
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # noqa: BLE001 - every failure becomes one clear CheckpointError
        text = str(e)
        unsafe = _pickle_globals(path) if 'Weights only load failed' in text else []
        if unsafe:  # a readable file that pickles non-tensor objects
            numpy_only = _numpy_globals(unsafe)
            if numpy_only is None:
                raise CheckpointError(_describe_unsafe(path, unsafe)) from e
            try:
                with torch.serialization.safe_globals(numpy_only):
                    ckpt = torch.load(path, map_location=map_location, weights_only=True)
            except Exception as e2:  # noqa: BLE001
                raise CheckpointError(f'Cannot read checkpoint {path} ({size} bytes): '
                                      f'{type(e2).__name__}: {str(e2)[:200]}') from e2
            return _check_dict(ckpt, path, size)
        text = text.split('. ')[0][:200]
        if head == b'PK\x03\x04':
            what = ('a truncated or corrupt torch.save zip archive '
                    f'({type(e).__name__}: {text.splitlines()[0] if text else ""})')
        else:
            what = (f'not a PyTorch checkpoint (first bytes {head!r}; {type(e).__name__}: '
                    f'{text.splitlines()[0] if text else ""})')
        raise CheckpointError(f'Cannot read checkpoint {path} ({size} bytes): it is {what}. '
                              'Re-download or re-save the file.') from e
    return _check_dict(ckpt, path, size)


def _check_dict(ckpt: Any, path: str, size: int) -> Dict:
    if not isinstance(ckpt, dict):
        raise CheckpointError(f'Checkpoint {path} ({size} bytes) holds a '
                              f'{type(ckpt).__name__}, not a dict of tensors / state_dict.')
    return ckpt


def _numpy_globals(unsafe: List[str]) -> Optional[List[Any]]:
    """The allow-list to load a file with if its only non-torch objects (``unsafe``) are numpy data
    (arrays, scalars, dtypes - e.g. a seed in ``meta``), else None. Nothing in the list can run
    code when unpickled; mmengine objects (a training checkpoint's message hub) are not in it.
    """
    from mmcls_convnext.engine.checkpoint_io import RUN_CHECKPOINT_SAFE_GLOBALS
    allowed = {f'{g.__module__}.{g.__qualname__}': g for g in RUN_CHECKPOINT_SAFE_GLOBALS
               if not g.__module__.startswith('mmengine')}
    if any(name not in allowed for name in unsafe):
        return None
    return list(allowed.values())


def load_checkpoint(path_or_url: str,
                    map_location: Any = 'cpu',
                    *,
                    model_name: Optional[str] = None,
                    url_mapping: Optional[Dict[str, str]] = None,
                    progress: bool = True) -> Dict:
    """Load a checkpoint dict from a local file or URL, safely.

    URLs go through the verified download cache (:func:`download_weights`); local files whose
    name carries a ``-<8 hex>.pth`` sha256 prefix are verified too. Loading always uses
    ``torch.load(weights_only=True)``.

    Args:
        path_or_url: local path, ``http(s)://`` or ``file://`` URL.
        map_location: as for :func:`torch.load`.
        model_name: zoo name for error messages.
        url_mapping: ``{url prefix: mirror prefix}`` for downloads.
        progress: show download progress.

    Returns:
        The loaded dict (e.g. ``{'state_dict': ..., 'meta': ...}`` or a bare state dict).

    Raises:
        CheckpointNotFoundError: the file does not exist.
        CheckpointError: empty, truncated, garbage, not a dict, or a full training checkpoint
            (the message names the path, its size and ``publish_model.py``).
        ChecksumError / WeightsDownloadError: see :func:`download_weights`.
    """
    if not isinstance(path_or_url, (str, os.PathLike)):
        raise TypeError(f'load_checkpoint expects a path or URL string; got '
                        f'{type(path_or_url).__name__}.')
    path = os.fspath(path_or_url)
    if is_url(path):
        path = download_weights(path, model_name=model_name, url_mapping=url_mapping,
                                progress=progress)
    return _read_local(path, map_location)
