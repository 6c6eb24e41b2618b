"""Geometric transforms: RandomResizedCrop, ResizeEdge, and mmcv's Resize/CenterCrop/RandomFlip.

Images are (H, W, C) uint8 arrays in BGR order, or (see :mod:`.lazy_image`) RGB PIL images and
not yet decoded ``EncodedImage`` JPEGs: the ``'pillow'`` backend and RandomFlip keep a PIL
image as such; mmcv's Resize/CenterCrop and the ``'cv2'`` backend convert it to an array.
Scalar random draws use Python's ``random`` (seeded by mmengine like numpy's, and ~20x cheaper
per draw than ``np.random``). The ``'pillow'`` backend resizes the channel bytes of an array as
they are (resampling is per channel, so the colour order does not matter).
"""
import math
import random
import warnings
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import CenterCrop as MMCVCenterCrop
from mmcv.transforms import RandomFlip as MMCVRandomFlip
from mmcv.transforms import Resize as MMCVResize
from mmcv.transforms.utils import cache_randomness
from mmengine.logging import MMLogger
from PIL import Image

from mmcls_convnext.registry import TRANSFORMS

from ..errors import DataConfigError, DataConfigTypeError, MissingInputError
from . import backends
from .aug_base import check_pad_val, is_number
from .backends import PIL_FILTERS, RESIZE_INTERPOLATIONS, check_interpolation
from .lazy_image import EncodedImage, as_array, image_hw
from .torch_resize import resize_hwc, resize_lazy
from .wrappers import VISION_TRANSFORMS  # noqa: F401 (MMPretrain's import path)

PIL_FLIPS = {'horizontal': Image.FLIP_LEFT_RIGHT, 'vertical': Image.FLIP_TOP_BOTTOM,
             'diagonal': Image.ROTATE_180}
LABEL_KEYS = ('gt_bboxes', 'gt_keypoints', 'gt_seg_map')


class _ArrayInput:
    """Hands the mmcv transform it precedes in the MRO the BGR array of a PIL / encoded image."""

    def transform(self, results: dict) -> dict:
        if results.get('img') is not None:
            results['img'] = as_array(results['img'])
        return super().transform(results)


# mmcv's classes have the semantics MMPretrain users know: registered under our scope, taking
# a PIL or encoded image as its BGR array.
@TRANSFORMS.register_module(name='Resize')
class Resize(_ArrayInput, MMCVResize):
    __doc__ = MMCVResize.__doc__


@TRANSFORMS.register_module(name='CenterCrop')
class CenterCrop(_ArrayInput, MMCVCenterCrop):
    __doc__ = MMCVCenterCrop.__doc__


@TRANSFORMS.register_module()
class RandomFlip(MMCVRandomFlip):
    """mmcv's ``RandomFlip`` (same arguments), with a fast draw for one direction.

    mmcv draws with ``np.random.choice`` over a probability list (~0.2 ms per image); for the
    common ``prob=<float>, direction=<str>`` case one ``random.random()`` gives the same law.
    A PIL image is flipped by PIL (the same pixels) and stays a PIL image.
    """

    @cache_randomness
    def _choose_direction(self) -> Optional[str]:
        if isinstance(self.prob, float) and isinstance(self.direction, str):
            return self.direction if random.random() < self.prob else None
        return super()._choose_direction.__wrapped__(self)

    def _flip(self, results: dict) -> None:
        img = results['img']
        if isinstance(img, np.ndarray) or any(results.get(k) is not None for k in LABEL_KEYS):
            results['img'] = as_array(img)
            return super()._flip(results)
        if isinstance(img, EncodedImage):
            img = img.decode()[0]
        results['img'] = img.transpose(PIL_FLIPS[results['flip_direction']])

def check_backend(backend: str, interpolation: str, op: str = '') -> None:
    """Raise DataConfigError for an unknown backend or an interpolation it lacks (the table
    of :mod:`.backends`)."""
    check_interpolation(interpolation, backend, op, RESIZE_INTERPOLATIONS)


