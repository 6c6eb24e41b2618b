"""Image loading: every file becomes a 3-channel uint8 BGR array, or a clear error."""
import os.path as osp
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile
from mmengine import fileio

from mmcls_convnext.registry import TRANSFORMS


class ImageDecodeError(ValueError):
    """A file exists but is not a decodable image (zero bytes, truncated, corrupt, not an image).

    Attributes:
        path: the file that failed.
    """

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f'Cannot decode image "{path}": {reason}. Remove or replace the file, '
                         'or set skip_bad_images=True on the dataset to skip such files.')
        self.path = path


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """Load ``results['img_path']`` into ``results['img']`` (H, W, 3) uint8, BGR order.

    Same arguments and keys as mmcv's ``LoadImageFromFile``. Grey, RGBA (alpha dropped), palette
    and 16-bit PNGs decode to 3-channel 8-bit BGR images; JPEG EXIF orientation is applied, so
    ``ori_shape`` is the shape as displayed. The same transform serves training and inference, so
    both see the same colour order.

    Raises:
        FileNotFoundError: the path does not exist (message names it).
        ImageDecodeError: zero-byte, truncated, corrupt or non-image file (a ``ValueError``
            whose message names the path).
    """

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            img_bytes = fileio.get(filename, backend_args=self.backend_args)
        except FileNotFoundError as err:
            if self.ignore_empty:
                return None
            raise FileNotFoundError(
                f'Image file "{filename}" does not exist (listed by the dataset). Check '
                'data_root / data_prefix / ann_file.') from err
        try:
            img = self._decode(filename, img_bytes)
        except ImageDecodeError:
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def _decode(self, filename: str, img_bytes: bytes) -> np.ndarray:
        if len(img_bytes) == 0:
            raise ImageDecodeError(filename, 'the file is empty (0 bytes)')
        try:
            img = mmcv.imfrombytes(img_bytes, flag=self.color_type,
                                   backend=self.imdecode_backend)
        except Exception as err:  # decoders raise many types for garbage input
            raise ImageDecodeError(
                filename, f'the decoder failed ({type(err).__name__}: {err}); the file '
                f'({len(img_bytes)} bytes) is corrupt, truncated or not an image') from err
        if img is None:
            ext = osp.splitext(filename)[1] or 'no extension'
            raise ImageDecodeError(
                filename, f'the file ({len(img_bytes)} bytes, {ext}) is corrupt, truncated or '
                'not an image')
        if img.ndim == 2 and self.color_type == 'color':  # backends other than cv2
            img = np.repeat(img[..., None], 3, axis=2)
        if img.dtype != np.uint8 and not self.to_float32:
            img = (img >> 8).astype(np.uint8) if img.dtype == np.uint16 else img
        return img
