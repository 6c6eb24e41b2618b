"""RandAugment's geometric ops: Rotate, Shear, Translate (MMPretrain's arguments).

Both backends move the content the same way for the same argument (mmcv's conventions):
a positive angle rotates clockwise, a positive horizontal shear ``m`` moves row ``y`` right by
``m * y``, a positive horizontal translation moves the content right. ``'cv2'`` calls
``mmcv.imrotate`` / ``mmcv.imshear`` / ``mmcv.imtranslate``; ``'pillow'`` calls PIL's
``rotate`` / ``transform(AFFINE)`` exactly as timm's RandAugment does (timm's positive
arguments move content the other way; the ops negate with probability 1/2, so the
distributions are the same). The backends differ by PIL's and OpenCV's pixel-centre and
interpolation conventions.
"""
from typing import Optional, Sequence, Tuple, Union

import mmcv
import numpy as np
from PIL import Image

from mmcls_convnext.registry import TRANSFORMS

from ..errors import DataConfigError
from .aug_base import (
    BaseAugTransform,
    PadVal,
    check_interpolation,
    check_pad_val,
    is_number,
    pil_fill,
)
from .backends import PIL_FILTERS

DIRECTIONS = ('horizontal', 'vertical')


def _check_direction(direction: str, op: str) -> str:
    if direction not in DIRECTIONS:
        raise DataConfigError(f'{op}: direction must be either "horizontal" or "vertical", '
                              f'got "{direction}" instead.')
    return direction


class _AffineOp(BaseAugTransform):
    """Shared part of Shear and Translate: magnitude, direction, fill and interpolation."""

    MAGNITUDE_KEY = 'magnitude'
    DEFAULT_INTERPOLATION = 'nearest'

    def __init__(self, magnitude: Optional[float] = None, pad_val: PadVal = 128,
                 prob: float = 0.5, direction: str = 'horizontal',
                 random_negative_prob: float = 0.5, interpolation: Optional[str] = None,
                 backend: str = 'cv2', magnitude_level: float = 10,
                 magnitude_range: Optional[Sequence] = None, magnitude_std: Union[float, str] = 0.,
                 total_level: float = 10) -> None:
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=random_negative_prob, backend=backend)
        op = type(self).__name__
        self.magnitude = self._given_or_range(magnitude, 'magnitude')
        self.pad_val = check_pad_val(pad_val, op)
        self.direction = _check_direction(direction, op)
        if interpolation is None:
            interpolation = self.DEFAULT_INTERPOLATION
        self.interpolation = check_interpolation(interpolation, backend, op)

    def _pil_affine(self, pil: Image.Image, matrix: Tuple[float, ...]) -> Image.Image:
        return pil.transform(pil.size, Image.AFFINE, matrix,
                             resample=PIL_FILTERS[self.interpolation],
                             fillcolor=pil_fill(self.pad_val, pil))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(magnitude={self.magnitude}, pad_val={self.pad_val}, '
                f'prob={self.prob}, direction={self.direction}, random_negative_prob='
                f'{self.random_negative_prob}, interpolation={self.interpolation}'
                f'{self.extra_repr()})')


@TRANSFORMS.register_module()
class Shear(_AffineOp):
    """Shear the image: horizontally, pixel (x, y) moves to (x + magnitude * y, y).

    Args:
        magnitude: shear factor; None draws it from ``magnitude_range``.
        pad_val: fill of uncovered pixels, one value or one per channel (BGR order).
        prob: probability of shearing.
        direction: ``'horizontal'`` or ``'vertical'``.
        random_negative_prob: probability of negating the factor.
        interpolation: ``'nearest'``, ``'bilinear'``, ``'bicubic'`` (both backends),
            ``'area'``, ``'lanczos'`` (cv2 only); None: ``'bicubic'`` (MMPretrain's default).
        backend: ``'cv2'`` (``mmcv.imshear``) or ``'pillow'`` (timm's PIL affine shear).
        magnitude_level, magnitude_range, magnitude_std, total_level: see
            :class:`BaseAugTransform`.
    """

    DEFAULT_INTERPOLATION = 'bicubic'

    def _cv2(self, img: np.ndarray, magnitude: float) -> np.ndarray:
        out = mmcv.imshear(img, magnitude, direction=self.direction,
                           border_value=self.pad_val, interpolation=self.interpolation)
        return out.astype(img.dtype)

    def _pil(self, pil: Image.Image, magnitude: float) -> Image.Image:
        # PIL maps each output pixel to the input pixel it samples: the inverse shear.
        if self.direction == 'horizontal':
            return self._pil_affine(pil, (1, -magnitude, 0, 0, 1, 0))
        return self._pil_affine(pil, (1, 0, 0, -magnitude, 1, 0))