def resize_image(img, size: Tuple[int, int], backend: str, interpolation: str,
                 box: Optional[Tuple[float, float, float, float]] = None,
                 reduced_decode: bool = False):
    """Crop ``img`` to ``box=(x0, y0, x1, y1)`` (optional), then resize it to ``size=(w, h)``.

    The crop comes first, so the resampling never reads pixels outside the box: the pixels of
    timm's / torchvision's ``resized_crop`` and of MMPretrain's crop + resize, both backends.
    An array gives an array. With ``backend='pillow'`` a PIL image gives a PIL image, and an
    ``EncodedImage`` is decoded (at a reduced JPEG scale if ``reduced_decode`` and the box
    allows) into one; with ``'cv2'`` both are converted to BGR arrays first. ``'torch'`` is
    Pillow's filter on torch's uint8 kernel (:mod:`.torch_resize`): arrays and PIL images
    keep their kind; an ``EncodedImage`` becomes a BGR array (or, decoded at a reduced
    scale, a PIL image).
    """
    if backend == 'torch':
        if isinstance(img, (Image.Image, EncodedImage)):
            return resize_lazy(img, size, interpolation, box, reduced_decode)
        return resize_hwc(img, size, interpolation, box)
    if backend == 'pillow' and isinstance(img, (Image.Image, EncodedImage)):
        if isinstance(img, EncodedImage):
            img, box = img.decode(box, size if reduced_decode else None)
        img, box = _crop_pil(img, box)
        return img.resize(size, PIL_FILTERS[interpolation], box=box)
    img = as_array(img)
    if box is not None:
        img = img[box[1]:box[3], box[0]:box[2]]
    if backend == 'pillow':
        squeeze = img.ndim == 3 and img.shape[2] == 1
        pil = Image.fromarray(img[..., 0] if squeeze else img)
        out = np.asarray(pil.resize(size, PIL_FILTERS[interpolation]))
        return out[..., None] if squeeze else out
    return mmcv.imresize(img, size, interpolation=interpolation, backend='cv2')


def _crop_pil(img: Image.Image, box):
    """``img`` cropped to the pixels ``box`` touches, and ``box`` within the crop (None when
    the crop is the box: integer boxes, e.g. every box when no reduced decode happened)."""
    if box is None:
        return img, None
    outer = (math.floor(box[0]), math.floor(box[1]), math.ceil(box[2]), math.ceil(box[3]))
    if outer != (0, 0) + img.size:
        img = img.crop(outer)
    if tuple(box) == outer:
        return img, None
    return img, (box[0] - outer[0], box[1] - outer[1], box[2] - outer[0], box[3] - outer[1])


def _to_hw(scale: Union[int, Sequence[int]], name: str) -> Tuple[int, int]:
    """``scale`` as ``(h, w)``: an int means a square."""
    if isinstance(scale, int) and not isinstance(scale, bool):
        size = (scale, scale)
    elif (isinstance(scale, Sequence) and len(scale) == 2
          and all(isinstance(s, int) and not isinstance(s, bool) for s in scale)):
        size = (int(scale[0]), int(scale[1]))
    else:
        raise DataConfigTypeError(f'{name} must be an int or an (h, w) pair of ints; got '
                                  f'{scale!r}.')
    if min(size) <= 0:
        raise DataConfigError(f'{name} must be positive; got {scale!r}.')
    return size


def _check_range(value: Sequence[float], name: str, low: float, high: float) -> tuple:
    if (not isinstance(value, Sequence) or len(value) != 2
            or not low <= value[0] <= value[1] <= high):
        raise DataConfigError(f'{name} must be (min, max) with {low} <= min <= max <= {high}; '
                              f'got {value!r}.')
    return (float(value[0]), float(value[1]))


