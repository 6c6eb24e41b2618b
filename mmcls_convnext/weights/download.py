"""Download checkpoints into a local cache that serves exactly the file the user asked for.

Cache directory: ``$MMCLS_CONVNEXT_HOME/checkpoints`` when that variable is set, else torch.hub's
``$TORCH_HOME/hub/checkpoints``. Entries:

- a file name ending in ``-<8 hex>.pth`` (the OpenMMLab convention) names its content: the
  entry is ``<cache>/<file name>`` whatever URL or mirror it came from, and its sha256 must
  start with those 8 hex digits;
- any other file name is keyed by its URL: ``<cache>/<stem>.url-<12 hex of sha256(URL)><ext>``,
  so two URLs ending in the same ``w.pth`` never share an entry;
- beside each downloaded file, ``<entry>.sha256`` records its full sha256 and URL.

Every use re-verifies what can be verified (the name's hash prefix and the recorded sha256).
A download is committed only when it is complete: the Content-Length matched, or the name's
hash matched, or - with neither - the stream ended and the file parses as a checkpoint. A cut
transfer is retried (3 attempts), never cached. Files are written atomically (temp file, fsync,
rename) with mode 0644; temp files of killed downloads are removed on the next call. Besides the
per-read ``timeout``, a total deadline bounds each download (default 60 s + 180 s per 100 MB;
``MMCLS_CONVNEXT_DOWNLOAD_DEADLINE`` = seconds overrides it).

Offline use: ``MMCLS_CONVNEXT_OFFLINE=1`` forbids network access; ``MMCLS_CONVNEXT_MIRROR``
(a base URL or ``file://`` folder) replaces the directory part of every download URL.
"""
import hashlib
import http.client
import os
import os.path as osp
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Callable, Dict, Optional, Sequence

import torch

from mmcls_convnext.checkpoint import (
    CheckpointError,
    CheckpointSaveError,
    ChecksumError,
    WeightsDownloadError,
    atomic_write_bytes,
    commit_atomically,
    expected_hash,
    read_checkpoint,
    remove_stale_temp_files,
    sha256_of,
    verify_file_hash,
)

ENV_HOME = 'MMCLS_CONVNEXT_HOME'
ENV_OFFLINE = 'MMCLS_CONVNEXT_OFFLINE'
ENV_MIRROR = 'MMCLS_CONVNEXT_MIRROR'
ENV_DEADLINE = 'MMCLS_CONVNEXT_DOWNLOAD_DEADLINE'
ATTEMPTS = 3
_READ = 1 << 16
_BASE_DEADLINE_S = 60.0
_DEADLINE_S_PER_100MB = 180.0

__all__ = ['download_weights', 'get_cache_dir', 'cache_path', 'is_url', 'offline_mode',
           'expected_hash', 'sha256_of', 'verify_file_hash']


def get_cache_dir() -> str:
    """The folder downloaded checkpoints are kept in (not created here)."""
    home = os.environ.get(ENV_HOME)
    if home:
        return osp.join(osp.expanduser(home), 'checkpoints')
    return osp.join(torch.hub.get_dir(), 'checkpoints')


#: the URL schemes the weight downloader fetches
URL_SCHEMES = ('http', 'https', 'ftp', 'file')


def is_url(path: Any, schemes: Optional[Sequence[str]] = URL_SCHEMES) -> bool:
    """Whether ``path`` is a ``<scheme>://...`` string with a scheme in ``schemes`` (None: any
    scheme, e.g. ``s3://`` of mmengine's storage backends). The one URL test of the package."""
    match = re.match(r'^([A-Za-z][A-Za-z0-9+.-]*)://', path) if isinstance(path, str) else None
    return match is not None and (schemes is None or match.group(1) in schemes)


def offline_mode() -> bool:
    return os.environ.get(ENV_OFFLINE, '').strip().lower() in ('1', 'true', 'yes', 'on')


def _file_name(url: str) -> str:
    name = urllib.parse.unquote(urllib.parse.urlsplit(url).path.rsplit('/', 1)[-1])
    if not name or name in ('.', '..'):
        raise ValueError(f'Cannot derive a file name from the URL {url!r}.')
    return name


def cache_path(url: str) -> str:
    """Where the cache keeps ``url``'s file (see the module doc for the naming)."""
    name = _file_name(url)
    if expected_hash(name) is not None:
        return osp.join(get_cache_dir(), name)
    stem, ext = osp.splitext(name)
    key = hashlib.sha256(url.encode()).hexdigest()[:12]
    return osp.join(get_cache_dir(), f'{stem}.url-{key}{ext}')


