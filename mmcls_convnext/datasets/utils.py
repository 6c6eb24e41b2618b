"""Dataset file helpers with MMPretrain's names: integrity, downloads, idx and pickle reading.

- ``check_integrity`` / ``check_md5`` / ``calculate_md5``: is a file there, with the md5 its
  publisher lists?
- ``download_url`` / ``download_and_extract_archive`` / ``extract_archive``: fetch a dataset
  archive. Offline (or when the server cannot be reached) they fail at once with one line naming
  the file that is missing and where to put it; a download goes to a temporary file renamed only
  when complete (and its md5 checked), and an archive is extracted into a temporary folder moved
  into place only when complete, so an interrupted run never leaves a partial dataset.
- ``open_maybe_compressed_file`` / ``read_image_file`` / ``read_label_file``: the idx
  ("SN3 pascalvincent") files of MNIST and Fashion-MNIST, plain or ``.gz`` / ``.xz``.
- ``restricted_unpickle``: CIFAR's python-version batches are pickles; they are read with an
  unpickler that builds only numpy arrays and plain values and refuses any other global, so
  nothing named in a dataset file is ever imported or called (the approach this project takes
  for checkpoints and results files).
"""
import codecs
import gzip
import hashlib
import io
import lzma
import os
import os.path as osp
import pickle
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from typing import Any, Optional

import numpy as np

#: seconds to wait for a download server before giving up (never hang offline)
DOWNLOAD_TIMEOUT_S = 20


class DatasetFileError(ValueError):
    """A dataset file that is truncated, of the wrong kind, or refused (one line, naming it)."""


class DatasetIncompleteError(RuntimeError, AssertionError):
    """Dataset files are still missing after the download step (MMPretrain asserts here)."""


class DatasetDownloadError(RuntimeError):
    """A dataset file could not be downloaded; the message says where to put it by hand."""


# ----------------------------------------------------------------------------- integrity
def rm_suffix(s: str, suffix: Optional[str] = None) -> str:
    """``s`` without its last extension, or without ``suffix`` (from its last occurrence)."""
    if suffix is None:
        return s[:s.rfind('.')]
    return s[:s.rfind(suffix)]


def calculate_md5(fpath: str, chunk_size: int = 1024 * 1024) -> str:
    """The md5 hex digest of a file, read in chunks."""
    md5 = hashlib.md5()
    with open(fpath, 'rb') as f:
        for chunk in iter(lambda: f.read(chunk_size), b''):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath: str, md5: str, **kwargs) -> bool:
    """Whether the file's md5 is ``md5``."""
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath: str, md5: Optional[str] = None) -> bool:
    """Whether ``fpath`` is a file and (when ``md5`` is given) has that md5."""
    if not isinstance(fpath, str) or not osp.isfile(fpath):
        return False
    if md5 is None:
        return True
    return check_md5(fpath, md5)


# ----------------------------------------------------------------------------- downloads
def _manual_hint(filename: str, root: str, url: str) -> str:
    return (f'download {url} by hand and put {filename} in {osp.abspath(root)} '
            '(or pass download=False and point data_root at an existing copy)')


def download_url(url: str, root: str, filename: Optional[str] = None,
                 md5: Optional[str] = None, timeout: float = DOWNLOAD_TIMEOUT_S) -> str:
    """Download ``url`` to ``root/filename`` (default: the URL's base name); return the path.

    Nothing is fetched if the file is already there with the right md5. The data goes to a
    temporary file in ``root`` that is renamed only once complete and checked.

    Raises:
        DatasetDownloadError: the server cannot be reached (e.g. offline), answers with an
            error, or the file's md5 is wrong; one line naming the file and where to put it.
    """
    filename = filename or osp.basename(url)
    fpath = osp.join(root, filename)
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return fpath
    fd, tmp = tempfile.mkstemp(prefix=f'.{filename}.', suffix='.part', dir=root)
    try:
        with os.fdopen(fd, 'wb') as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out, 1024 * 1024)
        if md5 is not None and not check_md5(tmp, md5):
            raise DatasetDownloadError(
                f'{filename} downloaded from {url} has the wrong md5 (expected {md5}); '
                f'{_manual_hint(filename, root, url)}.')
        os.replace(tmp, fpath)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, 'reason', None) or exc
        if isinstance(exc, DatasetDownloadError):
            raise
        raise DatasetDownloadError(f'{filename} is missing and could not be downloaded '
                                   f'({str(reason)[:120]}); {_manual_hint(filename, root, url)}.'
                                   ) from None
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return fpath


