"""The error of a file that exists but does not decode (shared by eager and lazy loading)."""


class ImageDecodeError(ValueError):
    """A file exists but is not a decodable image (zero bytes, truncated, corrupt, not an image).

    Attributes:
        path: the file that failed.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f'Cannot decode image "{path}": {reason}. Remove or replace the file, '
                         'or set skip_bad_images=True on the dataset to skip such files.')
        self.path = path
