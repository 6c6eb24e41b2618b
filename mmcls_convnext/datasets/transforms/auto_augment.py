"""RandAugment with timm's "increasing" op set (Cubuk et al. 2020; timm ``rand-m9-mstd0.5-inc1``).

Each call draws ``num_policies`` ops (with replacement, as timm); each op runs with probability
``op_prob`` at a magnitude drawn from N(magnitude_level, magnitude_std) clipped to
``[0, total_level]``. Ops run on a PIL RGB view of the image (Contrast and Color weigh the
channels as RGB), so ``pad_val`` is given in the image's BGR order like every other colour.

Magnitude -> argument, with m = level / total_level (timm's ``_RAND_INCREASING_TRANSFORMS``):

====================  ==========================================================
AutoContrast, Equalize, Invert   no argument
Rotate                ±30·m degrees (counter-clockwise when positive)
Posterize             keep ``4 - int(4·m)`` bits
Solarize              invert pixels >= ``256 - int(256·m)``
SolarizeAdd           add ``int(110·m)`` to pixels < 128 (clipped at 255)
Color, Contrast, Brightness, Sharpness   enhance factor ``1 ± 0.9·m``
ShearX, ShearY        shear factor ±0.3·m
TranslateXRel/YRel    shift by ±translate_pct·m of the width/height (translate_pct 0.45)
====================  ==========================================================
"""
import random
from typing import Callable, Dict, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform
from PIL import Image, ImageEnhance, ImageOps

from mmcls_convnext.registry import TRANSFORMS

from .processing import PIL_INTERPOLATION

Args = Tuple[float, ...]


def _negate(value: float, negate: bool) -> float:
    return -value if negate else value


def _rotate(img: Image.Image, degrees: float, hp: dict) -> Image.Image:
    return img.rotate(degrees, resample=hp['resample'], fillcolor=hp['fill'])


def _affine(img: Image.Image, matrix: tuple, hp: dict) -> Image.Image:
    return img.transform(img.size, Image.AFFINE, matrix, resample=hp['resample'],
                         fillcolor=hp['fill'])


def _solarize_add(img: Image.Image, add: int, hp: dict) -> Image.Image:
    lut = [min(255, i + add) if i < 128 else i for i in range(256)]
    return img.point(lut * len(img.getbands()))


def _posterize(img: Image.Image, bits: int, hp: dict) -> Image.Image:
    # A LUT rather than ImageOps.posterize, which refuses bits=0 (magnitude 10) since Pillow 11.
    if bits >= 8:
        return img
    mask = ~(2 ** (8 - bits) - 1) & 0xFF
    return img.point([i & mask for i in range(256)] * len(img.getbands()))


# name -> (function(img, arg, hparams), level_to_arg(m in [0, 1], negate, hparams))
OPS: Dict[str, Tuple[Callable, Optional[Callable]]] = {
    'AutoContrast': (lambda img, _, hp: ImageOps.autocontrast(img), None),
    'Equalize': (lambda img, _, hp: ImageOps.equalize(img), None),
    'Invert': (lambda img, _, hp: ImageOps.invert(img), None),
    'Rotate': (_rotate, lambda m, neg, hp: _negate(30. * m, neg)),
    'PosterizeIncreasing': (_posterize, lambda m, neg, hp: 4 - int(4 * m)),
    'SolarizeIncreasing': (lambda img, thr, hp: ImageOps.solarize(img, thr),
                           lambda m, neg, hp: 256 - int(256 * m)),
    'SolarizeAdd': (_solarize_add, lambda m, neg, hp: int(110 * m)),
    'ColorIncreasing': (lambda img, f, hp: ImageEnhance.Color(img).enhance(f),
                        lambda m, neg, hp: 1. + _negate(0.9 * m, neg)),
    'ContrastIncreasing': (lambda img, f, hp: ImageEnhance.Contrast(img).enhance(f),
                           lambda m, neg, hp: 1. + _negate(0.9 * m, neg)),
    'BrightnessIncreasing': (lambda img, f, hp: ImageEnhance.Brightness(img).enhance(f),
                             lambda m, neg, hp: 1. + _negate(0.9 * m, neg)),
    'SharpnessIncreasing': (lambda img, f, hp: ImageEnhance.Sharpness(img).enhance(f),
                            lambda m, neg, hp: 1. + _negate(0.9 * m, neg)),
    'ShearX': (lambda img, s, hp: _affine(img, (1, s, 0, 0, 1, 0), hp),
               lambda m, neg, hp: _negate(0.3 * m, neg)),
    'ShearY': (lambda img, s, hp: _affine(img, (1, 0, 0, s, 1, 0), hp),
               lambda m, neg, hp: _negate(0.3 * m, neg)),
    'TranslateXRel': (lambda img, p, hp: _affine(img, (1, 0, p * img.size[0], 0, 1, 0), hp),
                      lambda m, neg, hp: _negate(hp['translate_pct'] * m, neg)),
    'TranslateYRel': (lambda img, p, hp: _affine(img, (1, 0, 0, 0, 1, p * img.size[1]), hp),
                      lambda m, neg, hp: _negate(hp['translate_pct'] * m, neg)),
}