@TRANSFORMS.register_module()
class Translate(_AffineOp):
    """Shift the image by ``magnitude`` times its width (horizontal) or height (vertical).

    Args:
        magnitude: shift as a fraction of the image size (1 moves it all out); None draws it
            from ``magnitude_range``.
        pad_val, prob, direction, random_negative_prob, magnitude_*: as :class:`Shear`.
        interpolation: as :class:`Shear`; None: ``'nearest'`` (MMPretrain's default).
        backend: ``'cv2'`` (``mmcv.imtranslate``) or ``'pillow'`` (timm's PIL affine shift).
    """

    def _offset(self, height: int, width: int, magnitude: float) -> float:
        return magnitude * (width if self.direction == 'horizontal' else height)

    def _cv2(self, img: np.ndarray, magnitude: float) -> np.ndarray:
        offset = self._offset(*img.shape[:2], magnitude)
        out = mmcv.imtranslate(img, offset, direction=self.direction,
                               border_value=self.pad_val, interpolation=self.interpolation)
        return out.astype(img.dtype)

    def _pil(self, pil: Image.Image, magnitude: float) -> Image.Image:
        offset = self._offset(pil.size[1], pil.size[0], magnitude)
        if self.direction == 'horizontal':
            return self._pil_affine(pil, (1, 0, -offset, 0, 1, 0))
        return self._pil_affine(pil, (1, 0, 0, 0, 1, -offset))


@TRANSFORMS.register_module()
class Rotate(BaseAugTransform):
    """Rotate the image about ``center``; a positive angle turns it clockwise.

    Args:
        angle: degrees; None draws it from ``magnitude_range``.
        center: ``(x, y)`` of the rotation centre in pixel coordinates (pixel centres at
            integers); None: the image centre ``((w - 1) / 2, (h - 1) / 2)``.
        scale: isotropic scale factor (``backend='cv2'`` only).
        pad_val: fill of uncovered pixels, one value or one per channel (BGR order).
        prob: probability of rotating.
        random_negative_prob: probability of negating the angle.
        interpolation: as :class:`Shear`; default ``'nearest'`` (MMPretrain's).
        backend: ``'cv2'`` (``mmcv.imrotate``) or ``'pillow'`` (timm's ``Image.rotate``).
        magnitude_level, magnitude_range, magnitude_std, total_level: see
            :class:`BaseAugTransform`.
    """

    MAGNITUDE_KEY = 'angle'

    def __init__(self, angle: Optional[float] = None,
                 center: Optional[Tuple[float, float]] = None, scale: float = 1.0,
                 pad_val: PadVal = 128, prob: float = 0.5, random_negative_prob: float = 0.5,
                 interpolation: str = 'nearest', backend: str = 'cv2',
                 magnitude_level: float = 10, magnitude_range: Optional[Sequence] = None,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10) -> None:
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=random_negative_prob, backend=backend)
        self.angle = self._given_or_range(angle, 'angle')
        if center is not None and not (isinstance(center, Sequence) and len(center) == 2
                                       and all(is_number(c) for c in center)):
            raise DataConfigError(f'Rotate: center must be None or (x, y); got {center!r}.')
        self.center = None if center is None else tuple(center)
        if not is_number(scale) or scale <= 0:
            raise DataConfigError(f'Rotate: scale must be a number > 0; got {scale!r}.')
        if backend == 'pillow' and scale != 1:
            raise DataConfigError(f"Rotate: scale={scale} needs backend='cv2' (PIL's rotate "
                                  'does not scale).')
        self.scale = scale
        self.pad_val = check_pad_val(pad_val, 'Rotate')
        self.interpolation = check_interpolation(interpolation, backend, 'Rotate')

    def _cv2(self, img: np.ndarray, angle: float) -> np.ndarray:
        out = mmcv.imrotate(img, angle, center=self.center, scale=self.scale,
                            border_value=self.pad_val, interpolation=self.interpolation)
        return out.astype(img.dtype)

    def _pil(self, pil: Image.Image, angle: float) -> Image.Image:
        # PIL measures from the top-left corner (pixel centres at +0.5), counter-clockwise.
        center = None if self.center is None else (self.center[0] + .5, self.center[1] + .5)
        return pil.rotate(-angle, resample=PIL_FILTERS[self.interpolation], center=center,
                          fillcolor=pil_fill(self.pad_val, pil))

    def __repr__(self) -> str:
        return (f'Rotate(angle={self.angle}, center={self.center}, scale={self.scale}, '
                f'pad_val={self.pad_val}, prob={self.prob}, random_negative_prob='
                f'{self.random_negative_prob}, interpolation={self.interpolation}'
                f'{self.extra_repr()})')
