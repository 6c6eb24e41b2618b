"""Bytes on disk <-> state: the one room for reading, writing and verifying checkpoint files.

- :mod:`.reading` - :func:`read_checkpoint`, the single ``torch.load`` policy
  (``weights_only=True``, never ``False``; safetensors; mmengine-native files via inert
  stand-ins from :mod:`.legacy`); :func:`read_run_checkpoint`, a training checkpoint for
  ``--resume`` (checked to hold the training state).
- :mod:`.plain` - :func:`to_plain` / :func:`from_plain`: training state as plain data, so that
  our files load without any allow-list.
- :mod:`.writing` - :func:`commit_atomically` and friends: the one atomic writer (temp file,
  fsync, rename; 0644; stale temp files removed on the next start).
- :mod:`.hashing` - sha256 of files and the ``-<8 hex>.pth`` name convention.
- :mod:`.errors` - the error types.

This package imports only torch, numpy and mmengine's ``HistoryBuffer``; ``weights`` and ``engine``
import it, never the other way round.
"""
from .errors import (
    CheckpointError,
    CheckpointNotFoundError,
    CheckpointSaveError,
    ChecksumError,
    WeightsDownloadError,
)
from .hashing import expected_hash, sha256_of, verify_file_hash
from .legacy import LEGACY_GLOBALS
from .plain import from_plain, to_plain
from .reading import read_checkpoint, read_run_checkpoint
from .writing import (
    atomic_torch_save,
    atomic_write_bytes,
    commit_atomically,
    default_file_mode,
    remove_stale_temp_files,
    temp_path_for,
    torch_bytes,
)

__all__ = [
    'CheckpointError', 'CheckpointNotFoundError', 'CheckpointSaveError', 'ChecksumError',
    'WeightsDownloadError', 'expected_hash', 'sha256_of', 'verify_file_hash', 'LEGACY_GLOBALS',
    'from_plain', 'to_plain', 'read_checkpoint', 'read_run_checkpoint', 'atomic_torch_save',
    'atomic_write_bytes', 'commit_atomically', 'default_file_mode', 'remove_stale_temp_files',
    'temp_path_for', 'torch_bytes'
]
