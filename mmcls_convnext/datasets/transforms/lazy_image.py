"""Images that stay encoded until a transform needs their pixels, and PIL images in pipelines.

``LoadImageFromFile(lazy_decode=True)`` puts an :class:`EncodedImage` (a JPEG file's bytes and
its size, read from the header) in ``results['img']``. The first transform that needs pixels
decodes it, into an RGB PIL image; ``RandomResizedCrop(backend='pillow')`` first draws its crop
box from the header size and then decodes at a reduced JPEG scale when the box allows
(:func:`draft_scale`). The transforms after it keep the PIL image (flip, the pillow RandAugment
ops) until one needs an array (``RandomErasing``, ``PackInputs``): one conversion per image.
``RandomResizedCrop(backend='torch')`` (the 224 recipe's) decodes the same way only from a
1/4 scale on and otherwise gives the BGR array of the full decode (:mod:`.torch_resize`).

Reduced decoding (libjpeg's DCT scaling, PIL's ``Image.draft``): at scale 1/s (s = 2, 4, 8) the
decoder returns a ``ceil(W / s) x ceil(H / s)`` image whose pixel k covers the original pixels
``[k * s, (k + 1) * s)``: continuous coordinates map by exactly ``x / s``, so a crop box
``(x0, y0, x1, y1)`` of the original is the box ``(x0 / s, y0 / s, x1 / s, y1 / s)`` of the
reduced image and the crop covers the same region of the photo. s is the largest power of two
with ``crop_w / s >= out_w`` and ``crop_h / s >= out_h``: the resize after it is still a
reduction (or identity) in both directions, so the output keeps its full resolution; what
changes is the low-pass filter in front of it (the decoder's scaled inverse DCT, then PIL's
bicubic instead of PIL's bicubic alone). On the demo photo the two outputs differ by 0.6-1.7
grey levels on average (PSNR 40-49 dB; the tests require > 38 dB). Without reduction (s = 1,
e.g. any 224 crop of a 500 x 375 photo) the pixels are exactly those of ``LoadImageFromFile()``
and the array path.
"""
import io
from typing import Optional, Tuple

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

from .decode_error import ImageDecodeError

Box = Tuple[float, float, float, float]
#: JPEG modes whose PIL decode equals OpenCV's exactly; others (CMYK: PIL and OpenCV convert
#: to RGB 1 level apart) take the eager array path, so lazy and eager loading agree.
LAZY_MODES = ('RGB', 'L')
#: EXIF orientation tag; files that need a rotation are decoded eagerly (rare).
EXIF_ORIENTATION = 0x0112
DRAFT_SCALES = (8, 4, 2)


class EncodedImage:
    """A JPEG file's bytes with its size; :meth:`decode` gives the pixels.

    Args:
        path: the file, for error messages.
        data: the file's bytes.
        width, height: the image size from the file header.
    """

    __slots__ = ('path', 'data', 'width', 'height', '_opened')

    def __init__(self, path: str, data: bytes, width: int, height: int,
                 opened: Optional[Image.Image] = None) -> None:
        self.path, self.data, self.width, self.height = path, data, width, height
        # the header already parsed by :meth:`open`, used by the first decode only (decoding
        # changes a PIL image); later decodes parse the bytes again
        self._opened = opened

    @classmethod
    def open(cls, path: str, data: bytes) -> Optional['EncodedImage']:
        """Read the header: an EncodedImage for a plain JPEG, else None (decode eagerly:
        other formats, files PIL cannot identify, JPEGs with an EXIF rotation)."""
        try:
            pil = Image.open(io.BytesIO(data))
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            return None  # (above Pillow's limit: only with a raised pixel budget)
        if (pil.format != 'JPEG' or pil.mode not in LAZY_MODES
                or pil.getexif().get(EXIF_ORIENTATION, 1) != 1):
            return None
        return cls(path, data, *pil.size, opened=pil)

    def __reduce__(self):
        # copies and pickles (worker queues, deep copies of results) carry the bytes only
        return type(self), (self.path, self.data, self.width, self.height)

    @property
    def hw(self) -> Tuple[int, int]:
        return self.height, self.width

    def decode(self, box: Optional[Box] = None,
               size: Optional[Tuple[int, int]] = None) -> Tuple[Image.Image, Optional[Box]]:
        """The RGB PIL image; with ``box`` and output ``size=(w, h)``, at a reduced scale.

        Returns:
            ``(image, box)``: ``box`` mapped to the returned image's coordinates (the same
            region of the photo), or None when no box was given.
        """
        pil, self._opened = self._opened, None
        if pil is None:
            pil = Image.open(io.BytesIO(self.data))
        if box is not None and size is not None:
            scale = draft_scale(box, size)
            if scale > 1:
                # PIL picks the largest power of two <= min(W // w, H // h): exactly ``scale``
                drafted = pil.draft(pil.mode, (self.width // scale, self.height // scale))
                if drafted is not None:
                    factor = self.width / drafted[1][2]
                    box = tuple(v / factor for v in box)
        try:
            pil.load()
        except (OSError, ValueError, SyntaxError) as err:
            raise ImageDecodeError(self.path, f'the decoder failed ({type(err).__name__}: '
                                   f'{err}); the file ({len(self.data)} bytes) is corrupt or '
                                   'truncated') from err
        return (pil if pil.mode == 'RGB' else pil.convert('RGB')), box

    def __repr__(self) -> str:
        return f'EncodedImage({self.path!r}, {self.width}x{self.height})'


def draft_scale(box: Box, size: Tuple[int, int]) -> int:
    """Largest s in (8, 4, 2) with the box spanning >= ``size=(w, h)`` pixels at 1/s; else 1."""
    crop_w, crop_h = box[2] - box[0], box[3] - box[1]
    for scale in DRAFT_SCALES:
        if crop_w >= scale * size[0] and crop_h >= scale * size[1]:
            return scale
    return 1


def image_hw(img) -> Tuple[int, int]:
    """``(height, width)`` of an array, a PIL image or an :class:`EncodedImage`."""
    if isinstance(img, EncodedImage):
        return img.hw
    if isinstance(img, Image.Image):
        return img.size[1], img.size[0]
    return img.shape[:2]


def swap_rb(img: np.ndarray) -> np.ndarray:
    """A new contiguous (H, W, 3) array with the first and last channel swapped (BGR <-> RGB).

    OpenCV's channel swap for uint8 arrays it can read (10x faster than numpy's reversed copy),
    numpy's for the others; the same values either way.
    """
    if img.dtype == np.uint8 and img.strides[-1] == 1 and img.strides[-2] == 3 and min(
            img.strides) > 0:
        return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(img[..., ::-1])


def as_pil(img) -> Image.Image:
    """A PIL image (RGB or grey) of ``img``; arrays are taken as BGR."""
    if isinstance(img, EncodedImage):
        return img.decode()[0]
    if isinstance(img, Image.Image):
        return img
    if img.ndim == 3 and img.shape[2] == 3:
        return Image.fromarray(swap_rb(img))
    return Image.fromarray(img.reshape(img.shape[:2]))


def as_array(img) -> np.ndarray:
    """A BGR (H, W, 3) or grey (H, W) array of ``img``; arrays are returned as they are."""
    if isinstance(img, EncodedImage):
        img = img.decode()[0]
    if isinstance(img, Image.Image):
        if img.mode not in ('RGB', 'L'):
            img = img.convert('RGB')
        out = np.asarray(img)
        return swap_rb(out) if out.ndim == 3 else out.copy()
    return img