POLICIES = {
    # timm ``_RAND_INCREASING_TRANSFORMS``, the set of the ConvNeXt recipe.
    'timm_increasing': ('AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing',
                        'SolarizeIncreasing', 'SolarizeAdd', 'ColorIncreasing',
                        'ContrastIncreasing', 'BrightnessIncreasing', 'SharpnessIncreasing',
                        'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel'),
}

HPARAM_KEYS = ('pad_val', 'interpolation', 'translate_pct')


def _suggest(name: str, choices: Sequence[str]) -> str:
    import difflib
    close = difflib.get_close_matches(name, list(choices), n=3)
    return f' Did you mean {close}?' if close else ''


def apply_op(img: Image.Image, name: str, magnitude: float, hparams: dict,
             negate: bool = False, total_level: float = 10.) -> Image.Image:
    """Apply op ``name`` at ``magnitude`` (0..total_level) to a PIL RGB image.

    ``hparams`` holds ``resample`` (PIL filter), ``fill`` (RGB tuple) and ``translate_pct``.
    """
    if name not in OPS:
        raise KeyError(f'Unknown RandAugment op {name!r}; known ops: {sorted(OPS)}.'
                       + _suggest(name, OPS))
    fn, level_to_arg = OPS[name]
    arg = None if level_to_arg is None else level_to_arg(magnitude / total_level, negate, hparams)
    return fn(img, arg, hparams)


