"""Image loading: every file becomes a 3-channel uint8 BGR array, or a clear error."""
import os.path as osp
from typing import Optional

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import LoadImageFromFile as MMCVLoadImageFromFile

from mmcls_convnext.registry import TRANSFORMS

from ..errors import DataConfigError
from .decode_error import ImageDecodeError
from .image_budget import check_pixel_budget, read_file_bytes
from .lazy_image import EncodedImage


@TRANSFORMS.register_module()
class LoadImageFromFile(MMCVLoadImageFromFile):
    """Load ``results['img_path']`` into ``results['img']`` (H, W, 3) uint8, BGR order.

    Same arguments and keys as mmcv's ``LoadImageFromFile``. Grey, RGBA (alpha dropped), palette
    and 16-bit PNGs decode to 3-channel 8-bit BGR images; JPEG EXIF orientation is applied, so
    ``ori_shape`` is the shape as displayed. The same transform serves training and inference, so
    both see the same colour order.

    With ``lazy_decode=True`` (keyword-only; the ImageNet training configs set it), a JPEG is
    not decoded here: ``results['img']`` is an :class:`EncodedImage` (the bytes and the size
    from the header; ``img_shape`` / ``ori_shape`` as usual) and the first transform that needs
    the pixels decodes it, with Pillow, to RGB (``RandomResizedCrop(backend='pillow')`` at a
    reduced JPEG scale when its crop allows; ``backend='torch'`` from a 1/4 scale on, else
    with OpenCV to the BGR array this loader gives; see :mod:`.lazy_image`). Other formats,
    and JPEGs with an EXIF rotation or an unusual mode, are decoded here as without it. A JPEG whose
    header reads but whose data does not decode raises :class:`ImageDecodeError` from the
    transform that decodes it (``ignore_empty`` cannot turn that into a skipped sample; the
    datasets' ``skip_bad_images=True`` does).

    Before reading, a local path must be a regular file (a FIFO, a device or a symlink to one
    is refused unopened); before decoding, the header's pixel count must fit the budget
    (``MMCLS_CONVNEXT_MAX_IMAGE_PIXELS``, default 180 million; see :mod:`.image_budget`).

    Raises:
        FileNotFoundError: the path does not exist (message names it).
        ImageDecodeError: zero-byte, truncated, corrupt or non-image file, a non-regular file,
            an image above the pixel budget (a ``ValueError`` whose message names the path).
    """

    def __init__(self, to_float32: bool = False, color_type: str = 'color',
                 imdecode_backend: str = 'cv2', file_client_args: Optional[dict] = None,
                 ignore_empty: bool = False, *, backend_args: Optional[dict] = None,
                 lazy_decode: bool = False) -> None:
        super().__init__(to_float32=to_float32, color_type=color_type,
                         imdecode_backend=imdecode_backend, file_client_args=file_client_args,
                         ignore_empty=ignore_empty, backend_args=backend_args)
        if not isinstance(lazy_decode, bool):
            raise DataConfigError(f'LoadImageFromFile lazy_decode must be True or False; got '
                                  f'{lazy_decode!r}.')
        if lazy_decode and (to_float32 or color_type != 'color'):
            raise DataConfigError(
                "LoadImageFromFile(lazy_decode=True) gives 8-bit colour images; it cannot be "
                f"combined with to_float32={to_float32!r}, color_type={color_type!r}. Remove "
                'lazy_decode, or those arguments.')
        self.lazy_decode = lazy_decode

    def transform(self, results: dict) -> Optional[dict]:
        filename = results['img_path']
        try:
            img_bytes = read_file_bytes(filename, backend_args=self.backend_args)
        except ImageDecodeError:
            if self.ignore_empty:
                return None
            raise
        except FileNotFoundError as err:
            if self.ignore_empty:
                return None
            raise FileNotFoundError(
                f'Image file "{filename}" does not exist (listed by the dataset). Check '
                'data_root / data_prefix / ann_file.') from err
        try:
            check_pixel_budget(filename, img_bytes)  # from the header, before any decoder
            img = self._lazy(filename, img_bytes) if self.lazy_decode else None
            if img is None:
                img = self._decode(filename, img_bytes)
        except ImageDecodeError:
            if self.ignore_empty:
                return None
            raise
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        shape = img.hw if isinstance(img, EncodedImage) else img.shape[:2]
        results['img_shape'] = shape
        results['ori_shape'] = shape
        return results

    @staticmethod
    def _lazy(filename: str, img_bytes: bytes) -> Optional[EncodedImage]:
        if len(img_bytes) == 0:
            raise ImageDecodeError(filename, 'the file is empty (0 bytes)')
        return EncodedImage.open(filename, img_bytes)

    def __repr__(self) -> str:
        lazy = ', lazy_decode=True)' if self.lazy_decode else ')'
        return super().__repr__()[:-1] + lazy

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


@TRANSFORMS.register_module()
class LoadImageFromNDArray(BaseTransform):
    """Take an in-memory image (``results['img']``, e.g. from CIFAR10 / MNIST / FashionMNIST)
    as :class:`LoadImageFromFile` gives a file: (H, W, 3) uint8, ``img_shape``/``ori_shape``.

    A grey image ((H, W) or (H, W, 1)) becomes 3 equal channels, as ``LoadImageFromFile``
    decodes a grey PNG; a 4-channel image loses its alpha; a 3-channel image keeps its channel
    order (CIFAR's arrays are RGB, so its configs set ``to_rgb=False``). The input array is not
    modified. At inference (``inference_model`` with a file path) a pipeline starting with this
    step reads the file with ``LoadImageFromFile``.

    Args:
        to_float32: return float32 instead of uint8.

    Raises:
        ValueError: ``results`` has no ``img``, or it is not a 2-D / 3-D uint8 image array.
    """

    def __init__(self, to_float32: bool = False) -> None:
        if not isinstance(to_float32, bool):
            raise DataConfigError(f'LoadImageFromNDArray to_float32 must be True or False; got '
                                  f'{to_float32!r}.')
        self.to_float32 = to_float32

    def transform(self, results: dict) -> dict:
        img = results.get('img')
        if not isinstance(img, np.ndarray) or img.ndim not in (2, 3) or \
                (img.ndim == 3 and img.shape[2] not in (1, 3, 4)) or img.dtype != np.uint8:
            what = (f'{type(img).__name__} of shape {img.shape} and dtype {img.dtype}'
                    if isinstance(img, np.ndarray) else type(img).__name__)
            raise ValueError(f'LoadImageFromNDArray expects results["img"] to be a uint8 image '
                             f'array (H, W) or (H, W, 1|3|4); got {what}. Use it with in-memory '
                             'datasets (CIFAR10, MNIST, ...); files need LoadImageFromFile.')
        if img.ndim == 2:
            img = np.repeat(img[..., None], 3, axis=2)
        elif img.shape[2] == 1:
            img = np.repeat(img, 3, axis=2)
        elif img.shape[2] == 4:
            img = np.ascontiguousarray(img[..., :3])
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(to_float32={self.to_float32})'
