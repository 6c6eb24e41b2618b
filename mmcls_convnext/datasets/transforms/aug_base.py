"""What every RandAugment op shares: probability, magnitude, sign, backend and PIL conversion.

The ops (``Rotate``, ``Shear``, ``Translate``, ``AutoContrast``, ``Equalize``, ``Invert``,
``Solarize``, ``SolarizeAdd``, ``Posterize``, ``Contrast``, ``ColorTransform``, ``Brightness``,
``Sharpness``) take MMPretrain's arguments. Each call of an op:

1. is skipped with probability ``1 - prob`` (``np.random.rand() > prob``);
2. takes its argument as given (``angle=30``), or, with ``magnitude_range=(v1, v2)``, maps a
   level to it: ``v = level / total_level * (v2 - v1) + v1``, where ``level`` is
   ``magnitude_level``, N(magnitude_level, magnitude_std) clipped to ``[0, total_level]``, or
   uniform in ``[0, magnitude_level]`` when ``magnitude_std='inf'``;
3. negates it with probability ``random_negative_prob`` (ops whose argument has a sign);
4. applies it with its ``backend``: ``'cv2'`` calls the mmcv function MMPretrain calls
   (``mmcv.imrotate``, ``mmcv.adjust_color``...), ``'pillow'`` calls the PIL function timm's
   RandAugment calls, so a ``'pillow'`` RandAugment reproduces timm's bit for bit. Ops whose
   maths is exact integer arithmetic (Invert, Solarize, SolarizeAdd, Posterize) have one kernel.

An op takes a BGR array, a PIL image (RGB or grey; the lazy pipeline of
``LoadImageFromFile(lazy_decode=True)`` keeps one from RandomResizedCrop on) or an
``EncodedImage``. With ``'pillow'`` a PIL image stays a PIL image (no conversion) and an array
stays an array (converted to RGB PIL and back around the PIL call); with ``'cv2'`` a PIL image
becomes a BGR array first. Both give the same pixels.

Random draws use ``np.random`` in that order (seeded by mmengine per worker); they are not
``cache_randomness`` methods (that costs ~15 us per call), so mmcv's ``TransformBroadcaster``
cannot share them between images.
Images are (H, W), (H, W, 1) or (H, W, 3) arrays in BGR order; ``pad_val`` is in the same order.
"""
from numbers import Number
from typing import Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image

from ..errors import DataConfigError, DataConfigTypeError
from .backends import OP_BACKENDS, WARP_INTERPOLATIONS, check_backend
from .backends import check_interpolation as _check_interpolation
from .lazy_image import as_array, as_pil, swap_rb

PadVal = Union[int, float, Sequence[Union[int, float]]]


def is_number(value) -> bool:
    return isinstance(value, Number) and not isinstance(value, bool)


def check_probability(value: float, name: str, op: str) -> float:
    """``value`` if it is a number in [0, 1], else DataConfigError."""
    if not is_number(value) or not 0. <= value <= 1.:
        raise DataConfigError(f'{op}: {name} must be a number in [0, 1]; got {value!r}.')
    return value


def check_interpolation(interpolation: str, backend: str, op: str) -> str:
    """``interpolation`` if the backend warps with it (:mod:`.backends`), else
    DataConfigError listing what it has."""
    return _check_interpolation(interpolation, backend, op, WARP_INTERPOLATIONS)


def check_pad_val(pad_val: PadVal, op: str) -> Union[int, float, Tuple[float, ...]]:
    """One number, or a tuple of 1 or 3 numbers (the image's channel order)."""
    if is_number(pad_val):
        return pad_val
    if (isinstance(pad_val, Sequence) and not isinstance(pad_val, str)
            and len(pad_val) in (1, 3) and all(is_number(v) for v in pad_val)):
        return tuple(pad_val)
    raise DataConfigError(f'{op}: pad_val must be a number or 3 numbers (B, G, R: the '
                          f"image's channel order); got {pad_val!r}.")