def _recorded_sha256(target: str) -> Optional[str]:
    try:
        with open(target + '.sha256', encoding='utf-8') as f:
            digest = f.read().split()[0]
    except (OSError, IndexError):
        return None
    return digest if re.fullmatch(r'[0-9a-f]{64}', digest) else None


def _apply_mirror(url: str, url_mapping: Optional[Dict[str, str]]) -> str:
    for src, dst in (url_mapping or {}).items():
        if url.startswith(src):
            return dst + url[len(src):]
    mirror = os.environ.get(ENV_MIRROR)
    if mirror:
        return mirror.rstrip('/') + '/' + url.rsplit('/', 1)[-1]
    return url


#: fix (2) of a failed download: the Python API's way to give a local file instead
API_LOCAL_FIX = 'pass a local file instead (e.g. get_model(..., pretrained="/path/to/file.pth"))'


def offline_message(url: str, target: str, model_name: Optional[str], reason: str,
                    local_fix: str = API_LOCAL_FIX) -> str:
    """The message of a failed download: the reason and four fixes; ``local_fix`` is fix (2),
    how the caller's interface takes a local file instead (the API's ``pretrained=`` by default,
    ``--cfg-options`` for a config's ``init_cfg`` under ``tools/train.py``)."""
    who = f'the weights of model {model_name!r}' if model_name else 'the checkpoint'
    check = ('it is verified against the sha256 prefix in its name' if expected_hash(target)
             else 'a file placed there by hand is used as it is')
    return (
        f'Cannot download {who} from {url}: {reason}. Fixes: (1) download the file elsewhere and '
        f'put it at exactly {target} ({check}); '
        f'(2) {local_fix}; '
        f'(3) point {ENV_MIRROR} at a mirror base URL or file:// folder holding the same file '
        'name, or pass url_mapping={original_prefix: mirror_prefix}; '
        f'(4) set {ENV_HOME} to a folder whose checkpoints/ subfolder holds the file. '
        'Random weights are never used in place of a failed download.')


class _Incomplete(Exception):
    """The transfer ended before the file was complete (retried)."""


class _DeadlineExceeded(Exception):
    """The download took longer than its total deadline (not retried)."""


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


def _deadline_rule(deadline: Optional[float]) -> Callable[[int], float]:
    """Seconds allowed for a transfer of ``n`` bytes (the Content-Length, or bytes so far)."""
    if deadline is None and os.environ.get(ENV_DEADLINE):
        try:
            deadline = float(os.environ[ENV_DEADLINE])
        except ValueError as exc:
            raise ValueError(f'{ENV_DEADLINE} must be a number of seconds; got '
                             f'{os.environ[ENV_DEADLINE]!r}.') from exc
    if deadline is not None:
        return lambda n: deadline
    return lambda n: _BASE_DEADLINE_S + _DEADLINE_S_PER_100MB * n / 1e8


def _stream(response, out, name: str, progress: bool, allowed: Callable[[int], float],
            started: float, timeout: float) -> tuple:
    """Copy the body into ``out``; returns (bytes, sha256 hex, Content-Length or None)."""
    length = response.headers.get('Content-Length')
    total = int(length) if length and length.isdigit() else None
    read = getattr(response, 'read1', response.read)  # read1: returns as soon as data arrives
    digest, done, bar = hashlib.sha256(), 0, _Progress(total, name, progress)
    try:
        while True:
            chunk = read(_READ)
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            done += len(chunk)
            bar.update(len(chunk))
            elapsed = time.monotonic() - started
            if elapsed > allowed(total if total is not None else done):
                raise _DeadlineExceeded(f'the download exceeded its total deadline of '
                                   f'{allowed(total or done):g} s ({done} bytes in '
                                   f'{elapsed:.0f} s; set {ENV_DEADLINE}=SECONDS to allow more)')
    except socket.timeout as exc:
        raise _Incomplete(f'no data for {timeout:g} s after {done} bytes') from exc
    except (http.client.IncompleteRead, ConnectionError) as exc:
        raise _Incomplete(f'the connection broke after {done} bytes '
                          f'({type(exc).__name__})') from exc
    finally:
        bar.close()
    if total is not None and done != total:
        raise _Incomplete(f'the connection ended after {done} of {total} bytes')
    return done, digest.hexdigest(), total


