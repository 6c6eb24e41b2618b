"""Download checkpoints into a local cache that serves exactly the file the user asked for.

Cache directory: ``$MMCLS_CONVNEXT_HOME/checkpoints`` when that variable is set, else torch.hub's
``$TORCH_HOME/hub/checkpoints``. Entries are keyed by the **full URL** the file came from:
``<cache>/<stem>.url-<16 hex of sha256(URL)><tail>``, ``<tail>`` being ``-<8 hex>.pth`` for an
OpenMMLab hashed name (whose sha256 must start with those 8 hex digits) and the extension
otherwise. The name is the URL's last path segment, percent-decoded and reduced to
``A-Z a-z 0-9 . _ + -`` (no separator, no ``..``, never absolute); the entry is checked to lie in
the cache folder. A file fetched from a mirror is cached under the mirror's URL, so it never
answers for the canonical URL. Beside each file, ``<entry>.sha256`` records its full sha256 and
URL (written at download, or at the first use of a file placed there by hand).

What is verified on every use: the 8-hex prefix in the name, the full sha256 recorded beside the
file, and - where the caller knows it (``download_weights(..., sha256=...)``) - the file's full
published digest. The zoo's metafiles publish only the 8-hex prefix, so for a zoo file the first
download is verified against 32 bits (from the canonical URL, over HTTPS) and every later use
against the full digest recorded then.

A download is committed only when it is complete (the Content-Length matched, or the name's
hash matched, or - with neither - the stream ended) **and** it parses as a checkpoint; nothing
(not even the ``.sha256`` record) is written before. A cut transfer is retried (3 attempts),
never cached. Files are written atomically (temp file, fsync, rename) with mode 0644; temp files
of killed downloads are removed on the next call. Besides the per-read ``timeout``, a total
deadline bounds each download (default 60 s + 180 s per 100 MB;
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
from mmcls_convnext.checkpoint.hashing import HASH_RE

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


_UNSAFE_NAME_CHARS = re.compile(r'[^A-Za-z0-9._+-]')


def _file_name(url: str) -> str:
    """A safe file name from the URL's last path segment: percent-decoded, then every
    character but ``A-Z a-z 0-9 . _ + -`` replaced by ``_`` (no separator, no ``..``, never
    absolute), no leading dot, at most 120 characters."""
    raw = urllib.parse.urlsplit(url).path.rsplit('/', 1)[-1]
    name = _UNSAFE_NAME_CHARS.sub('_', urllib.parse.unquote(raw)).lstrip('.')
    if not name.strip('_'):
        raise ValueError(f'Cannot derive a file name from the URL {url!r}.')
    return name[-120:]


def cache_path(url: str) -> str:
    """Where the cache keeps ``url``'s file: ``<cache>/<stem>.url-<16 hex of sha256(url)><tail>``
    where ``<tail>`` is ``-<8 hex>.pth`` for a hashed name (so the prefix is still checked)
    and the extension otherwise. Keyed by the full URL: another URL (a mirror, another host)
    never shares an entry. Always inside the cache folder.

    Raises:
        ValueError: no file name can be derived, or the path would leave the cache folder.
    """
    name = _file_name(url)
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    match = HASH_RE.search(name)
    if match is not None:
        stem, tail = name[:match.start()], name[match.start():]
    else:
        stem, tail = osp.splitext(name)
    cache_dir = get_cache_dir()
    path = osp.join(cache_dir, f'{stem}.url-{key}{tail}')
    root = osp.realpath(cache_dir)
    if osp.dirname(osp.realpath(path)) != root:
        raise ValueError(f'The cache entry of {url!r} would be {path}, outside the weights cache '
                         f'{root}; refusing to write there.')
    return path


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
             else 'its full sha256 is recorded at its first use and checked afterwards')
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
                    source: str, sha256: Optional[str] = None) -> None:
    expected = expected_hash(name)
    if expected is not None and not digest.startswith(expected):
        raise ChecksumError(
            f'Checksum mismatch for {name} downloaded from {source}: expected sha256 '
            f'starting with {expected}, got {digest}. The download was discarded; the server '
            'or mirror serves a different file.')
    if sha256 is not None and digest != sha256:
        raise ChecksumError(
            f'Checksum mismatch for {name} downloaded from {source}: expected sha256 {sha256}, '
            f'got {digest}. The download was discarded; the server or mirror serves a '
            'different file.')
    if done == 0:
        raise _Incomplete('the server sent 0 bytes')
    try:  # the content is validated before anything is committed to the cache
        read_checkpoint(tmp, hash_verified=True, safetensors=name.endswith('.safetensors'))
    except CheckpointError as exc:
        if expected is None and total is None:  # maybe cut: nothing to compare with
            raise _Incomplete(f'the transfer ended after {done} bytes without a Content-Length '
                              f'and the file does not parse as a checkpoint ({exc})') from exc
        raise CheckpointError(f'The file downloaded from {source} ({done} bytes) is not a '
                              f'readable checkpoint; it was discarded, nothing was cached '
                              f'({exc}).') from exc


def _fetch_once(source: str, target: str, name: str, progress: bool, timeout: float,
                allowed: Callable[[int], float], started: float,
                fail: Callable[[str], Exception], sha256: Optional[str] = None) -> None:
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
        _check_complete(tmp, name, done, digest, total, source, sha256)
        atomic_write_bytes(f'{digest}  {source}\n'.encode(), target + '.sha256')

    def describe(exc: OSError, directory: str) -> str:
        return (f'Cannot write into the weights cache {directory} ({exc.strerror or exc}). '
                f'Set {ENV_HOME} to a writable folder, or pass a local file.')

    commit_atomically(target, write, describe)


def _use_cached(target: str, url: str, sha256: Optional[str]) -> str:
    """Verify a cache entry: the name's hash prefix, the full sha256 recorded at download (a
    file placed by hand has it recorded now, at first use) and the caller's full digest."""
    recorded = _recorded_sha256(target)
    digest = verify_file_hash(target, sha256=recorded) or sha256_of(target)
    if sha256 is not None and digest != sha256:
        raise ChecksumError(f'Checksum mismatch for {target} (the cached copy of {url}): '
                            f'expected sha256 {sha256}, but the file hashes to {digest}. '
                            'Delete it to download it again.')
    if recorded is None:
        atomic_write_bytes(f'{digest}  {url} (recorded at first use)\n'.encode(),
                           target + '.sha256')
    return target


