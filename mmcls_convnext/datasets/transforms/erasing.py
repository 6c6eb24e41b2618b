"""RandomErasing on uint8 images (Zhong et al. 2017), with MMPretrain's or timm's sampling.

MMPretrain's arguments and checks. Two ways of drawing the box and the noise (``sampler``):

- ``'mmpretrain'`` (default, as MMPretrain): every draw from ``np.random``; one (aspect, area)
  draw, the box clipped to the image; its top-left corner drawn with an exclusive upper bound
  (a box smaller than the image never touches the bottom or right edge); noise truncated to
  integers; ``mode='const'`` fills ``fill_color`` (``fill_std`` is not used).
- ``'timm'`` (the ConvNeXt recipe's): box draws from Python's ``random``, up to 10 draws of
  (area, aspect) until the box fits strictly inside the image (if none fits, nothing is
  erased), every position equally likely (edges included); per-pixel noise from torch's
  generator (as timm's), rounded to the nearest integer; ``mode='const'`` with ``fill_std``
  draws one colour per box (timm's per-channel ``'rand'`` mode).
"""
import math
import random
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.logging import MMLogger

from mmcls_convnext.registry import TRANSFORMS
from mmcls_convnext.suggestions import did_you_mean

from ..errors import DataConfigError
from .aug_base import is_number
from .lazy_image import as_array, image_hw

Color = Union[float, Sequence[float]]


