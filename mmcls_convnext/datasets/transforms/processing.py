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
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms import CenterCrop as MMCVCenterCrop
from mmcv.transforms import RandomFlip as MMCVRandomFlip
from mmcv.transforms import Resize as MMCVResize
from mmcv.transforms.utils import cache_randomness
from PIL import Image

from mmcls_convnext.registry import TRANSFORMS

from ..errors import DataConfigError, DataConfigTypeError
from .backends import PIL_FILTERS, RESIZE_INTERPOLATIONS, check_interpolation
from .lazy_image import EncodedImage, as_array, image_hw
from .torch_resize import resize_hwc, resize_lazy

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