def to_pil(img: np.ndarray, op: str) -> Image.Image:
    """A PIL image of a uint8 image array: mode 'L' for grey, 'RGB' (channels reversed) for BGR.

    Args:
        img: (H, W), (H, W, 1) or (H, W, 3) uint8 array, BGR.
        op: the op's name, for error messages.
    """
    if not isinstance(img, np.ndarray) or img.dtype != np.uint8:
        got = img.dtype if isinstance(img, np.ndarray) else type(img).__name__
        raise ValueError(f"{op} with backend='pillow' needs a uint8 image array; got {got}. "
                         "Use backend='cv2' for other types.")
    if img.ndim == 2 or (img.ndim == 3 and img.shape[2] == 1):
        return Image.fromarray(img.reshape(img.shape[:2]))
    if img.ndim == 3 and img.shape[2] == 3:
        return Image.fromarray(swap_rb(img))
    raise ValueError(f'{op} expects a grey or 3-channel image; got shape {img.shape}.')


def from_pil(pil: Image.Image, like: np.ndarray) -> np.ndarray:
    """The array of ``pil`` in the layout (and BGR order) of ``like`` (undoes :func:`to_pil`)."""
    out = np.asarray(pil)
    if out.ndim == 2:
        return out.reshape(like.shape)
    return swap_rb(out)


def pil_fill(pad_val: Union[Number, Tuple[Number, ...]],
             pil: Image.Image) -> Union[int, Tuple[int, ...]]:
    """``pad_val`` (BGR order) as PIL's ``fillcolor`` for the mode of ``pil`` (RGB order)."""
    values = [pad_val] if is_number(pad_val) else list(pad_val)
    if pil.mode == 'L':
        return int(round(values[0]))
    values = (values * 3)[:3]
    return tuple(int(round(v)) for v in values[::-1])


def need_three_channels(img: np.ndarray, op: str) -> None:
    """Raise ValueError unless ``img`` is (H, W, 3) (the mmcv kernels index 3 channels)."""
    if not (isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 3):
        shape = getattr(img, 'shape', type(img).__name__)
        raise ValueError(f"{op} with backend='cv2' needs a 3-channel (H, W, 3) image; got "
                         f"{shape}. Use backend='pillow' for grey images.")


