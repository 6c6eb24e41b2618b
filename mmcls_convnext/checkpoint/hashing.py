"""sha256 of files, and the OpenMMLab convention of a hash prefix in the file name.

A file named ``<anything>-<8 hex>.pth`` (e.g. ``convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth``)
must have a sha256 starting with those 8 hex digits.
"""
import hashlib
import os.path as osp
import re
from typing import Optional

from .errors import ChecksumError

HASH_RE = re.compile(r'-([0-9a-f]{8})\.(pth|pt)$')
CHUNK = 1 << 20


def expected_hash(file_name: str) -> Optional[str]:
    """The sha256 prefix encoded in a file name (``..._20221207-998cf3e9.pth``), or None."""
    match = HASH_RE.search(osp.basename(file_name))
    return match.group(1) if match else None


def sha256_of(path: str) -> str:
    """The hex sha256 of the file at ``path`` (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(CHUNK), b''):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file_hash(path: str, sha256: Optional[str] = None) -> Optional[str]:
    """Check a file against the sha256 prefix in its name and, if given, a full ``sha256``.

    Args:
        path: the file.
        sha256: the full hex digest the file must have (e.g. recorded when it was
            downloaded), or None.

    Returns:
        The file's sha256 when it was computed (a name hash or ``sha256`` given), else None:
        a file with neither is not read here.

    Raises:
        ChecksumError: naming the file, what was expected and the actual hash.
    """
    prefix = expected_hash(path)
    if prefix is None and sha256 is None:
        return None
    actual = sha256_of(path)
    if prefix is not None and not actual.startswith(prefix):
        raise ChecksumError(
            f'Checksum mismatch for {path}: its name says sha256 starts with {prefix}, but the '
            f'file hashes to {actual}. The file is corrupt or was replaced; delete it and '
            'download it again (or use the genuine file).')
    if sha256 is not None and actual != sha256:
        raise ChecksumError(
            f'Checksum mismatch for {path}: it hashed to {sha256} when it was downloaded, but '
            f'now hashes to {actual}. The cached file was changed or damaged; delete it (the '
            'next call downloads it again).')
    return actual
