"""Download checkpoints into a local cache, atomically, and verify their sha256 every time.

Cache directory: ``$MMCLS_CONVNEXT_HOME/checkpoints`` when that variable is set, else torch.hub's
``$TORCH_HOME/hub/checkpoints``. A file whose name ends in ``-<8 hex>.pth`` (the OpenMMLab
convention) must have a sha256 starting with those 8 hex digits: this is checked after a
download **and each time a cached or local file is used** (torch.hub skips the latter).

Offline use: set ``MMCLS_CONVNEXT_OFFLINE=1`` to forbid network access; ``MMCLS_CONVNEXT_MIRROR``
(a base URL or ``file://`` folder) replaces the directory part of every download URL.
"""
import hashlib
import http.client
import os
import os.path as osp
import re
import socket
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from typing import Dict, Optional

import torch

from .errors import CheckpointError, ChecksumError, WeightsDownloadError

ENV_HOME = 'MMCLS_CONVNEXT_HOME'
ENV_OFFLINE = 'MMCLS_CONVNEXT_OFFLINE'
ENV_MIRROR = 'MMCLS_CONVNEXT_MIRROR'
HASH_RE = re.compile(r'-([0-9a-f]{8})\.(pth|pt)$')
_CHUNK = 1 << 20


def get_cache_dir() -> str:
    """The folder downloaded checkpoints are kept in (not created here)."""
    home = os.environ.get(ENV_HOME)
    if home:
        return osp.join(osp.expanduser(home), 'checkpoints')
    return osp.join(torch.hub.get_dir(), 'checkpoints')


def is_url(path: str) -> bool:
    return isinstance(path, str) and re.match(r'^(https?|ftp|file)://', path) is not None


def offline_mode() -> bool:
    return os.environ.get(ENV_OFFLINE, '').strip().lower() in ('1', 'true', 'yes', 'on')