def _check_complete(tmp: str, name: str, done: int, digest: str, total: Optional[int],
                    source: str) -> None:
    expected = expected_hash(name)
    if expected is not None and not digest.startswith(expected):
        raise ChecksumError(
            f'Checksum mismatch for {name} downloaded from {source}: expected sha256 '
            f'starting with {expected}, got {digest}. The download was discarded; the server '
            'or mirror serves a different file.')
    if done == 0:
        raise _Incomplete('the server sent 0 bytes')
    if expected is None and total is None:  # nothing to compare with: it must parse
        try:
            read_checkpoint(tmp, hash_verified=True, safetensors=name.endswith('.safetensors'))
        except CheckpointError as exc:
            raise _Incomplete(f'the transfer ended after {done} bytes without a Content-Length '
                              f'and the file does not parse as a checkpoint ({exc})') from exc


def _fetch_once(source: str, target: str, name: str, progress: bool, timeout: float,
                allowed: Callable[[int], float], started: float,
                fail: Callable[[str], Exception]) -> None:
    """Download ``source`` into ``target`` (atomically, with its ``.sha256`` record)."""

    def write(tmp: str) -> None:
        try:
            with open(tmp, 'wb') as out, urllib.request.urlopen(source,
                                                               timeout=timeout) as response:
                done, digest, total = _stream(response, out, name, progress, allowed, started,
                                              timeout)
        except urllib.error.HTTPError as exc:
            raise fail(f'HTTP {exc.code} {exc.reason}') from exc
        except urllib.error.URLError as exc:
            raise fail(f'network error ({exc.reason})') from exc
        except _DeadlineExceeded as exc:
            raise fail(str(exc)) from exc
        except socket.timeout as exc:
            raise fail(f'network error (no data for {timeout:g} s)') from exc
        except (ConnectionError, http.client.HTTPException) as exc:
            raise fail(f'network error ({exc})') from exc
        _check_complete(tmp, name, done, digest, total, source)
        atomic_write_bytes(f'{digest}  {source}\n'.encode(), target + '.sha256')

    def describe(exc: OSError, directory: str) -> str:
        return (f'Cannot write into the weights cache {directory} ({exc.strerror or exc}). '
                f'Set {ENV_HOME} to a writable folder, or pass a local file.')

    commit_atomically(target, write, describe)


def download_weights(url: str,
                     *,
                     model_name: Optional[str] = None,
                     url_mapping: Optional[Dict[str, str]] = None,
                     progress: bool = True,
                     timeout: float = 30.0,
                     deadline: Optional[float] = None) -> str:
    """Return the local path of ``url``'s file, downloading it into the cache if needed.

    The cached copy is re-verified (name hash, recorded sha256) on every call.

    Args:
        url: the original download URL (it keys the cache entry, see the module doc).
        model_name: zoo name, used in error messages.
        url_mapping: ``{url prefix: replacement prefix}`` tried before the mirror env var.
        progress: show a progress line on stderr.
        timeout: seconds one read may wait for data.
        deadline: seconds the whole download may take (default: see the module doc).

    Raises:
        ChecksumError: the cached or downloaded file does not match its hash.
        WeightsDownloadError: offline mode, a network/HTTP failure, the deadline, or a transfer
            cut off on every attempt; the message says where to put the file by hand.
        CheckpointError: the cache folder is not writable.
    """
    target = cache_path(url)
    cache_dir = osp.dirname(target)
    remove_stale_temp_files(cache_dir)
    if osp.isfile(target):
        verify_file_hash(target, sha256=_recorded_sha256(target))
        return target
    source = _apply_mirror(url, url_mapping)

    def fail(reason: str) -> WeightsDownloadError:
        error = WeightsDownloadError(offline_message(source, target, model_name, reason))
        # what a caller with another way to take a local file needs to reword fix (2)
        error.url, error.target, error.model_name, error.reason = (source, target, model_name,
                                                                   reason)
        return error

    if offline_mode():
        raise fail(f'offline mode is set ({ENV_OFFLINE}=1)')
    try:
        os.makedirs(cache_dir, exist_ok=True)
    except OSError as exc:
        raise CheckpointError(f'Cannot write into the weights cache {cache_dir} '
                              f'({exc.strerror}). Set {ENV_HOME} to a writable folder, or pass '
                              'a local file.') from exc
    allowed, started = _deadline_rule(deadline), time.monotonic()  # one deadline for all tries
    problems = []
    for _ in range(ATTEMPTS):
        try:
            _fetch_once(source, target, _file_name(url), progress, timeout, allowed, started,
                        fail)
            return target
        except _Incomplete as exc:
            problems.append(str(exc))
        except CheckpointSaveError as exc:
            raise CheckpointError(exc.strerror) from exc
    raise fail(f'the transfer was incomplete on all {ATTEMPTS} attempts (last: {problems[-1]}); '
               'nothing was cached')
