"""RandomErasing on uint8 images (Zhong et al. 2017), drawn as timm's.

MMPretrain's arguments and checks; timm's sampling (the ConvNeXt recipe's): up to 10 draws of
(area, aspect) until the box fits inside the image, every position equally likely, the noise
fill rounded. MMPretrain instead clips an oversized box to the image, never places a box
against the bottom or right edge, and truncates the noise fill.
"""
import math
import random
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmcls_convnext.registry import TRANSFORMS

from ..errors import DataConfigError
from .aug_base import is_number

Color = Union[float, Sequence[float]]


@TRANSFORMS.register_module()
class RandomErasing(BaseTransform):
    """With probability ``erase_prob``, fill one random rectangle of the image.

    The rectangle's area is a fraction of the image drawn uniformly from
    ``[min_area_ratio, max_area_ratio]``; its aspect ratio (height / width) is log-uniform in
    ``aspect_range`` (up to 10 draws until it fits; if none fits, nothing is erased). Fill:

    - ``mode='const'``: ``fill_color`` (or one colour drawn from N(fill_color, fill_std)).
    - ``mode='rand'``: per-pixel noise N(fill_color, fill_std) clipped to [0, 255], or uniform
      [0, 255] when ``fill_std`` is None. With the dataset mean/std this equals timm's
      ``mode='pixel'`` (standard normal noise after normalisation).

    Args:
        erase_prob: probability of erasing, a float in [0, 1].
        min_area_ratio: lower bound of the erased area fraction, a float in [0, 1].
        max_area_ratio: upper bound of the erased area fraction, a float in [0, 1].
        aspect_range: ``(min, max)`` aspect ratio, or one number r meaning (r, 1/r).
        mode: ``'const'`` or ``'rand'``.
        fill_color: colour in the image's channel order (BGR), one value or three.
        fill_std: standard deviation of the fill, one value or three; None = see above.
    """

    MODES = ('const', 'rand')

    def __init__(self, erase_prob: float = 0.5, min_area_ratio: float = 0.02,
                 max_area_ratio: float = 0.4,
                 aspect_range: Union[float, Tuple[float, float]] = (3 / 10, 10 / 3),
                 mode: str = 'const', fill_color: Color = (128, 128, 128),
                 fill_std: Optional[Color] = None) -> None:
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
        self.mode = mode
        self.fill_color = _color('fill_color', fill_color)
        self.fill_std = None if fill_std is None else _color('fill_std', fill_std)
        self._fill_color = np.asarray(self.fill_color, dtype=np.float32).reshape(-1)
        self._fill_std = None if fill_std is None else np.asarray(
            self.fill_std, dtype=np.float32).reshape(-1)
        if self._fill_std is not None and (self._fill_std < 0).any():
            raise DataConfigError(f'RandomErasing: fill_std must be >= 0; got {fill_std!r}.')

    def _fill(self, shape: Tuple[int, ...]) -> np.ndarray:
        channels = shape[2] if len(shape) == 3 else 1
        color = _per_channel('fill_color', self._fill_color, channels)
        std = None if self._fill_std is None else _per_channel('fill_std', self._fill_std,
                                                               channels)
        if self.mode == 'const':
            if std is not None:
                color = np.random.normal(color, std)
            values = np.asarray(color, dtype=np.float32)
            return np.broadcast_to(values.reshape((1, 1, -1)[:len(shape)]), shape)
        if std is None:
            return np.random.randint(0, 256, size=shape)
        noise = np.random.standard_normal(shape).astype(np.float32)
        if len(shape) == 2:
            return noise * std[0] + color[0]
        return noise * std + color

    def transform(self, results: dict) -> dict:
        if random.random() >= self.erase_prob:
            return results
        img = results['img']
        height, width = img.shape[:2]
        log_ratio = (math.log(self.aspect_range[0]), math.log(self.aspect_range[1]))
        for _ in range(10):
            area = random.uniform(self.min_area_ratio, self.max_area_ratio) * height * width
            aspect = math.exp(random.uniform(*log_ratio))
            h = int(round(math.sqrt(area * aspect)))  # aspect = height / width
            w = int(round(math.sqrt(area / aspect)))
            if 0 < h < height and 0 < w < width:
                top = random.randint(0, height - h)
                left = random.randint(0, width - w)
                patch_shape = (h, w) + img.shape[2:]
                fill = np.clip(np.round(self._fill(patch_shape)), 0, 255).astype(img.dtype)
                img = img.copy()
                img[top:top + h, left:left + w] = fill
                results['img'] = img
                break
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(erase_prob={self.erase_prob}, min_area_ratio='
                f'{self.min_area_ratio}, max_area_ratio={self.max_area_ratio}, aspect_range='
                f'{self.aspect_range}, mode={self.mode}, fill_color={self.fill_color}, '
                f'fill_std={self.fill_std})')


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