@TRANSFORMS.register_module()
class RandomResizedCrop(BaseTransform):
    """Crop a random area and aspect ratio of the image, then resize it to ``scale``.

    The crop covers a fraction of the image area drawn uniformly from ``crop_ratio_range``, with
    an aspect ratio drawn log-uniformly from ``aspect_ratio_range``; after ``max_attempts``
    misses it falls back to a central crop clipped to the ratio range (as torchvision and timm).

    Args:
        scale: output size, int (square) or ``(h, w)`` (as MMPretrain and torchvision).
        crop_ratio_range: range of the crop's area relative to the image.
        aspect_ratio_range: range of the crop's width / height.
        max_attempts: random draws before the central fallback.
        interpolation: resampling method.
        backend: ``'cv2'``, ``'pillow'`` or ``'torch'`` (Pillow's filters on torch's uint8
            kernels, within 2 grey levels of ``'pillow'``, ~4x faster; the ImageNet recipe
            uses torch + bicubic).
        reduced_decode: with ``backend='pillow'`` and a not yet decoded JPEG
            (``LoadImageFromFile(lazy_decode=True)``), decode it at the smallest JPEG scale
            (1/2, 1/4, 1/8) at which the crop still has at least ``scale`` pixels in each
            direction (same crop region; see :mod:`.lazy_image`). False: decode in full.
    """

    def __init__(self, scale: Union[int, Sequence[int]],
                 crop_ratio_range: Tuple[float, float] = (0.08, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4., 4. / 3.),
                 max_attempts: int = 10, interpolation: str = 'bilinear',
                 backend: str = 'cv2', reduced_decode: bool = True) -> None:
        self.scale = _to_hw(scale, 'RandomResizedCrop scale')
        self.crop_ratio_range = _check_range(crop_ratio_range, 'crop_ratio_range', 0., 1.)
        self.aspect_ratio_range = _check_range(aspect_ratio_range, 'aspect_ratio_range',
                                               1e-6, math.inf)
        if not isinstance(max_attempts, int) or max_attempts < 0:
            raise DataConfigError(f'max_attempts must be a non-negative int; got '
                                  f'{max_attempts!r}.')
        check_backend(backend, interpolation)
        if not isinstance(reduced_decode, bool):
            raise DataConfigError(f'reduced_decode must be True or False; got '
                                  f'{reduced_decode!r}.')
        self.max_attempts = max_attempts
        self.interpolation = interpolation
        self.backend = backend
        self.reduced_decode = reduced_decode

    def get_params(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """Draw a crop ``(top, left, crop_h, crop_w)`` for an image of the given size."""
        area = height * width
        log_ratio = (math.log(self.aspect_ratio_range[0]), math.log(self.aspect_ratio_range[1]))
        for _ in range(self.max_attempts):
            target_area = random.uniform(*self.crop_ratio_range) * area
            aspect = math.exp(random.uniform(*log_ratio))
            crop_w = int(round(math.sqrt(target_area * aspect)))
            crop_h = int(round(math.sqrt(target_area / aspect)))
            if 0 < crop_w <= width and 0 < crop_h <= height:
                top = random.randint(0, height - crop_h)
                left = random.randint(0, width - crop_w)
                return top, left, crop_h, crop_w
        in_ratio = width / height
        if in_ratio < self.aspect_ratio_range[0]:
            crop_w, crop_h = width, int(round(width / self.aspect_ratio_range[0]))
        elif in_ratio > self.aspect_ratio_range[1]:
            crop_h, crop_w = height, int(round(height * self.aspect_ratio_range[1]))
        else:
            crop_h, crop_w = height, width
        return (height - crop_h) // 2, (width - crop_w) // 2, crop_h, crop_w

    def transform(self, results: dict) -> dict:
        img = results['img']
        top, left, crop_h, crop_w = self.get_params(*image_hw(img))
        box = (left, top, left + crop_w, top + crop_h)
        img = resize_image(img, self.scale[::-1], self.backend, self.interpolation, box=box,
                           reduced_decode=self.reduced_decode)
        results['img'] = img
        results['img_shape'] = image_hw(img)
        return results

    def __repr__(self) -> str:
        crop = tuple(round(s, 4) for s in self.crop_ratio_range)
        aspect = tuple(round(r, 4) for r in self.aspect_ratio_range)
        return (f'{self.__class__.__name__}(scale={self.scale}, crop_ratio_range={crop}, '
                f'aspect_ratio_range={aspect}, max_attempts={self.max_attempts}, '
                f'interpolation={self.interpolation}, backend={self.backend}'
                + ('' if self.reduced_decode else ', reduced_decode=False') + ')')


@TRANSFORMS.register_module()
class ResizeEdge(BaseTransform):
    """Resize so that one edge equals ``scale``, keeping the aspect ratio.

    The other edge becomes ``int(scale * other / edge)`` (floor, as torchvision's ``Resize(int)``).

    Args:
        scale: target length of the chosen edge.
        edge: ``'short'``, ``'long'``, ``'width'`` or ``'height'``.
        backend: ``'cv2'``, ``'pillow'`` or ``'torch'`` (see :class:`RandomResizedCrop`).
        interpolation: resampling method.
    """

    EDGES = ('short', 'long', 'width', 'height')

    def __init__(self, scale: int, edge: str = 'short', backend: str = 'cv2',
                 interpolation: str = 'bilinear') -> None:
        if not isinstance(scale, int) or isinstance(scale, bool) or scale <= 0:
            raise DataConfigError(f'ResizeEdge scale must be a positive int; got {scale!r}.')
        if edge not in self.EDGES:
            raise DataConfigError(f'Invalid edge "{edge}", please specify from '
                                  f'{list(self.EDGES)} (ResizeEdge edge must be one of '
                                  f'{self.EDGES}).')
        check_backend(backend, interpolation)
        self.scale, self.edge = scale, edge
        self.backend, self.interpolation = backend, interpolation

    def target_size(self, height: int, width: int) -> Tuple[int, int]:
        """Output ``(w, h)`` for an input of the given size."""
        edge = self.edge
        if edge in ('short', 'long'):
            width_is_edge = (width <= height) == (edge == 'short')
            edge = 'width' if width_is_edge else 'height'
        if edge == 'width':
            return self.scale, max(1, int(self.scale * height / width))
        return max(1, int(self.scale * width / height)), self.scale

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = image_hw(img)
        size = self.target_size(height, width)
        if size != (width, height):
            img = resize_image(img, size, self.backend, self.interpolation)
        elif isinstance(img, EncodedImage):
            img = img.decode()[0] if self.backend != 'cv2' else as_array(img)
        results['img'] = img
        results['img_shape'] = image_hw(img)
        results['scale'] = size
        results['scale_factor'] = (size[0] / width, size[1] / height)
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(scale={self.scale}, edge={self.edge}, '
                f'backend={self.backend}, interpolation={self.interpolation})')


def _require_img(results: dict, op: str):
    if 'img' not in results:
        raise MissingInputError(f'{op}: No `img` field in the input (results has '
                                f'{sorted(results)}); put a loading transform before it.')
    return results['img']


@TRANSFORMS.register_module()
class RandomCrop(BaseTransform):
    """Crop a random ``crop_size`` window of the image (MMPretrain's arguments and draws).

    The image is first padded by ``padding`` (if given), then, with ``pad_if_needed``, by half
    the missing size on each side; the window's top then left corner are drawn with
    ``np.random.randint(0, h - crop_h + 1)`` / ``(0, w - crop_w + 1)``: every position equally
    likely. A window larger than the (padded) image is shrunk to it (no error), as MMPretrain.
    Both paddings use ``padding_mode`` (MMPretrain's code uses it only for ``pad_if_needed``
    and pads ``padding`` with the constant; torchvision, whose arguments these are, uses it
    for both).

    Args:
        crop_size: output ``(h, w)``, or an int for a square.
        padding: border added first: an int (all sides), ``(left/right, top/bottom)`` or
            ``(left, top, right, bottom)``; None: none.
        pad_if_needed: pad an image smaller than ``crop_size`` so the window fits.
        pad_val: fill of ``padding_mode='constant'``, a number or one per channel (BGR).
        padding_mode: ``'constant'``, ``'edge'``, ``'reflect'`` or ``'symmetric'``.
    """

    PADDING_MODES = ('constant', 'edge', 'reflect', 'symmetric')

    def __init__(self, crop_size: Union[int, Sequence[int]],
                 padding: Optional[Union[int, Sequence[int]]] = None,
                 pad_if_needed: bool = False,
                 pad_val: Union[float, Sequence[float]] = 0,
                 padding_mode: str = 'constant') -> None:
        self.crop_size = _to_hw(crop_size, 'RandomCrop crop_size')
        if padding is not None and not (
                (isinstance(padding, int) and not isinstance(padding, bool) and padding >= 0)
                or (isinstance(padding, Sequence) and len(padding) in (2, 4)
                    and all(isinstance(p, int) and p >= 0 for p in padding))):
            raise DataConfigError(f'RandomCrop padding must be None, an int >= 0 or 2 / 4 ints '
                                  f'>= 0 (left, top, right, bottom); got {padding!r}.')
        if padding_mode not in self.PADDING_MODES:
            raise DataConfigError(f'RandomCrop padding_mode must be one of '
                                  f'{self.PADDING_MODES}; got {padding_mode!r}.')
        if not isinstance(pad_if_needed, bool):
            raise DataConfigTypeError(f'RandomCrop pad_if_needed must be True or False; got '
                                      f'{pad_if_needed!r}.')
        self.padding = tuple(padding) if isinstance(padding, Sequence) else padding
        self.pad_if_needed = pad_if_needed
        pad_val = check_pad_val(pad_val, 'RandomCrop')
        self.pad_val = pad_val[0] if isinstance(pad_val, tuple) and len(pad_val) == 1 else pad_val
        self.padding_mode = padding_mode

    @cache_randomness
    def rand_crop_params(self, img: np.ndarray) -> Tuple[int, int, int, int]:
        """``(offset_h, offset_w, crop_h, crop_w)`` of this call's window in ``img``."""
        h, w = img.shape[:2]
        crop_h, crop_w = min(self.crop_size[0], h), min(self.crop_size[1], w)
        if (crop_h, crop_w) == (h, w):
            return 0, 0, h, w
        offset_h = np.random.randint(0, h - crop_h + 1)
        offset_w = np.random.randint(0, w - crop_w + 1)
        return offset_h, offset_w, crop_h, crop_w

    def transform(self, results: dict) -> dict:
        img = as_array(_require_img(results, 'RandomCrop'))
        if self.padding is not None:
            img = mmcv.impad(img, padding=self.padding, pad_val=self.pad_val,
                             padding_mode=self.padding_mode)
        if self.pad_if_needed:
            pad_h = math.ceil(max(0, self.crop_size[0] - img.shape[0]) / 2)
            pad_w = math.ceil(max(0, self.crop_size[1] - img.shape[1]) / 2)
            if pad_h or pad_w:
                img = mmcv.impad(img, padding=(pad_w, pad_h, pad_w, pad_h),
                                 pad_val=self.pad_val, padding_mode=self.padding_mode)
        top, left, crop_h, crop_w = self.rand_crop_params(img)
        img = img[top:top + crop_h, left:left + crop_w]
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, padding={self.padding}, '
                f'pad_if_needed={self.pad_if_needed}, pad_val={self.pad_val}, '
                f'padding_mode={self.padding_mode})')


