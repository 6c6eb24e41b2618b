"""RandomErasing on uint8 images (Zhong et al. 2017, as in timm and MMPretrain)."""
import math
import random
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform

from mmcls_convnext.registry import TRANSFORMS

Color = Union[float, Sequence[float]]


@TRANSFORMS.register_module()
class RandomErasing(BaseTransform):
    """With probability ``erase_prob``, fill one random rectangle of the image.

    The rectangle's area is a fraction of the image drawn uniformly from
    ``[min_area_ratio, max_area_ratio]``; its aspect ratio is log-uniform in ``aspect_range``
    (up to 10 draws until it fits). Fill:

    - ``mode='const'``: ``fill_color`` (or one colour drawn from N(fill_color, fill_std)).
    - ``mode='rand'``: per-pixel noise N(fill_color, fill_std) clipped to [0, 255], or uniform
      [0, 255] when ``fill_std`` is None. With the dataset mean/std this equals timm's
      ``mode='pixel'`` (standard normal noise after normalisation).

    Args:
        erase_prob: probability of erasing.
        min_area_ratio: lower bound of the erased area fraction.
        max_area_ratio: upper bound of the erased area fraction.
        aspect_range: ``(min, max)`` aspect ratio, or one number r meaning (r, 1/r).
        mode: ``'const'`` or ``'rand'``.
        fill_color: colour in the image's channel order (BGR), one value or one per channel.
        fill_std: standard deviation of the fill, one value or per channel; None = see above.
    """

    MODES = ('const', 'rand')

    def __init__(self, erase_prob: float = 0.5, min_area_ratio: float = 0.02,
                 max_area_ratio: float = 0.4,
                 aspect_range: Union[float, Tuple[float, float]] = (3 / 10, 10 / 3),
                 mode: str = 'const', fill_color: Color = (128, 128, 128),
                 fill_std: Optional[Color] = None) -> None:
        if not 0. <= erase_prob <= 1.:
            raise ValueError(f'erase_prob must be in [0, 1]; got {erase_prob!r}.')
        if not 0. < min_area_ratio <= max_area_ratio <= 1.:
            raise ValueError('Need 0 < min_area_ratio <= max_area_ratio <= 1; got min_area_ratio='
                             f'{min_area_ratio!r}, max_area_ratio={max_area_ratio!r}.')
        if isinstance(aspect_range, (int, float)):
            low = min(aspect_range, 1 / aspect_range)
            aspect_range = (low, 1 / low)
        if len(aspect_range) != 2 or not 0 < aspect_range[0] <= aspect_range[1]:
            raise ValueError(f'aspect_range must be (min, max) with 0 < min <= max; '
                             f'got {aspect_range!r}.')
        if mode not in self.MODES:
            raise ValueError(f'RandomErasing mode must be one of {self.MODES}; got {mode!r}.')
        self.erase_prob = erase_prob
        self.min_area_ratio, self.max_area_ratio = min_area_ratio, max_area_ratio
        self.aspect_range = (float(aspect_range[0]), float(aspect_range[1]))
        self.mode = mode
        self.fill_color = np.asarray(fill_color, dtype=np.float32).reshape(-1)
        self.fill_std = None if fill_std is None else np.asarray(
            fill_std, dtype=np.float32).reshape(-1)

    def _fill(self, shape: Tuple[int, ...]) -> np.ndarray:
        channels = shape[2] if len(shape) == 3 else 1
        for name, value in (('fill_color', self.fill_color), ('fill_std', self.fill_std)):
            if value is not None and value.size not in (1, channels):
                raise ValueError(f'{name} has {value.size} values but the image has {channels} '
                                 'channels.')
        if self.mode == 'const':
            color = self.fill_color
            if self.fill_std is not None:
                color = np.random.normal(color, self.fill_std)
            values = np.broadcast_to(color, (channels,)).astype(np.float32)
            return np.broadcast_to(values.reshape((1, 1, -1)[:len(shape)]), shape)
        if self.fill_std is None:
            return np.random.randint(0, 256, size=shape)
        noise = np.random.standard_normal(shape).astype(np.float32)
        if len(shape) == 2:
            return noise * self.fill_std[0] + self.fill_color[0]
        return noise * self.fill_std + self.fill_color

    def transform(self, results: dict) -> dict:
        if random.random() >= self.erase_prob:
            return results
        img = results['img']
        height, width = img.shape[:2]
        log_ratio = (math.log(self.aspect_range[0]), math.log(self.aspect_range[1]))
        for _ in range(10):
            area = random.uniform(self.min_area_ratio, self.max_area_ratio) * height * width
            aspect = math.exp(random.uniform(*log_ratio))
            h = int(round(math.sqrt(area / aspect)))
            w = int(round(math.sqrt(area * aspect)))
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
        return (f'{self.__class__.__name__}(erase_prob={self.erase_prob}, area_ratio_range='
                f'({self.min_area_ratio}, {self.max_area_ratio}), aspect_range='
                f"{self.aspect_range}, mode='{self.mode}')")
