"""RandAugment's colour ops (MMPretrain's arguments; see :mod:`.aug_base` for the backends).

==============  =====================================  ========================================
op              argument -> effect                     kernels (cv2 / pillow)
==============  =====================================  ========================================
AutoContrast    none; stretch each channel to 0..255   mmcv.auto_contrast / ImageOps
Equalize        none; equalize each channel            mmcv.imequalize / ImageOps
Invert          none; 255 - x                          mmcv.iminvert (both)
Solarize        thr; invert pixels >= thr              mmcv.solarize (both)
SolarizeAdd     magnitude, thr; x + magnitude if x<thr numpy (both), result floored
Posterize       bits (rounded up); keep the top bits   mmcv.posterize (both)
Contrast        magnitude; factor 1 + magnitude        mmcv.adjust_contrast / ImageEnhance
ColorTransform  magnitude; factor 1 + magnitude        mmcv.adjust_color / ImageEnhance.Color
Brightness      magnitude; factor 1 + magnitude        mmcv.adjust_brightness / ImageEnhance
Sharpness       magnitude; factor 1 + magnitude        mmcv.adjust_sharpness / ImageEnhance
==============  =====================================  ========================================

The one-kernel ops compute exactly what PIL's ``ImageOps`` does on integer pixels (on a PIL
image, through the table of their 256 results). With
``backend='pillow'`` an enhancement factor below 0.1 is raised to 0.1, as timm does; Contrast
and ColorTransform weigh the channels as R, G, B (the image is BGR).
"""
import math
from typing import Optional, Sequence, Union

import cv2
import mmcv
import numpy as np
from mmengine.logging import MMLogger
from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from mmcls_convnext.registry import TRANSFORMS

from ..errors import DataConfigError, DataConfigTypeError
from .aug_base import (
    BaseAugTransform,
    check_pad_val,
    is_number,
    need_three_channels,
    refuse_negation,
)
from .lazy_image import as_array, as_pil

#: timm keeps enhancement factors >= 0.1 (``_enhance_increasing_level_to_arg``).
MIN_PIL_FACTOR = 0.1


def _point_kernel(op: BaseAugTransform, pil: Image.Image, value) -> Image.Image:
    """The one-kernel ops on a PIL image: their array kernel's table of the 256 values, applied
    with ``Image.point`` (exact: these ops map each 8-bit value on its own)."""
    table = op._cv2(np.arange(256, dtype=np.uint8).reshape(1, 256), value).reshape(256)
    return pil.point(table.tolist() * len(pil.getbands()))


class _NoArgumentOp(BaseAugTransform):
    """An op without an argument: the magnitude settings are accepted and have no effect."""

    def __init__(self, prob: float = 0.5, backend: str = 'cv2', magnitude_level: float = 10,
                 magnitude_range: Optional[Sequence] = None, magnitude_std: Union[float, str] = 0.,
                 total_level: float = 10, random_negative_prob: float = 0.5) -> None:
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=random_negative_prob, backend=backend)
        if magnitude_range is not None:
            MMLogger.get_current_instance().warning(
                f'{type(self).__name__} has no argument: magnitude_range={magnitude_range} '
                'has no effect.')

    def __repr__(self) -> str:
        backend = ", backend='pillow'" if self._use_pillow else ''
        return f'{type(self).__name__}(prob={self.prob}{backend})'


@TRANSFORMS.register_module()
class AutoContrast(_NoArgumentOp):
    """Stretch each channel so that its darkest pixel becomes 0 and its lightest 255.

    Args:
        prob: probability of applying it.
        backend: ``'cv2'`` (``mmcv.auto_contrast``) or ``'pillow'`` (``ImageOps``).
        magnitude_level, magnitude_range, magnitude_std, total_level, random_negative_prob:
            accepted for RandAugment policies; no effect.
    """

    def _cv2(self, img: np.ndarray, _) -> np.ndarray:
        need_three_channels(img, 'AutoContrast')
        return mmcv.auto_contrast(img).astype(img.dtype)

    def _pil(self, pil: Image.Image, _) -> Image.Image:
        return ImageOps.autocontrast(pil)


@TRANSFORMS.register_module()
class Equalize(_NoArgumentOp):
    """Equalize the histogram of each channel. Arguments as :class:`AutoContrast`."""

    def _cv2(self, img: np.ndarray, _) -> np.ndarray:
        need_three_channels(img, 'Equalize')
        return mmcv.imequalize(img).astype(img.dtype)

    def _pil(self, pil: Image.Image, _) -> Image.Image:
        return ImageOps.equalize(pil)


