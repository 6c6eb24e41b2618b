"""The ``'torch'`` resize backend: Pillow's antialiased filters on torch's uint8 kernels.

``torch.nn.functional.interpolate(..., antialias=True)`` on a uint8 image runs the separable
antialiased resampling of Pillow (the filter support widened by the reduction factor, integer
weights, the horizontal pass then the vertical one), vectorised. Its output differs from
Pillow's ``Image.resize`` only in the rounding of the integer arithmetic: at most 2 grey levels,
on a small fraction of the pixels (tests/datasets/transforms/test_torch_resize.py pins the
bound), so the distribution of the images is Pillow's. It is ~4x faster than Pillow's resize
for a 224 crop of a 500x375 photo on one core.

A not yet decoded JPEG (:class:`.EncodedImage`) is decoded by OpenCV into a BGR array (the
pixels of ``LoadImageFromFile()``, and of Pillow's decoder) when no reduced-scale decode
applies, and stays an array (the cheapest carrier for the ops after it); with a reduced-scale
decode the crop box is fractional, which torch's kernel cannot take, and Pillow decodes and
resizes it (:mod:`.lazy_image`).
"""
import warnings
from typing import Optional, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .backends import PIL_FILTERS
from .decode_error import ImageDecodeError
from .lazy_image import EncodedImage, draft_scale

Box = Tuple[int, int, int, int]
#: the smallest JPEG scale (1/s) at which a reduced decode (and Pillow's resize) beats the full
#: decode with torch's resize: at 1/2 the decode saves less than Pillow's slower resize costs
#: (the 224 recipe, one core: 1000x750 photos 341 img/s with 1/2 decodes, 353 without;
#: 2000x1500 photos 157 with 1/2 and 1/4 decodes, 155 with 1/4 only, 115 without)
MIN_DRAFT_SCALE = 4


def resize_chw(img: torch.Tensor, size: Tuple[int, int], interpolation: str) -> torch.Tensor:
    """(C, H, W) uint8 tensor (any strides) -> (C, h, w) uint8 with ``size=(w, h)``.

    The result's memory is (h, w, C)-ordered (channels-last), so ``.permute(1, 2, 0)`` of it
    is a contiguous HWC image.
    """
    x = img.unsqueeze(0).contiguous(memory_format=torch.channels_last)
    out = F.interpolate(x, size=(size[1], size[0]), mode=interpolation, antialias=True,
                        align_corners=False)
    return out[0]


def resize_hwc(img: np.ndarray, size: Tuple[int, int], interpolation: str,
               box: Optional[Box] = None) -> np.ndarray:
    """(H, W[, C]) uint8 array, cropped to ``box=(x0, y0, x1, y1)`` -> (h, w[, C]) array.

    Resampling is per channel, so BGR stays BGR.
    """
    if img.dtype != np.uint8:
        raise TypeError(f"backend='torch' resizes uint8 images; got {img.dtype}. Use "
                        "backend='cv2' for other types.")
    if box is not None:
        img = img[box[1]:box[3], box[0]:box[2]]
    hwc = img if img.ndim == 3 else img[..., None]
    with warnings.catch_warnings():  # read-only arrays (of PIL images): only read, then copied
        warnings.filterwarnings('ignore', message='The given NumPy array is not writable')
        chw = torch.from_numpy(hwc).permute(2, 0, 1)
    out = resize_chw(chw, size, interpolation)
    out = out.permute(1, 2, 0).numpy()
    return out if img.ndim == 3 else out[..., 0]


def resize_lazy(img, size: Tuple[int, int], interpolation: str, box: Optional[Box] = None,
                reduced_decode: bool = False):
    """A PIL image or an :class:`.EncodedImage`, cropped to ``box`` and resized.

    A PIL image gives a PIL image (grey stays grey, other modes become RGB). An encoded JPEG
    decoded in full (OpenCV, as ``LoadImageFromFile()``) gives a BGR array: exactly the pixels
    of the eager pipeline; one decoded at a reduced scale gives an RGB PIL image.
    """
    if isinstance(img, EncodedImage):
        decoded = decode_for_crop(img, box, size, reduced_decode)
        if isinstance(decoded, tuple):  # fractional box: Pillow's kernel (see above)
            return decoded[0].resize(size, PIL_FILTERS[interpolation], box=decoded[1])
        return resize_hwc(decoded, size, interpolation, box)
    if img.mode not in ('RGB', 'L'):
        img = img.convert('RGB')
    return Image.fromarray(resize_hwc(np.asarray(img), size, interpolation, box))


def decode_for_crop(img: EncodedImage, box: Optional[Box], size: Tuple[int, int],
                    reduced_decode: bool):
    """The decoding the torch backend does for a crop ``box`` resized to ``size=(w, h)``:
    a reduced-scale ``(PIL image, box in its coordinates)`` when the box allows one, else
    the full (H, W, 3) BGR array."""
    if box is not None and reduced_decode and draft_scale(box, size) >= MIN_DRAFT_SCALE:
        return img.decode(box, size)
    return decode_bgr(img)


def decode_bgr(img: EncodedImage) -> np.ndarray:
    """The (H, W, 3) BGR uint8 pixels of an encoded JPEG, decoded by OpenCV as
    ``LoadImageFromFile()`` decodes it (grey JPEGs replicated to 3 channels)."""
    out = cv2.imdecode(np.frombuffer(img.data, np.uint8), cv2.IMREAD_COLOR)
    if out is None:
        raise ImageDecodeError(img.path, f'the decoder failed; the file ({len(img.data)} '
                               'bytes) is corrupt or truncated')
    if out.shape[:2] != img.hw:
        raise ImageDecodeError(img.path, f'the decoded size {out.shape[:2]} differs from the '
                               f'header size {img.hw}')
    return out