def _non_negative(value, name: str, op: str):
    if not is_number(value) or value < 0:
        raise DataConfigError(f'{op}: {name} should be no less than 0; got {value!r}.')
    return value


def _efficientnet_center_box(h: int, w: int, size: int, crop_padding: int):
    """The EfficientNet (TF TPU) centre crop: a square of side ``size / (size + crop_padding)``
    of the short edge (floored to whole pixels), centred (offsets rounded)."""
    side = size / (size + crop_padding) * min(h, w)
    top = max(0, int(round((h - side) / 2.)))
    left = max(0, int(round((w - side) / 2.)))
    side = max(1, int(side))
    return left, top, min(w, left + side), min(h, top + side)


@TRANSFORMS.register_module()
class EfficientNetRandomCrop(RandomResizedCrop):
    """EfficientNet's random crop (TF's ``sample_distorted_bounding_box``), then a resize.

    Each of ``max_attempts`` draws takes an aspect ratio uniform in ``aspect_ratio_range``,
    a height uniform between those giving the area bounds of ``crop_ratio_range`` (clipped to
    the image), the width from the ratio; it is kept when its area is within the bounds and
    at least ``min_covered`` of the image and it fits, and placed uniformly. Otherwise the
    EfficientNet centre crop (:class:`EfficientNetCenterCrop`'s box). Draws use
    ``np.random`` in MMPretrain's order (seeded per worker by mmengine).

    Args:
        scale: output side (int only: a square).
        min_covered: smallest kept crop area relative to the image.
        crop_padding: the centre-crop fallback keeps ``scale / (scale + crop_padding)`` of the
            short edge.
        interpolation: default ``'bicubic'`` (MMPretrain's); see :mod:`.backends`.
        crop_ratio_range, aspect_ratio_range, max_attempts, backend: as
            :class:`RandomResizedCrop`.
    """

    def __init__(self, scale: int, min_covered: float = 0.1, crop_padding: int = 32,
                 interpolation: str = 'bicubic',
                 crop_ratio_range: Tuple[float, float] = (0.08, 1.0),
                 aspect_ratio_range: Tuple[float, float] = (3. / 4., 4. / 3.),
                 max_attempts: int = 10, backend: str = 'cv2') -> None:
        if not isinstance(scale, int) or isinstance(scale, bool):
            raise DataConfigTypeError(f'EfficientNetRandomCrop scale must be an int (a square '
                                      f'output); got {scale!r}.')
        super().__init__(scale, crop_ratio_range=crop_ratio_range,
                         aspect_ratio_range=aspect_ratio_range, max_attempts=max_attempts,
                         interpolation=interpolation, backend=backend)
        self.min_covered = _non_negative(min_covered, 'min_covered', 'EfficientNetRandomCrop')
        self.crop_padding = _non_negative(crop_padding, 'crop_padding',
                                          'EfficientNetRandomCrop')

    def get_params(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """Draw a crop ``(top, left, crop_h, crop_w)`` for an image of the given size."""
        area = height * width
        min_area, max_area = (r * area for r in self.crop_ratio_range)
        for _ in range(self.max_attempts):
            ratio = np.random.uniform(*self.aspect_ratio_range)
            min_h = int(round(math.sqrt(min_area / ratio)))
            max_h = int(round(math.sqrt(max_area / ratio)))
            if max_h * ratio > width:  # the widest crop must fit (TF's rounding guard)
                max_h = int((width + 0.5 - 1e-7) / ratio)
                if max_h * ratio > width:
                    max_h -= 1
            max_h = min(max_h, height)
            min_h = min(max_h, min_h)
            crop_h = int(round(np.random.uniform(min_h, max_h)))
            crop_w = int(round(crop_h * ratio))
            crop_area = crop_h * crop_w
            if (crop_area < min_area or crop_area > max_area or crop_w > width
                    or crop_h > height or crop_area < self.min_covered * area
                    or crop_h <= 0 or crop_w <= 0):
                continue
            top = np.random.randint(0, height - crop_h + 1)
            left = np.random.randint(0, width - crop_w + 1)
            return top, left, crop_h, crop_w
        x0, y0, x1, y1 = _efficientnet_center_box(height, width, self.scale[0],
                                                  self.crop_padding)
        return y0, x0, y1 - y0, x1 - x0

    def __repr__(self) -> str:
        return (super().__repr__()[:-1] + f', min_covered={self.min_covered}, '
                f'crop_padding={self.crop_padding})')


@TRANSFORMS.register_module()
class EfficientNetCenterCrop(BaseTransform):
    """EfficientNet's centre crop: keep ``crop_size / (crop_size + crop_padding)`` of the
    short edge (a centred square), then resize it to ``crop_size``.

    With the defaults (224, 32) that is the 0.875 crop ratio of ``ResizeEdge(256)`` +
    ``CenterCrop(224)``, taken from the original image in one resize.

    Args:
        crop_size: output side (int).
        crop_padding: see above.
        interpolation: default ``'bicubic'``; ``backend``: ``'cv2'``, ``'pillow'`` or
            ``'torch'`` (:mod:`.backends`).
    """

    def __init__(self, crop_size: int, crop_padding: int = 32, interpolation: str = 'bicubic',
                 backend: str = 'cv2') -> None:
        if not isinstance(crop_size, int) or isinstance(crop_size, bool):
            raise DataConfigTypeError(f'EfficientNetCenterCrop crop_size must be an int; got '
                                      f'{crop_size!r}.')
        if crop_size <= 0:
            raise DataConfigError(f'EfficientNetCenterCrop crop_size must be > 0; got '
                                  f'{crop_size!r}.')
        self.crop_padding = _non_negative(crop_padding, 'crop_padding',
                                          'EfficientNetCenterCrop')
        check_backend(backend, interpolation, 'EfficientNetCenterCrop')
        self.crop_size = crop_size
        self.interpolation = interpolation
        self.backend = backend

    def transform(self, results: dict) -> dict:
        img = _require_img(results, 'EfficientNetCenterCrop')
        box = _efficientnet_center_box(*image_hw(img), self.crop_size, self.crop_padding)
        img = resize_image(img, (self.crop_size, self.crop_size), self.backend,
                           self.interpolation, box=box)
        results['img'] = img
        results['img_shape'] = image_hw(img)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(crop_size={self.crop_size}, crop_padding='
                f'{self.crop_padding}, interpolation={self.interpolation}, '
                f'backend={self.backend})')


def _jitter_range(value, name: str, center: float, bound: Tuple[float, float]):
    """``(min, max)`` of a jitter factor: a number v means (center - v, center + v); a pair is
    taken as given. Values outside ``bound`` are clipped with a warning (as MMPretrain);
    None when the range is the identity."""
    if is_number(value):
        if value < 0:
            raise DataConfigError(f'If {name} is a single number, it must be non negative; '
                                  f'got ColorJitter {name}={value!r}.')
        value = (center - float(value), center + float(value))
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(is_number(v) for v in value)):
        raise DataConfigTypeError(f'ColorJitter {name} should be a single number or a '
                                  f'list/tuple with length 2; got {value!r}.')
    if value[0] > value[1]:
        raise DataConfigError(f'ColorJitter {name} must be (min, max) with min <= max; got '
                              f'{value!r}.')
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        clipped = tuple(float(np.clip(v, *bound)) for v in value)
        MMLogger.get_current_instance().warning(
            f'ColorJitter {name} values {tuple(value)} exceed the bound {bound}, clipped to '
            f'{clipped}.')
        value = clipped
    if value[0] == value[1] == center:
        return None
    return tuple(float(v) for v in value)