@TRANSFORMS.register_module()
class Invert(_NoArgumentOp):
    """``255 - x`` (``mmcv.iminvert`` for both backends). Arguments as :class:`AutoContrast`."""

    def _cv2(self, img: np.ndarray, _) -> np.ndarray:
        return mmcv.iminvert(img).astype(img.dtype)

    _pillow = _cv2
    _pil = _point_kernel


@TRANSFORMS.register_module()
class Solarize(BaseAugTransform):
    """Invert the pixels ``>= thr`` (``mmcv.solarize`` for both backends).

    Args:
        thr: threshold; None draws it from ``magnitude_range`` (e.g. ``(256, 0)``).
        prob: probability of applying it.
        backend: accepted for uniformity; both backends compute the same.
        magnitude_level, magnitude_range, magnitude_std, total_level: see
            :class:`BaseAugTransform`. The threshold has no sign: ``random_negative_prob``
            is refused.
    """

    MAGNITUDE_KEY = 'thr'
    NEGATES = False

    def __init__(self, thr: Optional[float] = None, prob: float = 0.5, backend: str = 'cv2',
                 magnitude_level: float = 10, magnitude_range: Optional[Sequence] = None,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10,
                 **unsupported) -> None:
        refuse_negation('Solarize', unsupported)
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=0., backend=backend)
        self.thr = self._given_or_range(thr, 'thr')

    def _cv2(self, img: np.ndarray, thr: float) -> np.ndarray:
        return mmcv.solarize(img, thr=thr).astype(img.dtype)

    _pillow = _cv2
    _pil = _point_kernel

    def __repr__(self) -> str:
        return f'Solarize(thr={self.thr}, prob={self.prob}{self.extra_repr()})'


@TRANSFORMS.register_module()
class SolarizeAdd(BaseAugTransform):
    """Add ``magnitude`` to the pixels ``< thr`` (clipped at 255, then floored to integers).

    Args:
        magnitude: value added; None draws it from ``magnitude_range`` (e.g. ``(0, 110)``).
        thr: threshold (int or float).
        prob, backend, magnitude_*: as :class:`Solarize`.
    """

    MAGNITUDE_KEY = 'magnitude'
    NEGATES = False

    def __init__(self, magnitude: Optional[float] = None, thr: float = 128, prob: float = 0.5,
                 backend: str = 'cv2', magnitude_level: float = 10,
                 magnitude_range: Optional[Sequence] = None, magnitude_std: Union[float, str] = 0.,
                 total_level: float = 10, **unsupported) -> None:
        refuse_negation('SolarizeAdd', unsupported)
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=0., backend=backend)
        self.magnitude = self._given_or_range(magnitude, 'magnitude')
        if not is_number(thr):
            raise DataConfigTypeError(f'SolarizeAdd: the thr type must be int or float, but got '
                                      f'{type(thr).__name__} ({thr!r}) instead.')
        self.thr = thr

    def _add(self, values: np.ndarray, magnitude: float) -> np.ndarray:
        # float arithmetic: no uint8 wrap-around above 255
        return np.where(values < self.thr, np.minimum(values + float(magnitude), 255), values)

    def _cv2(self, img: np.ndarray, magnitude: float) -> np.ndarray:
        if img.dtype == np.uint8:  # the same sum on the 256 possible values, as a table
            table = self._add(np.arange(256), magnitude).astype(np.uint8)
            return cv2.LUT(img, table).reshape(img.shape)
        return self._add(img, magnitude).astype(img.dtype)  # astype floors the sum

    _pillow = _cv2
    _pil = _point_kernel

    def __repr__(self) -> str:
        return (f'SolarizeAdd(magnitude={self.magnitude}, thr={self.thr}, prob={self.prob}'
                f'{self.extra_repr()})')


@TRANSFORMS.register_module()
class Posterize(BaseAugTransform):
    """Keep the ``bits`` most significant bits of each pixel (``mmcv.posterize``).

    Args:
        bits: bits kept, 0..8 (a fractional value is rounded up, as timm's levels are);
            None draws it from ``magnitude_range`` (e.g. ``(4, 0)``).
        prob, backend, magnitude_*: as :class:`Solarize`.
    """

    MAGNITUDE_KEY = 'bits'
    NEGATES = False

    def __init__(self, bits: Optional[int] = None, prob: float = 0.5, backend: str = 'cv2',
                 magnitude_level: float = 10, magnitude_range: Optional[Sequence] = None,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10,
                 **unsupported) -> None:
        refuse_negation('Posterize', unsupported)
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=0., backend=backend)
        self.bits = self._given_or_range(bits, 'bits')
        for value in ([bits] if bits is not None else list(self.magnitude_range)):
            if not 0 <= value <= 8:
                raise DataConfigError(f'Posterize: the bits must be in [0, 8], got {value} '
                                      'instead.')

    def _cv2(self, img: np.ndarray, bits: float) -> np.ndarray:
        return mmcv.posterize(img, bits=math.ceil(bits)).astype(img.dtype)

    _pillow = _cv2
    _pil = _point_kernel

    def __repr__(self) -> str:
        return f'Posterize(bits={self.bits}, prob={self.prob}{self.extra_repr()})'


