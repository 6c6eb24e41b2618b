"""The ``'torch'`` resize backend: Pillow's antialiased filters on torch's uint8 kernels.

``torch.nn.functional.interpolate(..., antialias=True)`` on a uint8 image runs the separable
antialiased resampling of Pillow (the filter support widened by the reduction factor, integer
weights, the horizontal pass then the vertical one), vectorised. Its output differs from
Pillow's ``Image.resize`` only in the rounding of the integer arithmetic: at most 2 grey levels,
on a small fraction of the pixels (tests/datasets/transforms/test_torch_resize.py pins the
bound), so the distribution of the images is Pillow's. It is ~4x faster than Pillow's resize
for a 224 crop of a 500x375 photo on one core.

A not yet decoded JPEG (:class:`.EncodedImage`) is decoded by ``torchvision.io.decode_jpeg``
(libjpeg-turbo: the pixels of Pillow's and OpenCV's decoders, ~1.2x faster than Pillow's) when
no reduced-scale decode applies; with a reduced-scale decode the crop box is fractional, which
torch's kernel cannot take, and Pillow decodes and resizes it (:mod:`.lazy_image`).
"""
import warnings
from typing import Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from .decode_error import ImageDecodeError
from .lazy_image import EncodedImage, draft_scale

#: interpolations the torch backend has (Pillow's antialiased filters that torch implements)
TORCH_INTERPOLATIONS = ('bilinear', 'bicubic')
Box = Tuple[int, int, int, int]


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


def resize_to_pil(img, size: Tuple[int, int], interpolation: str, box: Optional[Box] = None,
                  reduced_decode: bool = False) -> Image.Image:
    """An RGB PIL image (or an :class:`.EncodedImage`) cropped to ``box`` and resized.

    Returns an RGB PIL image (the lazy pipeline's carrier); a grey PIL image stays grey.
    """
    if isinstance(img, EncodedImage):
        if box is not None and reduced_decode and draft_scale(box, size) > 1:
            pil, mapped = img.decode(box, size)  # fractional box: Pillow's kernel (see above)
            return pil.resize(size, PIL_FILTERS[interpolation], box=mapped)
        chw = decode_jpeg(img)
        if box is not None:
            chw = chw[:, box[1]:box[3], box[0]:box[2]]
        out = resize_chw(chw, size, interpolation).permute(1, 2, 0).numpy()
        return Image.fromarray(out)
    if img.mode not in ('RGB', 'L'):
        img = img.convert('RGB')
    return Image.fromarray(resize_hwc(np.asarray(img), size, interpolation, box))


PIL_FILTERS = {'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC}


def decode_jpeg(img: EncodedImage) -> torch.Tensor:
    """The (3, H, W) RGB uint8 pixels of an encoded JPEG (grey JPEGs are replicated to RGB, as
    Pillow's ``convert('RGB')`` does)."""
    from torchvision.io import ImageReadMode
    from torchvision.io import decode_jpeg as tv_decode
    data = torch.frombuffer(bytearray(img.data), dtype=torch.uint8)
    try:
        out = tv_decode(data, mode=ImageReadMode.RGB)
    except RuntimeError as err:
        raise ImageDecodeError(img.path, f'the decoder failed ({type(err).__name__}: {err}); '
                               f'the file ({len(img.data)} bytes) is corrupt or '
                               'truncated') from err
    if out.shape[1:] != img.hw:
        raise ImageDecodeError(img.path, f'the decoded size {tuple(out.shape[1:])} differs '
                               f'from the header size {img.hw}')
    return out