def extract_archive(from_path: str, to_path: Optional[str] = None,
                    remove_finished: bool = False) -> None:
    """Extract a ``.tar(.gz|.xz|.bz2)``, ``.tgz``, ``.zip`` or single-file ``.gz`` archive.

    Members are extracted into a temporary folder beside ``to_path`` and moved into place only
    after the whole archive was read; tar members with absolute paths or ``..`` are refused.
    """
    to_path = to_path or osp.dirname(from_path)
    os.makedirs(to_path, exist_ok=True)
    name = osp.basename(from_path)
    try:
        if name.endswith('.gz') and not name.endswith('.tar.gz'):
            out = osp.join(to_path, rm_suffix(name))
            fd, tmp = tempfile.mkstemp(prefix='.extract.', dir=to_path)
            try:
                with os.fdopen(fd, 'wb') as f, gzip.open(from_path, 'rb') as g:
                    shutil.copyfileobj(g, f)
                os.replace(tmp, out)
            finally:
                if osp.exists(tmp):
                    os.remove(tmp)
        else:
            staging = tempfile.mkdtemp(prefix='.extract.', dir=to_path)
            try:
                if zipfile.is_zipfile(from_path):
                    with zipfile.ZipFile(from_path) as z:
                        z.extractall(staging)
                else:
                    with tarfile.open(from_path) as t:
                        t.extractall(staging, filter='data')
                for entry in os.listdir(staging):
                    dest = osp.join(to_path, entry)
                    if osp.isdir(dest) and not osp.islink(dest):
                        shutil.rmtree(dest)
                    os.replace(osp.join(staging, entry), dest)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, lzma.LZMAError) as exc:
        raise DatasetFileError(f'Cannot extract {from_path}: {type(exc).__name__}: '
                               f'{str(exc)[:120]}; the archive is truncated or damaged, '
                               'download it again.') from None
    if remove_finished:
        os.remove(from_path)


def download_and_extract_archive(url: str, download_root: str,
                                 extract_root: Optional[str] = None,
                                 filename: Optional[str] = None, md5: Optional[str] = None,
                                 remove_finished: bool = False) -> None:
    """:func:`download_url` then :func:`extract_archive` (into ``extract_root`` or the
    download folder)."""
    download_root = osp.expanduser(download_root)
    filename = filename or osp.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(osp.join(download_root, filename), extract_root or download_root,
                    remove_finished)


# ----------------------------------------------------------------------------- idx files
def open_maybe_compressed_file(path):
    """A binary file object for ``path``, decompressing ``.gz`` / ``.xz``; a non-string (an
    open file) is returned as is."""
    if not isinstance(path, str):
        return path
    if path.endswith('.gz'):
        return gzip.open(path, 'rb')
    if path.endswith('.xz'):
        return lzma.open(path, 'rb')
    return open(path, 'rb')


#: idx type byte -> numpy dtype (big-endian on disk)
_IDX_TYPES = {8: np.uint8, 9: np.int8, 11: np.dtype('>i2'), 12: np.dtype('>i4'),
              13: np.dtype('>f4'), 14: np.dtype('>f8')}