class _EnhanceOp(BaseAugTransform):
    """Blend with a degenerate image: factor ``1 + magnitude`` (0: degenerate, 1: unchanged).

    Subclasses name the PIL enhancer, the mmcv function and its factor argument, and whether
    the op weighs R, G, B (then the PIL image is built in RGB order and cv2 needs 3 channels).
    """

    MAGNITUDE_KEY = 'magnitude'
    ENHANCER = None
    MMCV_FN = ''
    MMCV_ARG = 'factor'
    RGB = False

    def __init__(self, magnitude: Optional[float] = None, prob: float = 0.5,
                 random_negative_prob: float = 0.5, backend: str = 'cv2',
                 magnitude_level: float = 10, magnitude_range: Optional[Sequence] = None,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10) -> None:
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=random_negative_prob, backend=backend)
        self.magnitude = self._given_or_range(magnitude, 'magnitude')

    def _cv2(self, img: np.ndarray, magnitude: float) -> np.ndarray:
        if self.RGB:
            need_three_channels(img, type(self).__name__)
        adjust = getattr(mmcv, self.MMCV_FN)  # looked up per call, as mmcv.<name>
        return adjust(img, **{self.MMCV_ARG: 1 + magnitude}).astype(img.dtype)

    def _pil(self, pil: Image.Image, magnitude: float) -> Image.Image:
        return self.ENHANCER(pil).enhance(max(MIN_PIL_FACTOR, 1 + magnitude))

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(magnitude={self.magnitude}, prob={self.prob}, '
                f'random_negative_prob={self.random_negative_prob}{self.extra_repr()})')


_ENHANCE_DOC = """{what}: factor ``1 + magnitude`` (0 gives {zero}, 1 the image).

    Args:
        magnitude: factor - 1; None draws it from ``magnitude_range`` (e.g. ``(0, 0.9)``).
        prob: probability of applying it.
        random_negative_prob: probability of negating the magnitude.
        backend: ``'cv2'`` (``mmcv.{mmcv_fn}``) or ``'pillow'`` (``ImageEnhance.{pil}``).
        magnitude_level, magnitude_range, magnitude_std, total_level: see
            :class:`BaseAugTransform`.
    """


@TRANSFORMS.register_module()
class Contrast(_EnhanceOp):
    __doc__ = _ENHANCE_DOC.format(what='Scale the contrast', zero='the mean grey',
                                  mmcv_fn='adjust_contrast', pil='Contrast')
    ENHANCER, MMCV_FN, RGB = ImageEnhance.Contrast, 'adjust_contrast', True


@TRANSFORMS.register_module()
class ColorTransform(_EnhanceOp):
    __doc__ = _ENHANCE_DOC.format(what='Scale the saturation', zero='the grey image',
                                  mmcv_fn='adjust_color', pil='Color')
    ENHANCER, MMCV_FN, MMCV_ARG, RGB = ImageEnhance.Color, 'adjust_color', 'alpha', True


@TRANSFORMS.register_module()
class Brightness(_EnhanceOp):
    __doc__ = _ENHANCE_DOC.format(what='Scale the brightness', zero='black',
                                  mmcv_fn='adjust_brightness', pil='Brightness')
    ENHANCER, MMCV_FN = ImageEnhance.Brightness, 'adjust_brightness'


@TRANSFORMS.register_module()
class Sharpness(_EnhanceOp):
    __doc__ = _ENHANCE_DOC.format(what='Sharpen or blur', zero='the smoothed image',
                                  mmcv_fn='adjust_sharpness', pil='Sharpness')
    ENHANCER, MMCV_FN = ImageEnhance.Sharpness, 'adjust_sharpness'