@TRANSFORMS.register_module()
class RandomErasing(BaseTransform):
    """With probability ``erase_prob``, fill one random rectangle of the image.

    The rectangle's area is a fraction of the image drawn uniformly from
    ``[min_area_ratio, max_area_ratio]``; its aspect ratio (height / width) is log-uniform in
    ``aspect_range``; ``sampler`` says how an oversized box is handled and how positions and
    noise are drawn (see the module docstring). Fill:

    - ``mode='const'``: ``fill_color`` (with ``sampler='timm'`` and ``fill_std``: one colour
      drawn from N(fill_color, fill_std)).
    - ``mode='rand'``: per-pixel noise N(fill_color, fill_std) clipped to [0, 255], or uniform
      [0, 255] when ``fill_std`` is None. With the dataset mean/std and ``sampler='timm'`` this
      equals timm's ``mode='pixel'`` (standard normal noise after normalisation).

    A PIL image (or an encoded one) that gets a box becomes its BGR array; one that does not
    is passed on unchanged.

    Args:
        erase_prob: probability of erasing, a float in [0, 1].
        min_area_ratio: lower bound of the erased area fraction, a float in [0, 1].
        max_area_ratio: upper bound of the erased area fraction, a float in [0, 1].
        aspect_range: ``(min, max)`` aspect ratio, or one number r meaning (r, 1/r).
        mode: ``'const'`` or ``'rand'``.
        fill_color: colour in the image's channel order (BGR), one value or three.
        fill_std: standard deviation of the fill, one value or three; None = see above.
        sampler: ``'mmpretrain'`` (MMPretrain's draws, pixel for pixel under a seeded
            ``np.random``) or ``'timm'`` (timm's ``RandomErasing`` draws).
    """

    MODES = ('const', 'rand')
    SAMPLERS = ('mmpretrain', 'timm')
    TIMM_ATTEMPTS = 10

    def __init__(self, erase_prob: float = 0.5, min_area_ratio: float = 0.02,
                 max_area_ratio: float = 0.4,
                 aspect_range: Union[float, Tuple[float, float]] = (3 / 10, 10 / 3),
                 mode: str = 'const', fill_color: Color = (128, 128, 128),
                 fill_std: Optional[Color] = None, sampler: str = 'mmpretrain') -> None:
        for name, value in (('erase_prob', erase_prob), ('min_area_ratio', min_area_ratio),
                            ('max_area_ratio', max_area_ratio)):
            _check_ratio(name, value)
        if min_area_ratio > max_area_ratio:
            raise DataConfigError('RandomErasing: min_area_ratio should be smaller than '
                                  f'max_area_ratio; got min_area_ratio={min_area_ratio!r}, '
                                  f'max_area_ratio={max_area_ratio!r}.')
        self.erase_prob = erase_prob
        self.min_area_ratio, self.max_area_ratio = min_area_ratio, max_area_ratio
        self.aspect_range = _aspect_range(aspect_range)
        if mode not in self.MODES:
            raise DataConfigError(f'RandomErasing mode must be one of {self.MODES}; got '
                                  f'{mode!r}.')
        if sampler not in self.SAMPLERS:
            raise DataConfigError(f'RandomErasing sampler must be one of {self.SAMPLERS}; got '
                                  f'{sampler!r}.' + did_you_mean(sampler, self.SAMPLERS, n=1))
        self.mode, self.sampler = mode, sampler
        self.fill_color = _color('fill_color', fill_color)
        self.fill_std = None if fill_std is None else _color('fill_std', fill_std)
        self._fill_color = np.asarray(self.fill_color, dtype=np.float64).reshape(-1)
        self._fill_std = None if fill_std is None else np.asarray(
            self.fill_std, dtype=np.float64).reshape(-1)
        if self._fill_std is not None and (self._fill_std < 0).any():
            raise DataConfigError(f'RandomErasing: fill_std must be >= 0; got {fill_std!r}.')
        if sampler == 'mmpretrain' and mode == 'const' and fill_std is not None:
            MMLogger.get_current_instance().warning(
                f"RandomErasing: fill_std={fill_std!r} has no effect with mode='const' and "
                "sampler='mmpretrain' (as in MMPretrain); use sampler='timm' to draw one "
                "colour per box, or mode='rand' for per-pixel noise.")

    def transform(self, results: dict) -> dict:
        if self.sampler == 'timm':
            if random.random() >= self.erase_prob:
                return results
            box = self._timm_box(*image_hw(results['img']))
        else:
            if np.random.rand() > self.erase_prob:
                return results
            box = self._mmpretrain_box(*image_hw(results['img']))
        if box is None:
            return results
        img = results['img']
        top, left, h, w = box
        # a PIL / encoded image becomes its BGR array (a new one); never write into the input
        img = img.copy() if isinstance(img, np.ndarray) else as_array(img)
        img[top:top + h, left:left + w] = self._patch((h, w) + img.shape[2:], img.dtype)
        results['img'] = img
        return results

    def _mmpretrain_box(self, height: int, width: int) -> Tuple[int, int, int, int]:
        """One draw, clipped to the image; corners never on the bottom/right edge."""
        log_ratio = np.log(np.asarray(self.aspect_range, dtype=np.float64))
        aspect = math.exp(np.random.uniform(*log_ratio))
        area = height * width * np.random.uniform(self.min_area_ratio, self.max_area_ratio)
        h = min(int(round(math.sqrt(area * aspect))), height)  # aspect = height / width
        w = min(int(round(math.sqrt(area / aspect))), width)
        top = int(np.random.randint(0, height - h)) if h < height else 0
        left = int(np.random.randint(0, width - w)) if w < width else 0
        return top, left, h, w

    def _timm_box(self, height: int, width: int) -> Optional[Tuple[int, int, int, int]]:
        """Up to 10 draws until the box fits strictly inside; any position; None if none."""
        log_ratio = (math.log(self.aspect_range[0]), math.log(self.aspect_range[1]))
        for _ in range(self.TIMM_ATTEMPTS):
            area = random.uniform(self.min_area_ratio, self.max_area_ratio) * height * width
            aspect = math.exp(random.uniform(*log_ratio))
            h = int(round(math.sqrt(area * aspect)))
            w = int(round(math.sqrt(area / aspect)))
            if 0 < h < height and 0 < w < width:
                return random.randint(0, height - h), random.randint(0, width - w), h, w
        return None

    def _patch(self, shape: Tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        """The fill of a box of ``shape`` ((h, w) or (h, w, C)), as ``dtype``."""
        channels = shape[2] if len(shape) == 3 else 1
        color = _per_channel('fill_color', self._fill_color, channels)
        std = None if self._fill_std is None else _per_channel('fill_std', self._fill_std,
                                                               channels)
        if len(shape) == 2:
            color = color[0]
            std = None if std is None else std[0]
        timm = self.sampler == 'timm'
        if self.mode == 'const':
            if timm and std is not None:
                color = np.random.normal(color, std)
            value = np.clip(np.round(color) if timm else np.trunc(color), 0, 255)
            return np.broadcast_to(value, shape).astype(dtype)
        if std is None:  # uniform integers 0..255
            if timm:
                return torch.randint(0, 256, shape, dtype=torch.uint8).numpy().astype(dtype)
            return np.random.uniform(0, 256, size=shape).astype(dtype)
        if timm:  # torch's generator, as timm's: ~4x faster than np.random's normals
            noise = torch.randn(shape).numpy() * np.float32(std) + np.float32(color)
            return np.clip(np.round(noise), 0, 255).astype(dtype)
        noise = np.random.normal(color, std, size=shape)
        return np.clip(noise.astype(np.int64), 0, 255).astype(dtype)  # truncated toward 0

    def __repr__(self) -> str:
        sampler = '' if self.sampler == 'mmpretrain' else f', sampler={self.sampler}'
        return (f'{self.__class__.__name__}(erase_prob={self.erase_prob}, min_area_ratio='
                f'{self.min_area_ratio}, max_area_ratio={self.max_area_ratio}, aspect_range='
                f'{self.aspect_range}, mode={self.mode}, fill_color={self.fill_color}, '
                f'fill_std={self.fill_std}{sampler})')


def _check_ratio(name: str, value) -> None:
    # a float, as MMPretrain requires: ``erase_prob=1`` is refused with a hint
    if not isinstance(value, float) or not 0. <= value <= 1.:
        hint = f' (write {float(value)!r})' if isinstance(value, int) and 0 <= value <= 1 else ''
        raise DataConfigError(f'RandomErasing: {name} must be a float in [0, 1]; got '
                              f'{value!r}{hint}.')


def _aspect_range(value) -> Tuple[float, float]:
    """``(min, max)``; one number r means ``(min(r, 1/r), max(r, 1/r))``."""
    if is_number(value) and value > 0:
        low = min(value, 1 / value)
        return (low, 1 / low)
    if (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 2
            and all(is_number(v) and v > 0 for v in value) and value[0] <= value[1]):
        return tuple(value)
    raise DataConfigError('RandomErasing: aspect_range must be a positive number r (meaning '
                          '(r, 1/r)) or (min, max) with 0 < min <= max; got '
                          f'{value!r}.')


def _color(name: str, value) -> Union[list, tuple]:
    """One number -> 3 equal values; a sequence of 1 or 3 numbers is kept (as a copy)."""
    if is_number(value):
        return [value] * 3
    if (isinstance(value, Sequence) and not isinstance(value, str) and len(value) in (1, 3)
            and all(is_number(v) for v in value)):
        return list(value) if isinstance(value, list) else tuple(value)
    raise DataConfigError(f'RandomErasing: {name} must be a number or 3 numbers (B, G, R: '
                          f"the image's channel order); got {value!r}.")


def _per_channel(name: str, values: np.ndarray, channels: int) -> np.ndarray:
    """``values`` for an image with ``channels`` channels (3 equal values fit a grey image)."""
    if values.size == channels or values.size == 1:
        return values if values.size == channels else np.repeat(values, channels)
    if channels == 1 and (values == values[0]).all():
        return values[:1]
    raise ValueError(f'RandomErasing: {name} has {values.size} different values but the image '
                     f'has {channels} channel(s).')