def download_weights(url: str,
                     *,
                     model_name: Optional[str] = None,
                     url_mapping: Optional[Dict[str, str]] = None,
                     progress: bool = True,
                     timeout: float = 30.0,
                     deadline: Optional[float] = None,
                     sha256: Optional[str] = None) -> str:
    """Return the local path of ``url``'s file, downloading it into the cache if needed.

    The cached copy is re-verified (name hash, recorded full sha256, ``sha256``) on every call.
    With a mirror (``url_mapping`` or ``MMCLS_CONVNEXT_MIRROR``), the file is fetched from and
    cached under the mirror's URL; an entry cached from ``url`` itself is used first.

    Args:
        url: the original download URL (it keys the cache entry, see the module doc).
        model_name: zoo name, used in error messages.
        url_mapping: ``{url prefix: replacement prefix}`` tried before the mirror env var.
        progress: show a progress line on stderr.
        timeout: seconds one read may wait for data.
        deadline: seconds the whole download may take (default: see the module doc).
        sha256: the file's full sha256 when it is known (checked at download and every use).

    Raises:
        ChecksumError: the cached or downloaded file does not match its hash.
        WeightsDownloadError: offline mode, a network/HTTP failure, the deadline, or a transfer
            cut off on every attempt; the message says where to put the file by hand.
        CheckpointError: the cache folder is not writable, or the download is not a
            checkpoint.
        ValueError: no safe cache file name can be derived from the URL.
    """
    if sha256 is not None and not re.fullmatch(r'[0-9a-f]{64}', sha256):
        raise ValueError(f'sha256 must be 64 lowercase hex digits; got {sha256!r}.')
    source = _apply_mirror(url, url_mapping)
    for key in dict.fromkeys((url, source)):
        cached = cache_path(key)
        if osp.isfile(cached):
            return _use_cached(cached, key, sha256)
    target = cache_path(source)
    cache_dir = osp.dirname(target)
    remove_stale_temp_files(cache_dir)

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
                        fail, sha256)
            return target
        except _Incomplete as exc:
            problems.append(str(exc))
        except CheckpointSaveError as exc:
            raise CheckpointError(exc.strerror) from exc
    raise fail(f'the transfer was incomplete on all {ATTEMPTS} attempts (last: {problems[-1]}); '
               'nothing was cached')
