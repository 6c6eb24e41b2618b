"""A weights file, local path or URL -> the checkpoint dict, read safely.

:func:`read_weights_file` is the public verb; :func:`fetch_weights_file` also returns the local
file read (for :func:`mmcls_convnext.weights.load_model_weights`' report).

URLs go through the verified download cache (:func:`download_weights`); the file is then read
by :func:`mmcls_convnext.checkpoint.read_checkpoint`, the package's one reading policy
(``torch.load(weights_only=True)``, never ``False``).
"""
import os
from typing import Any, Dict, Optional, Tuple, Union

from mmcls_convnext.checkpoint import read_checkpoint

from .download import download_weights, is_url


def fetch_weights_file(path_or_url: Union[str, os.PathLike],
                     map_location: Any = 'cpu',
                     *,
                     model_name: Optional[str] = None,
                     url_mapping: Optional[Dict[str, str]] = None,
                     progress: bool = True) -> Tuple[str, Dict]:
    """:func:`read_weights_file`, also returning the local file read (a URL's cached copy).

    Returns:
        ``(local path, checkpoint dict)``.
    """
    if not isinstance(path_or_url, (str, os.PathLike)):
        raise TypeError(f'read_weights_file expects a path or URL string; got '
                        f'{type(path_or_url).__name__}.')
    path = os.fspath(path_or_url)
    if not is_url(path):
        return path, read_checkpoint(path, map_location)
    local = download_weights(path, model_name=model_name, url_mapping=url_mapping,
                             progress=progress)
    # the cached copy's sha256 was checked by download_weights
    return local, read_checkpoint(local, map_location, hash_verified=True)


def read_weights_file(path_or_url: Union[str, os.PathLike],
                    map_location: Any = 'cpu',
                    *,
                    model_name: Optional[str] = None,
                    url_mapping: Optional[Dict[str, str]] = None,
                    progress: bool = True) -> Dict:
    """Read a weights file (checkpoint dict) from a local path or URL, safely.

    Pretrained / zoo weights and ``load_from`` files; a run's own training checkpoint for
    ``--resume`` is read by :func:`mmcls_convnext.checkpoint.read_run_checkpoint` instead.

    Args:
        path_or_url: local path, ``http(s)://`` or ``file://`` URL.
        map_location: as for :func:`torch.load`.
        model_name: zoo name for error messages.
        url_mapping: ``{url prefix: mirror prefix}`` for downloads.
        progress: show download progress.

    Returns:
        The loaded dict (e.g. ``{'state_dict': ..., 'meta': ...}`` or a bare state dict).

    Raises:
        TypeError: neither a path nor a URL string.
        CheckpointNotFoundError: the file does not exist.
        CheckpointError: a folder, empty, truncated, garbage, not a dict, or a pickle of
            anything but plain data / mmengine training state (the message names the path and
            its size).
        ChecksumError / WeightsDownloadError: see :func:`download_weights`.
    """
    return fetch_weights_file(path_or_url, map_location, model_name=model_name,
                            url_mapping=url_mapping, progress=progress)[1]