@TRANSFORMS.register_module()
class RandAugment(BaseTransform):
    """Apply ``num_policies`` randomly chosen ops from ``policies`` to ``results['img']``.

    Args:
        policies: ``'timm_increasing'`` or a sequence of op names from :data:`OPS`.
        num_policies: ops drawn per image (with replacement).
        magnitude_level: mean magnitude, in ``[0, total_level]``.
        magnitude_std: std of the magnitude noise; ``'inf'`` / ``float('inf')`` draws uniformly in
            ``[0, magnitude_level]``; 0 disables noise.
        total_level: the maximum level (magnitude denominator).
        op_prob: probability that each drawn op is applied (timm: 0.5).
        hparams: ``pad_val`` (fill of rotate/shear/translate in BGR order, int or 3 values;
            default 128), ``interpolation`` (``'bicubic'``, ``'bilinear'`` or ``'nearest'``;
            default ``'bicubic'``), ``translate_pct`` (default 0.45).
    """

    def __init__(self, policies: Union[str, Sequence[str]] = 'timm_increasing',
                 num_policies: int = 2, magnitude_level: float = 9.,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10.,
                 op_prob: float = 0.5, hparams: Optional[dict] = None) -> None:
        if isinstance(policies, str):
            if policies not in POLICIES:
                raise ValueError(f'Unknown RandAugment policies {policies!r}; known: '
                                 f'{sorted(POLICIES)}, or pass a list of op names.'
                                 + _suggest(policies, POLICIES))
            policies = POLICIES[policies]
        policies = tuple(policies)
        if not policies:
            raise ValueError('RandAugment needs at least one op in policies.')
        for name in policies:
            if not isinstance(name, str) or name not in OPS:
                raise KeyError(f'Unknown RandAugment op {name!r} in policies; known ops: '
                               f'{sorted(OPS)}.' + _suggest(str(name), OPS))
        if not isinstance(num_policies, int) or num_policies < 0:
            raise ValueError(f'num_policies must be a non-negative int; got {num_policies!r}.')
        if total_level <= 0 or not 0 <= magnitude_level <= total_level:
            raise ValueError(f'Need 0 <= magnitude_level <= total_level and total_level > 0; '
                             f'got magnitude_level={magnitude_level!r}, '
                             f'total_level={total_level!r}.')
        if isinstance(magnitude_std, str):
            if magnitude_std != 'inf':
                raise ValueError(f"magnitude_std must be a number >= 0 or 'inf'; got "
                                 f'{magnitude_std!r}.')
            magnitude_std = float('inf')
        if magnitude_std < 0:
            raise ValueError(f'magnitude_std must be >= 0; got {magnitude_std!r}.')
        if not 0 <= op_prob <= 1:
            raise ValueError(f'op_prob must be in [0, 1]; got {op_prob!r}.')
        hparams = dict(hparams or {})
        unknown = sorted(set(hparams) - set(HPARAM_KEYS))
        if unknown:
            raise KeyError(f'Unknown RandAugment hparams {unknown}; allowed: {HPARAM_KEYS}.')
        interpolation = hparams.get('interpolation', 'bicubic')
        if interpolation not in ('nearest', 'bilinear', 'bicubic'):
            raise ValueError("hparams['interpolation'] must be 'nearest', 'bilinear' or "
                             f"'bicubic'; got {interpolation!r}.")
        pad_val = hparams.get('pad_val', 128)
        pad = [int(round(v)) for v in (pad_val if isinstance(pad_val, Sequence) else [pad_val])]
        if len(pad) not in (1, 3):
            raise ValueError(f"hparams['pad_val'] must be one value or 3 (BGR); got {pad_val!r}.")
        self.policies = policies
        self.num_policies = num_policies
        self.magnitude_level = float(magnitude_level)
        self.magnitude_std = float(magnitude_std)
        self.total_level = float(total_level)
        self.op_prob = float(op_prob)
        self.hparams = dict(pad_val=pad_val, interpolation=interpolation,
                            translate_pct=float(hparams.get('translate_pct', 0.45)))
        # PIL works on RGB: reverse the BGR fill colour.
        self._pil_hparams = dict(resample=PIL_INTERPOLATION[interpolation],
                                 fill=tuple((pad * 3)[:3][::-1]),
                                 translate_pct=self.hparams['translate_pct'])
        self._pil_hparams_grey = dict(self._pil_hparams, fill=pad[0])

    def _magnitude(self) -> float:
        magnitude = self.magnitude_level
        if self.magnitude_std == float('inf'):
            magnitude = random.uniform(0., magnitude)
        elif self.magnitude_std > 0:
            magnitude = random.gauss(magnitude, self.magnitude_std)
        return float(min(max(magnitude, 0.), self.total_level))

    def transform(self, results: dict) -> dict:
        img = results['img']
        grey = img.ndim == 2 or img.shape[2] == 1
        if not grey and img.shape[2] != 3:
            raise ValueError(f'RandAugment expects a grey or 3-channel image; got shape '
                             f'{img.shape}.')
        pil = None
        for _ in range(self.num_policies):
            name = random.choice(self.policies)
            if random.random() >= self.op_prob:
                continue
            if pil is None:
                pil = Image.fromarray(img.reshape(img.shape[:2]) if grey else img[..., ::-1])
            hparams = self._pil_hparams_grey if grey else self._pil_hparams
            pil = apply_op(pil, name, self._magnitude(), hparams,
                           negate=random.random() < 0.5, total_level=self.total_level)
        if pil is not None:
            out = np.asarray(pil)
            results['img'] = out.reshape(img.shape) if grey else out[..., ::-1]
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(policies={len(self.policies)} ops, num_policies='
                f'{self.num_policies}, magnitude_level={self.magnitude_level}, magnitude_std='
                f'{self.magnitude_std}, total_level={self.total_level}, op_prob={self.op_prob}, '
                f'hparams={self.hparams})')
