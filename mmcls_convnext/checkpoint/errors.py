"""Error types of reading, verifying, downloading and writing checkpoint files.

Every bad file a user hands us ends in a :class:`CheckpointError` (a ``ValueError``) whose
message names the file, what is wrong and how to fix it; a failed write ends in a
:class:`CheckpointSaveError` (an ``OSError``).
"""


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, of the wrong kind, or does not fit the model."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint path does not exist (also a FileNotFoundError)."""


class ChecksumError(CheckpointError):
    """A file's sha256 does not match the hash in its name or the one recorded at download."""


class WeightsDownloadError(CheckpointError, ConnectionError):
    """Weights could not be downloaded (offline mode, network or HTTP error, cut transfer)."""


class CheckpointSaveError(OSError):
    """A checkpoint could not be written (disk full, permissions, ...).

    The previous checkpoints of the run are left untouched when this is raised.
    """