@TRANSFORMS.register_module()
class Cutout(BaseAugTransform):
    """Fill one ``shape`` rectangle at a random centre with ``pad_val`` (``mmcv.cutout``).

    The centre is uniform over the image (``np.random.uniform`` in mmcv); the rectangle is
    clipped at the borders (DeVries & Taylor 2017).

    Args:
        shape: side of a square, or ``(h, w)``; None draws the side from ``magnitude_range``
            (truncated to an int).
        pad_val: fill, one value or one per channel (the image's BGR order).
        prob: probability of applying it.
        magnitude_level, magnitude_range, magnitude_std, total_level: see
            :class:`BaseAugTransform`. The size has no sign: ``random_negative_prob`` is
            refused.
    """

    MAGNITUDE_KEY = 'shape'
    NEGATES = False

    def __init__(self, shape: Optional[Union[int, Sequence[int]]] = None,
                 pad_val: Union[int, Sequence[int]] = 128, prob: float = 0.5,
                 magnitude_level: float = 10, magnitude_range: Optional[Sequence] = None,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10,
                 **unsupported) -> None:
        refuse_negation('Cutout', unsupported)
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=0.)
        if (shape is None) == (self.magnitude_range is None):
            raise DataConfigError('Cutout: please specify only one of `shape` and '
                                  f'`magnitude_range`; got shape={shape!r}, magnitude_range='
                                  f'{magnitude_range!r}.')
        if shape is not None and not (
                (isinstance(shape, int) and not isinstance(shape, bool) and shape > 0)
                or (isinstance(shape, Sequence) and len(shape) == 2
                    and all(isinstance(v, int) and v > 0 for v in shape))):
            raise DataConfigError(f'Cutout: shape must be an int > 0 or (h, w) ints > 0; got '
                                  f'{shape!r}.')
        self.shape = tuple(shape) if isinstance(shape, Sequence) else shape
        self.pad_val = check_pad_val(pad_val, 'Cutout')

    def transform(self, results: dict) -> dict:
        if self.random_disable():
            return results
        img = as_array(results['img'])
        shape = self.shape if self.shape is not None else int(self.random_magnitude())
        results['img'] = mmcv.cutout(img, shape, pad_val=self.pad_val).astype(img.dtype)
        return results

    def __repr__(self) -> str:
        return (f'Cutout(shape={self.shape}, pad_val={self.pad_val}, prob={self.prob}'
                f'{self.extra_repr()})')


@TRANSFORMS.register_module()
class GaussianBlur(BaseAugTransform):
    """Blur with Pillow's Gaussian filter of ``radius`` (its standard deviation, pixels).

    Args:
        radius: the blur radius; None draws it from ``magnitude_range`` (SimCLR / BYOL use
            ``magnitude_range=(0.1, 2.0), magnitude_std='inf'``: uniform radii).
        prob: probability of applying it.
        magnitude_level, magnitude_range, magnitude_std, total_level: see
            :class:`BaseAugTransform`; ``random_negative_prob`` is refused.
    """

    MAGNITUDE_KEY = 'radius'
    NEGATES = False

    def __init__(self, radius: Optional[float] = None, prob: float = 0.5,
                 magnitude_level: float = 10, magnitude_range: Optional[Sequence] = None,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10,
                 **unsupported) -> None:
        refuse_negation('GaussianBlur', unsupported)
        super().__init__(magnitude_level=magnitude_level, magnitude_range=magnitude_range,
                         magnitude_std=magnitude_std, total_level=total_level, prob=prob,
                         random_negative_prob=0.)
        self.radius = self._given_or_range(radius, 'radius')
        if radius is not None and radius < 0:
            raise DataConfigError(f'GaussianBlur: radius must be >= 0; got {radius!r}.')

    def transform(self, results: dict) -> dict:
        if self.random_disable():
            return results
        img = results['img']
        radius = self.radius if self.radius is not None else self.random_magnitude()
        blur = ImageFilter.GaussianBlur(radius=radius)  # looked up per call (patchable)
        if isinstance(img, np.ndarray):  # per channel: the channel order does not matter
            squeeze = img.ndim == 3 and img.shape[2] == 1
            pil = Image.fromarray(img[..., 0] if squeeze else img).filter(blur)
            out = np.asarray(pil, dtype=img.dtype)
            results['img'] = out[..., None] if squeeze else out
        else:
            results['img'] = as_pil(img).filter(blur)
        return results

    def __repr__(self) -> str:
        return f'GaussianBlur(radius={self.radius}, prob={self.prob}{self.extra_repr()})'


__all__ = ['Cutout', 'GaussianBlur', 'AutoContrast', 'Equalize', 'Invert', 'Solarize',
           'SolarizeAdd', 'Posterize',
           'Contrast', 'ColorTransform', 'Brightness', 'Sharpness']