def expected_hash(file_name: str) -> Optional[str]:
    """The sha256 prefix encoded in a file name (``..._20221207-998cf3e9.pth``), or None."""
    match = HASH_RE.search(osp.basename(file_name))
    return match.group(1) if match else None


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(_CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file_hash(path: str) -> None:
    """Check a file against the sha256 prefix in its name; files without one pass.

    Raises:
        ChecksumError: naming the file, the expected prefix and the actual hash.
    """
    expected = expected_hash(path)
    if expected is None:
        return
    actual = sha256_of(path)
    if not actual.startswith(expected):
        raise ChecksumError(
            f'Checksum mismatch for {path}: its name says sha256 starts with {expected}, but the '
            f'file hashes to {actual}. The file is corrupt or was replaced; delete it and '
            'download it again (or use the genuine file).')


def _apply_mirror(url: str, url_mapping: Optional[Dict[str, str]]) -> str:
    for src, dst in (url_mapping or {}).items():
        if url.startswith(src):
            return dst + url[len(src):]
    mirror = os.environ.get(ENV_MIRROR)
    if mirror:
        return mirror.rstrip('/') + '/' + url.rsplit('/', 1)[-1]
    return url


def _offline_message(url: str, target: str, model_name: Optional[str], reason: str) -> str:
    who = f'the weights of model {model_name!r}' if model_name else 'the checkpoint'
    return (
        f'Cannot download {who} from {url}: {reason}. Fixes: (1) download the file elsewhere and '
        f'put it at exactly {target} (it is verified against the sha256 prefix in its name); '
        '(2) pass a local file instead (e.g. get_model(..., pretrained="/path/to/file.pth")); '
        f'(3) point {ENV_MIRROR} at a mirror base URL or file:// folder holding the same file '
        'name, or pass url_mapping={original_prefix: mirror_prefix}; '
        f'(4) set {ENV_HOME} to a folder whose checkpoints/ subfolder holds the file. '
        'Random weights are never used in place of a failed download.')


class _Progress:
    """A minimal byte-count progress line on stderr (rich's bars break in non-TTY logs)."""

    def __init__(self, total: Optional[int], name: str, enabled: bool) -> None:
        self.total, self.name, self.enabled, self.done, self._last = total, name, enabled, 0, -1

    def update(self, n: int) -> None:
        self.done += n
        if not self.enabled:
            return
        if self.total:
            pct = int(100 * self.done / self.total)
            if pct != self._last:
                self._last = pct
                sys.stderr.write(f'\rDownloading {self.name}: {pct:3d}% '
                                 f'({self.done / 1e6:.1f}/{self.total / 1e6:.1f} MB)')
        else:
            sys.stderr.write(f'\rDownloading {self.name}: {self.done / 1e6:.1f} MB')
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write('\n')


def download_weights(url: str,
                     *,
                     model_name: Optional[str] = None,
                     url_mapping: Optional[Dict[str, str]] = None,
                     progress: bool = True,
                     timeout: float = 30.0) -> str:
    """Return the local path of ``url``'s file, downloading it into the cache if needed.

    The cached copy is re-verified against the hash in its name on every call.

    Args:
        url: the original download URL (its file name names the cache entry).
        model_name: zoo name, used in error messages.
        url_mapping: ``{url prefix: replacement prefix}`` tried before the mirror env var.
        progress: show a progress line on stderr.
        timeout: socket timeout in seconds.

    Raises:
        ChecksumError: the cached or downloaded file does not match its name's hash.
        WeightsDownloadError: offline mode or a network/HTTP failure; the message says where to
            put the file by hand.
    """
    file_name = urllib.parse.unquote(url.rsplit('/', 1)[-1])
    if not file_name:
        raise ValueError(f'Cannot derive a file name from the URL {url!r}.')
    cache_dir = get_cache_dir()
    target = osp.join(cache_dir, file_name)
    if osp.isfile(target):
        verify_file_hash(target)
        return target
    source = _apply_mirror(url, url_mapping)
    if offline_mode():
        raise WeightsDownloadError(_offline_message(source, target, model_name,
                                                    f'offline mode is set ({ENV_OFFLINE}=1)'))
    try:
        os.makedirs(cache_dir, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=cache_dir, prefix=f'.{file_name}.', suffix='.partial')
    except OSError as e:
        raise CheckpointError(f'Cannot write into the weights cache {cache_dir} ({e.strerror}). '
                              f'Set {ENV_HOME} to a writable folder, or pass a local file.') from e
    try:
        digest = hashlib.sha256()
        with os.fdopen(fd, 'wb') as out:
            try:
                with urllib.request.urlopen(source, timeout=timeout) as response:
                    length = response.headers.get('Content-Length')
                    total = int(length) if length and length.isdigit() else None
                    bar = _Progress(total, file_name, progress)
                    for chunk in iter(lambda: response.read(_CHUNK), b''):
                        out.write(chunk)
                        digest.update(chunk)
                        bar.update(len(chunk))
                    bar.close()
            except urllib.error.HTTPError as e:
                raise WeightsDownloadError(_offline_message(
                    source, target, model_name, f'HTTP {e.code} {e.reason}')) from e
            except (urllib.error.URLError, socket.timeout, ConnectionError,
                    http.client.HTTPException) as e:
                raise WeightsDownloadError(_offline_message(
                    source, target, model_name,
                    f'network error ({getattr(e, "reason", e)})')) from e
            if total is not None and bar.done != total:
                raise WeightsDownloadError(_offline_message(
                    source, target, model_name,
                    f'the connection ended after {bar.done} of {total} bytes'))
            out.flush()
            os.fsync(out.fileno())
        expected = expected_hash(file_name)
        actual = digest.hexdigest()
        if expected is not None and not actual.startswith(expected):
            raise ChecksumError(
                f'Checksum mismatch for {file_name} downloaded from {source}: expected sha256 '
                f'starting with {expected}, got {actual}. The download was discarded; the server '
                'or mirror serves a different file.')
        if osp.getsize(tmp) == 0:
            raise CheckpointError(f'The download of {source} is empty (0 bytes); discarded.')
        os.replace(tmp, target)  # atomic: the cache never holds a partial file
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return target