def read_sn3_pascalvincent_tensor(path: str, strict: bool = True) -> np.ndarray:
    """An idx ("SN3 pascalvincent") file as a numpy array, with its header checked.

    Raises:
        DatasetFileError: not an idx file, an unknown type, or fewer bytes than the header
            announces (truncated); one line naming the file.
    """
    try:
        with open_maybe_compressed_file(path) as f:
            data = f.read()
    except (OSError, EOFError, lzma.LZMAError) as exc:
        raise DatasetFileError(f'Cannot read {path} as an idx file: {type(exc).__name__}: '
                               f'{str(exc)[:120]} (truncated or not compressed as its name '
                               'says); download it again.') from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES \
            or not 1 <= data[3] <= 4:
        raise DatasetFileError(f'{path} is not an idx (MNIST-format) file: its first bytes are '
                               f'{data[:4].hex() or "empty"}, expected 0000 then a type byte '
                               '(08 for uint8) and the number of dimensions.')
    ndim = data[3]
    if len(data) < 4 + 4 * ndim:
        raise DatasetFileError(f'{path} is truncated: {len(data)} bytes, shorter than its own '
                               'idx header.')
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big') for i in range(ndim))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    body = data[4 + 4 * ndim:]
    if len(body) < expected or (strict and len(body) != expected):
        raise DatasetFileError(
            f'{path} is {"truncated" if len(body) < expected else "longer than its header"}: '
            f'its header announces shape {shape} ({expected} data bytes) but it holds '
            f'{len(body)}; download it again.')
    return np.frombuffer(body, dtype=dtype, count=int(np.prod(shape))).reshape(shape)


def read_label_file(path: str) -> np.ndarray:
    """Labels (N, ) int64 from an idx1 file."""
    x = read_sn3_pascalvincent_tensor(path)
    if x.dtype != np.uint8 or x.ndim != 1:
        raise DatasetFileError(f'{path} is not a label file: an idx file of {x.ndim} dimension(s) '
                               f'and type {x.dtype}, expected 1 dimension of uint8 (an '
                               'images file given for labels?).')
    return x.astype(np.int64)


def read_image_file(path: str) -> np.ndarray:
    """Images (N, H, W) uint8 from an idx3 file."""
    x = read_sn3_pascalvincent_tensor(path)
    if x.dtype != np.uint8 or x.ndim != 3:
        raise DatasetFileError(f'{path} is not an images file: an idx file of {x.ndim} '
                               f'dimension(s) and type {x.dtype}, expected 3 dimensions (N, H, '
                               'W) of uint8 (a labels file given for images?).')
    return x


# ----------------------------------------------------------------------------- pickles
def _allowed_globals() -> dict:
    """``(module, name)`` -> callable that a numpy-arrays-and-plain-values pickle may name."""
    reconstruct = np.ndarray((0, )).__reduce__()[0]
    scalar = np.float32(0).__reduce__()[0]
    allowed = {('_codecs', 'encode'): codecs.encode,
               ('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype}
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):  # numpy 1.x / 2.x
        allowed.update({(module, '_reconstruct'): reconstruct, (module, 'scalar'): scalar})
    return allowed


class _DataUnpickler(pickle.Unpickler):
    """An unpickler that resolves only :func:`_allowed_globals` and no persistent ids."""

    def __init__(self, file, path: str, **kwargs) -> None:
        super().__init__(file, **kwargs)
        self.path = path
        self.allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        found = self.allowed.get((module, name))
        if found is None:
            raise DatasetFileError(
                f'Refusing to read {self.path}: it pickles {module}.{name}, which could run '
                'code when unpickled; a dataset batch holds only numpy arrays and plain values. '
                'Download the file again from its publisher.')
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise DatasetFileError(f'Refusing to read {self.path}: it uses pickle persistent ids, '
                               'which a dataset batch never does.')


def restricted_unpickle(data: bytes, path: str, encoding: str = 'latin1') -> Any:
    """Unpickle ``data`` (read from ``path``) allowing only numpy arrays and plain values.

    Raises:
        DatasetFileError: the pickle names anything else (refused before it is looked up), or
            it is truncated / not a pickle; one line naming ``path``.
    """
    try:
        return _DataUnpickler(io.BytesIO(data), path, encoding=encoding).load()
    except DatasetFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged pickle fails in many ways
        raise DatasetFileError(f'Cannot read {path} ({len(data)} bytes) as a pickle: '
                               f'{type(exc).__name__}: {str(exc)[:120]}; the file is truncated '
                               'or not a pickle, download it again.') from None
