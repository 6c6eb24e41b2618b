"""Error types of checkpoint loading and downloading."""


class CheckpointError(ValueError):
    """A checkpoint file is missing, unreadable, of the wrong kind, or does not fit the model."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """The checkpoint path does not exist (also a FileNotFoundError)."""


class ChecksumError(CheckpointError):
    """A file's sha256 does not start with the hash prefix in its name."""


class WeightsDownloadError(CheckpointError, ConnectionError):
    """Weights could not be downloaded (offline mode, network or HTTP error)."""
