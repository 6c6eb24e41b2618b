"""Checks made before an image file is read or decoded: it is a regular file, and its header
declares no more pixels than the budget.

A few hundred kilobytes of PNG can declare 30000 x 30000 pixels: decoding it takes gigabytes
(OpenCV's own limit is 1 gigapixel). The budget is read from the header (Pillow parses only the
header in ``Image.open``) before any decoder runs, in every decoding path of the package (eager
OpenCV / Pillow loading, ``lazy_decode``, ``inference_model`` on files and URLs, the web demo,
and :func:`read_image` for the files drawn again after the pipeline: the visualization hook,
the retrieval visualizer, the report).

The budget: ``MMCLS_CONVNEXT_MAX_IMAGE_PIXELS`` (a number of pixels; ``0`` turns the check
off), default :data:`DEFAULT_MAX_PIXELS` = 180 million (Pillow's own decompression-bomb error
is at 179 million pixels; a 50-megapixel photo is far below).

A path that is not a regular file (a FIFO, a device such as ``/dev/zero`` or a symlink to one,
a socket) is refused from ``os.stat`` alone, without opening it: reading a FIFO blocks forever
and a device never ends.
"""
import io
import os
import re
import stat
import struct
import warnings
from typing import Optional, Tuple

from PIL import Image, UnidentifiedImageError

from .decode_error import ImageDecodeError

ENV_MAX_PIXELS = 'MMCLS_CONVNEXT_MAX_IMAGE_PIXELS'
DEFAULT_MAX_PIXELS = 180_000_000


def max_pixels() -> int:
    """The pixel budget (0: no limit); see the module doc."""
    text = os.environ.get(ENV_MAX_PIXELS, '').strip()
    if not text:
        return DEFAULT_MAX_PIXELS
    try:
        value = int(text.replace('_', ''))
    except ValueError:
        value = -1
    if value < 0:
        raise ValueError(f'{ENV_MAX_PIXELS} must be a whole number of pixels (0: no limit); '
                         f'got {text!r}.')
    return value


def declared_size(data: bytes) -> Optional[Tuple[int, int]]:
    """``(width, height)`` from the header, without decoding; None when Pillow cannot identify
    the format (the decoder's own limits then apply)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore', Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                return image.size
    except Image.DecompressionBombError as exc:  # Pillow's hard limit: it names the count
        match = re.search(r'\((\d+) pixels\)', str(exc))
        pixels = int(match.group(1)) if match else 1 << 62
        return pixels, 1
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, struct.error):
        return None


def check_pixel_budget(path: str, data: bytes) -> None:
    """Raise :class:`ImageDecodeError` when ``data``'s header declares more pixels than
    :func:`max_pixels` allows."""
    budget = max_pixels()
    if not budget:
        return
    size = declared_size(data)
    if size is not None and size[0] * size[1] > budget:
        shape = f'{size[0]} x {size[1]} = ' if size[1] > 1 else ''
        raise ImageDecodeError(
            path, f'its header declares {shape}{size[0] * size[1]} pixels, more than the budget '
            f'of {budget} (decoding it would take about {size[0] * size[1] * 3 / 1e9:.1f} GB); '
            f'resize the image, or raise {ENV_MAX_PIXELS}')


def check_regular_file(path: str) -> None:
    """Raise :class:`ImageDecodeError` for a local path that exists but is not a regular file
    (following symlinks), without opening it. Missing paths pass (the reader says so)."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return
    if stat.S_ISDIR(mode):
        raise ImageDecodeError(path, 'it is a directory, not an image file')
    if not stat.S_ISREG(mode):
        kind = ('a FIFO (named pipe)' if stat.S_ISFIFO(mode) else 'a device' if
                stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else 'a socket' if stat.S_ISSOCK(mode)
                else 'not a regular file')
        target = os.path.realpath(path)
        via = f' (a symlink to {target})' if target != os.path.abspath(path) else ''
        raise ImageDecodeError(path, f'it is {kind}{via}, not a regular file: reading it could '
                               'block or never end; it was not opened')


def read_file_bytes(path: str, backend_args: Optional[dict] = None) -> bytes:
    """The bytes of an image file (a local path, or a storage backend's URI through
    ``mmengine.fileio``); a local path that is not a regular file is refused unopened
    (:func:`check_regular_file`), a missing one raises ``FileNotFoundError``."""
    from mmengine import fileio
    if '://' not in str(path):
        check_regular_file(path)  # a FIFO or /dev/zero is never opened
    return fileio.get(path, backend_args=backend_args)


def read_image(path: str, channel_order: str = 'bgr'):
    """Read an image file for drawing (visualization, reports), with the loader's checks.

    A regular file (:func:`check_regular_file`) whose header stays within the pixel budget
    (:func:`check_pixel_budget`), decoded by ``mmcv.imfrombytes``. Returns ``None`` when the
    bytes are not an image (the callers say what to do then); raises :class:`ImageDecodeError`
    naming ``path`` for a non-regular file or one above the budget, and ``FileNotFoundError``
    for a missing one.
    """
    import mmcv
    data = read_file_bytes(path)
    check_pixel_budget(path, data)
    if not data:
        return None
    return mmcv.imfrombytes(data, flag='color', channel_order=channel_order)