class BaseAugTransform(BaseTransform):
    """Probability, magnitude and sign of a RandAugment op (see the module docstring).

    Subclasses set ``MAGNITUDE_KEY`` (the argument that ``magnitude_range`` replaces, None if
    the op has none), ``NEGATES`` (whether ``random_negative_prob`` applies) and implement
    ``_cv2(img, value)`` (BGR array in and out) and ``_pil(pil, value)`` (RGB or grey PIL image
    in and out); ``_pillow(img, value)``, the pillow kernel for arrays, wraps ``_pil``.

    Args:
        magnitude_level: level mapped through ``magnitude_range``, in ``[0, total_level]``.
        magnitude_range: ``(v1, v2)``: the argument at level 0 and at ``total_level``.
        magnitude_std: std of the level's noise (0: none), or ``'inf'`` for uniform levels.
        total_level: the largest level.
        prob: probability of applying the op.
        random_negative_prob: probability of negating the argument.
        backend: ``'cv2'`` (mmcv functions, as MMPretrain) or ``'pillow'`` (PIL, as timm).
    """

    MAGNITUDE_KEY: Optional[str] = None
    NEGATES = True

    def __init__(self, magnitude_level: float = 10, magnitude_range: Optional[Sequence] = None,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10,
                 prob: float = 0.5, random_negative_prob: float = 0.5,
                 backend: str = 'cv2') -> None:
        op = type(self).__name__
        if not is_number(total_level) or total_level <= 0:
            raise DataConfigError(f'{op}: total_level must be a number > 0; got '
                                  f'{total_level!r}.')
        if not is_number(magnitude_level) or not 0 <= magnitude_level <= total_level:
            raise DataConfigError(f'{op}: magnitude_level must be in [0, total_level='
                                  f'{total_level}]; got {magnitude_level!r}.')
        if magnitude_std != 'inf' and not (is_number(magnitude_std) and magnitude_std >= 0):
            raise DataConfigError(f'{op}: `magnitude_std` must be a number >= 0 or "inf", got '
                                  f'"{magnitude_std}" instead.')
        if magnitude_range is not None and not (
                isinstance(magnitude_range, Sequence) and len(magnitude_range) == 2
                and all(is_number(v) for v in magnitude_range)):
            raise DataConfigError(f'{op}: magnitude_range must be two numbers (the argument at '
                                  f'level 0 and at total_level); got {magnitude_range!r}.')
        check_backend(backend, op, OP_BACKENDS)
        self.magnitude_level = magnitude_level
        self.magnitude_range = None if magnitude_range is None else tuple(magnitude_range)
        self.magnitude_std = magnitude_std
        self.total_level = total_level
        self.prob = check_probability(prob, 'prob', op)
        self.random_negative_prob = check_probability(random_negative_prob,
                                                      'random_negative_prob', op)
        self.backend = backend
        self._use_pillow = backend == 'pillow'

    def _given_or_range(self, value, name: str):
        """The op's fixed argument ``value``; exactly one of it and magnitude_range is set."""
        if (value is None) == (self.magnitude_range is None):
            raise DataConfigError(
                f'{type(self).__name__}: please specify only one of `{name}` and '
                f'`magnitude_range`; got {name}={value!r}, '
                f'magnitude_range={self.magnitude_range!r}.')
        if value is not None and not is_number(value):
            raise DataConfigTypeError(f'{type(self).__name__}: {name} must be a number; got '
                                      f'{value!r} of type {type(value).__name__}.')
        return value

    def random_disable(self) -> bool:
        """True when this call skips the op (probability ``1 - prob``)."""
        return np.random.rand() > self.prob

    def random_magnitude(self) -> float:
        """The argument at a (possibly random) level, mapped through ``magnitude_range``."""
        level = self.magnitude_level
        if self.magnitude_std == 'inf':
            level = np.random.uniform(0, level)
        elif self.magnitude_std > 0:
            level = min(max(np.random.normal(level, self.magnitude_std), 0), self.total_level)
        low, high = self.magnitude_range
        return float((level / self.total_level) * (high - low) + low)

    def random_negative(self, value: float) -> float:
        """``-value`` with probability ``random_negative_prob``."""
        return -value if np.random.rand() < self.random_negative_prob else value

    def op_value(self) -> Optional[float]:
        """This call's argument: the fixed one or a drawn one, maybe negated; None if none."""
        if self.MAGNITUDE_KEY is None:
            return None
        value = getattr(self, self.MAGNITUDE_KEY)
        if value is None:
            value = self.random_magnitude()
        return self.random_negative(value) if self.NEGATES else value

    def transform(self, results: dict) -> dict:
        if self.random_disable():
            return results
        img = results['img']
        value = self.op_value()
        if isinstance(img, np.ndarray):
            out = self._pillow(img, value) if self._use_pillow else self._cv2(img, value)
        elif self._use_pillow:
            out = self._pil(as_pil(img), value)
        else:
            out = self._cv2(as_array(img), value)
        results['img'] = out
        return results

    def _cv2(self, img: np.ndarray, value: Optional[float]) -> np.ndarray:
        raise NotImplementedError

    def _pil(self, pil: Image.Image, value: Optional[float]) -> Image.Image:
        raise NotImplementedError

    def _pillow(self, img: np.ndarray, value: Optional[float]) -> np.ndarray:
        return from_pil(self._pil(to_pil(img, type(self).__name__), value), img)

    def extra_repr(self) -> str:
        """The magnitude settings (only when ``magnitude_range`` is used) and the backend."""
        out = ''
        if self.magnitude_range is not None:
            out += (f', magnitude_level={self.magnitude_level}, magnitude_range='
                    f'{self.magnitude_range}, magnitude_std={self.magnitude_std}, '
                    f'total_level={self.total_level}')
        if self._use_pillow:
            out += ", backend='pillow'"
        return out


def refuse_negation(op: str, kwargs: dict) -> None:
    """Ops without a sign take no ``random_negative_prob`` (nor any other extra argument)."""
    if 'random_negative_prob' in kwargs:
        raise TypeError(f"{op}() got multiple values for keyword argument "
                        f"'random_negative_prob': its argument has no sign, so the probability "
                        f'is fixed at 0. Remove random_negative_prob from the {op} config.')
    if kwargs:
        raise TypeError(f'{op}() got unexpected keyword arguments {sorted(kwargs)}.')