@TRANSFORMS.register_module()
class ColorJitter(BaseTransform):
    """Jitter brightness, contrast, saturation and hue, in a random order (torchvision's).

    Per call: the order of the four adjustments is ``np.random.permutation(4)``, then each
    factor is drawn uniformly from its range (brightness, contrast, saturation, hue, in that
    order; a disabled one draws nothing), as MMPretrain. The adjustments are mmcv's
    ``adjust_brightness`` / ``adjust_contrast`` / ``adjust_color`` / ``adjust_hue`` with
    ``backend`` (``'pillow'``: PIL's ImageEnhance, torchvision's kernels).

    Args:
        brightness, contrast, saturation: a number v >= 0 (factor in ``[1 - v, 1 + v]``,
            clipped at 0) or ``(min, max)``; 0: off.
        hue: a number v in [0, 0.5] (shift in ``[-v, v]`` of the hue circle) or ``(min,
            max)`` within [-0.5, 0.5]; 0: off.
        backend: ``'pillow'`` (default, as MMPretrain) or ``'cv2'``.
    """

    def __init__(self, brightness: Union[float, Sequence[float]] = 0.,
                 contrast: Union[float, Sequence[float]] = 0.,
                 saturation: Union[float, Sequence[float]] = 0.,
                 hue: Union[float, Sequence[float]] = 0., backend: str = 'pillow') -> None:
        self.brightness = _jitter_range(brightness, 'brightness', 1., (0, math.inf))
        self.contrast = _jitter_range(contrast, 'contrast', 1., (0, math.inf))
        self.saturation = _jitter_range(saturation, 'saturation', 1., (0, math.inf))
        self.hue = _jitter_range(hue, 'hue', 0., (-0.5, 0.5))
        self.backend = backends.check_backend(backend, 'ColorJitter', backends.OP_BACKENDS)

    @cache_randomness
    def _rand_params(self):
        order = np.random.permutation(4)
        factors = [None if r is None else np.random.uniform(r[0], r[1])
                   for r in (self.brightness, self.contrast, self.saturation, self.hue)]
        return order, factors

    def transform(self, results: dict) -> dict:
        img = as_array(_require_img(results, 'ColorJitter'))
        order, (brightness, contrast, saturation, hue) = self._rand_params()
        for index in order:
            if index == 0 and brightness is not None:
                img = mmcv.adjust_brightness(img, brightness, backend=self.backend)
            elif index == 1 and contrast is not None:
                img = mmcv.adjust_contrast(img, contrast, backend=self.backend)
            elif index == 2 and saturation is not None:
                with warnings.catch_warnings():  # mmcv warns on every pillow call; we pass alpha
                    warnings.filterwarnings('ignore', message="Only use 'alpha' for pillow")
                    img = mmcv.adjust_color(img, alpha=saturation, backend=self.backend)
            elif index == 3 and hue is not None:
                # a numpy scalar: mmcv computes np.uint8(hue * 255), which numpy 2 refuses for
                # a negative Python float but casts modulo 256 (the hue wrap) for a numpy one
                img = mmcv.adjust_hue(img, np.float64(hue), backend=self.backend)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, '
                f'saturation={self.saturation}, hue={self.hue})')


@TRANSFORMS.register_module()
class Lighting(BaseTransform):
    """AlexNet's PCA lighting noise: add ``eigvec @ (alpha * eigval)`` to every pixel.

    ``alpha ~ N(0, alphastd)`` per eigenvalue, drawn with ``np.random.normal`` per call (as
    mmcv's ``adjust_lighting``). ``eigval`` / ``eigvec`` describe the colour covariance in the
    order named by ``to_rgb``: True means they are RGB statistics (the usual ImageNet ones)
    for a BGR image, so the shift is computed in RGB and added to the matching channels; the
    image keeps its BGR order (mmcv's ``adjust_lighting(to_rgb=True)`` returns an RGB image
    instead, which the data preprocessor's ``to_rgb`` would swap a second time). uint8 images
    are clipped to [0, 255] and truncated, float images returned as float.

    Args:
        eigval: the eigenvalues (a sequence of numbers).
        eigvec: the eigenvectors, one per column: a list of 3 rows of ``len(eigval)`` numbers.
        alphastd: standard deviation of ``alpha``; 0 disables the noise.
        to_rgb: see above. Default False (MMPretrain's).
    """

    def __init__(self, eigval: Sequence[float], eigvec: Sequence[Sequence[float]],
                 alphastd: float = 0.1, to_rgb: bool = False) -> None:
        if (not isinstance(eigval, Sequence) or isinstance(eigval, str)
                or not all(is_number(v) for v in eigval) or not eigval):
            raise DataConfigTypeError(f'Lighting eigval must be a sequence of numbers; got '
                                      f'{eigval!r}.')
        if (not isinstance(eigvec, Sequence) or len(eigvec) != 3
                or not all(isinstance(row, Sequence) and len(row) == len(eigval)
                           and all(is_number(v) for v in row) for row in eigvec)):
            raise DataConfigError(f'Lighting eigvec must be 3 rows (the colour channels) of '
                                  f'{len(eigval)} numbers (one per eigenvalue); got {eigvec!r}.')
        if not is_number(alphastd) or alphastd < 0:
            raise DataConfigTypeError(f'Lighting alphastd must be a number >= 0; got '
                                      f'{alphastd!r}.')
        if not isinstance(to_rgb, bool):
            raise DataConfigTypeError(f'Lighting to_rgb must be True or False; got {to_rgb!r}.')
        self.eigval = np.array(eigval, dtype=np.float64)
        self.eigvec = np.array(eigvec, dtype=np.float64)
        self.alphastd = alphastd
        self.to_rgb = to_rgb

    def transform(self, results: dict) -> dict:
        img = as_array(_require_img(results, 'Lighting'))
        alpha = np.random.normal(0, self.alphastd, self.eigval.shape[0])
        shift = self.eigvec @ (alpha * self.eigval)  # one value per channel, eigvec's order
        if self.to_rgb:
            shift = shift[::-1]
        out = img.astype(np.float32) + shift.astype(np.float32)
        if img.dtype == np.uint8:
            out = np.clip(out, 0, 255)
        results['img'] = out.astype(img.dtype) if img.dtype == np.uint8 else out
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(eigval={self.eigval.tolist()}, eigvec='
                f'{self.eigvec.tolist()}, alphastd={self.alphastd}, to_rgb={self.to_rgb})')
