"""RandAugment (Cubuk et al. 2020) over registered ops, with MMPretrain's policy format.

A policy is an op config, ``dict(type='Rotate', magnitude_range=(0, 30))``; RandAugment builds
each one (after merging ``hparams`` into the ops that take those arguments and its
``magnitude_level`` / ``magnitude_std`` / ``total_level`` into the ops with a
``magnitude_range``) and applies ``num_policies`` of them per image, drawn uniformly with
replacement. Each op then runs with its own ``prob`` and sign (see :mod:`.aug_base`).

``policies='timm_increasing'`` is timm's ``_RAND_INCREASING_TRANSFORMS`` set (the ConvNeXt
recipe's ``rand-m9-mstd0.5-inc1``), listed in :data:`POLICIES`:

==============================  ==========================================================
AutoContrast, Equalize, Invert  no argument
Rotate                          angle 0..30 degrees
Posterize                       bits 4..0
Solarize                        threshold 256..0
SolarizeAdd                     add 0..110 to pixels < 128
ColorTransform, Contrast,       factor 1 + (0..0.9)
Brightness, Sharpness
Shear (horizontal, vertical)    factor 0..0.3
Translate (both directions)     0..0.45 of the image size
==============================  ==========================================================

With ``hparams=dict(backend='pillow', interpolation='bicubic', pad_val=...)`` the result is
timm's RandAugment exactly (same ops, PIL calls, levels, probabilities 0.5, signs); with the
default ``'cv2'`` backend it is MMPretrain's (mmcv functions).
"""
import copy
import inspect
from numbers import Number
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import BaseTransform, RandomChoice

from mmcls_convnext.registry import TRANSFORMS
from mmcls_convnext.suggestions import did_you_mean

from ..errors import DataConfigError, DataConfigTypeError
from .aug_base import BaseAugTransform
from .backends import OP_BACKENDS

#: Named policy sets (tuples of op configs; RandAugment copies them).
POLICIES: Dict[str, Tuple[dict, ...]] = {
    'timm_increasing': (
        dict(type='AutoContrast'),
        dict(type='Equalize'),
        dict(type='Invert'),
        dict(type='Rotate', magnitude_range=(0, 30)),
        dict(type='Posterize', magnitude_range=(4, 0)),
        dict(type='Solarize', magnitude_range=(256, 0)),
        dict(type='SolarizeAdd', magnitude_range=(0, 110)),
        dict(type='ColorTransform', magnitude_range=(0, 0.9)),
        dict(type='Contrast', magnitude_range=(0, 0.9)),
        dict(type='Brightness', magnitude_range=(0, 0.9)),
        dict(type='Sharpness', magnitude_range=(0, 0.9)),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
        dict(type='Translate', magnitude_range=(0, 0.45), direction='horizontal'),
        dict(type='Translate', magnitude_range=(0, 0.45), direction='vertical'),
    ),
    # MMPretrain's reduced set (no colour ops)
    'simple_increasing': (
        dict(type='AutoContrast'),
        dict(type='Equalize'),
        dict(type='Rotate', magnitude_range=(0, 30)),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='horizontal'),
        dict(type='Shear', magnitude_range=(0, 0.3), direction='vertical'),
    ),
}


def _sub(first: dict, second: dict) -> Tuple[dict, dict]:
    return (first, second)


#: AutoAugment's learned ImageNet policy (Cubuk et al. 2019, the 25 sub-policies as
#: MMPretrain writes them): magnitudes are the paper's level m of 0..9 mapped as
#: Rotate 30 * m / 9 degrees, Solarize 256 * (9 - m) / 9 (as written: 256 / 9 * k), Shear
#: 0.3 * m / 9, Color / Contrast / Sharpness factor - 1 = the value given.
AUTOAUG_POLICIES: Dict[str, Tuple[Tuple[dict, ...], ...]] = {
    'imagenet': (
        _sub(dict(type='Posterize', bits=4, prob=0.4), dict(type='Rotate', angle=30., prob=0.6)),
        _sub(dict(type='Solarize', thr=256 / 9 * 4, prob=0.6),
             dict(type='AutoContrast', prob=0.6)),
        _sub(dict(type='Equalize', prob=0.8), dict(type='Equalize', prob=0.6)),
        _sub(dict(type='Posterize', bits=5, prob=0.6), dict(type='Posterize', bits=5, prob=0.6)),
        _sub(dict(type='Equalize', prob=0.4), dict(type='Solarize', thr=256 / 9 * 5, prob=0.2)),
        _sub(dict(type='Equalize', prob=0.4), dict(type='Rotate', angle=30 / 9 * 8, prob=0.8)),
        _sub(dict(type='Solarize', thr=256 / 9 * 6, prob=0.6), dict(type='Equalize', prob=0.6)),
        _sub(dict(type='Posterize', bits=6, prob=0.8), dict(type='Equalize', prob=1.)),
        _sub(dict(type='Rotate', angle=10., prob=0.2),
             dict(type='Solarize', thr=256 / 9, prob=0.6)),
        _sub(dict(type='Equalize', prob=0.6), dict(type='Posterize', bits=5, prob=0.4)),
        _sub(dict(type='Rotate', angle=30 / 9 * 8, prob=0.8),
             dict(type='ColorTransform', magnitude=0., prob=0.4)),
        _sub(dict(type='Rotate', angle=30., prob=0.4), dict(type='Equalize', prob=0.6)),
        _sub(dict(type='Equalize', prob=0.0), dict(type='Equalize', prob=0.8)),
        _sub(dict(type='Invert', prob=0.6), dict(type='Equalize', prob=1.)),
        _sub(dict(type='ColorTransform', magnitude=0.4, prob=0.6),
             dict(type='Contrast', magnitude=0.8, prob=1.)),
        _sub(dict(type='Rotate', angle=30 / 9 * 8, prob=0.8),
             dict(type='ColorTransform', magnitude=0.2, prob=1.)),
        _sub(dict(type='ColorTransform', magnitude=0.8, prob=0.8),
             dict(type='Solarize', thr=256 / 9 * 2, prob=0.8)),
        _sub(dict(type='Sharpness', magnitude=0.7, prob=0.4), dict(type='Invert', prob=0.6)),
        _sub(dict(type='Shear', magnitude=0.3 / 9 * 5, prob=0.6, direction='horizontal'),
             dict(type='Equalize', prob=1.)),
        _sub(dict(type='ColorTransform', magnitude=0., prob=0.4),
             dict(type='Equalize', prob=0.6)),
        _sub(dict(type='Equalize', prob=0.4), dict(type='Solarize', thr=256 / 9 * 5, prob=0.2)),
        _sub(dict(type='Solarize', thr=256 / 9 * 4, prob=0.6),
             dict(type='AutoContrast', prob=0.6)),
        _sub(dict(type='Invert', prob=0.6), dict(type='Equalize', prob=1.)),
        _sub(dict(type='ColorTransform', magnitude=0.4, prob=0.6),
             dict(type='Contrast', magnitude=0.8, prob=1.)),
        _sub(dict(type='Equalize', prob=0.8), dict(type='Equalize', prob=0.6)),
    ),
}

def _aug_op_names() -> List[str]:
    return sorted(name for name, cls in TRANSFORMS.module_dict.items()
                  if isinstance(cls, type) and issubclass(cls, BaseAugTransform))


def _init_args(op_cls) -> set:
    """Named arguments of an op's constructor (what ``hparams`` can set)."""
    params = inspect.signature(op_cls.__init__).parameters.values()
    return {p.name for p in params if p.name != 'self'
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


def _op_class(policy, index: int, where: str = 'RandAugment policy'):
    if not isinstance(policy, dict) or not isinstance(policy.get('type'), str):
        raise DataConfigTypeError(
            f'{where} {index} must be a dict with a "type" key, like '
            f"dict(type='Rotate', magnitude_range=(0, 30)); got {policy!r}.")
    op_cls = TRANSFORMS.get(policy['type'])
    if op_cls is None:
        raise DataConfigError(f'{where} {index}: unknown op type {policy["type"]!r}; '
                              f'the ops are {_aug_op_names()}.'
                              + did_you_mean(policy['type'].rsplit('.', 1)[-1],  # 'x.Rotate'
                                             _aug_op_names()))
    return op_cls


def _check_hparams(hparams: dict, where: str = 'RandAugment') -> None:
    """A key that no augmentation op takes is a typo (keys only some ops take are fine)."""
    known = set().union(*(_init_args(TRANSFORMS.get(name)) for name in _aug_op_names()))
    unknown = sorted(set(hparams) - known)
    if unknown:
        raise DataConfigError(f'{where} hparams {unknown}: no op takes such an argument; '
                              f'the op arguments are {sorted(known)}.'
                              + did_you_mean(unknown[0], known))


def _check_backends(backends: Optional[Dict[str, str]], policies) -> Dict[str, str]:
    """A copy of ``backends``: op types of ``policies`` mapped to a backend name."""
    if backends is None:
        return {}
    if not isinstance(backends, dict):
        raise DataConfigTypeError(f"RandAugment backends must be a dict like dict(Rotate='cv2'); "
                                  f'got {backends!r}.')
    types = [p.get('type') for p in policies if isinstance(p, dict)]
    for name, backend in backends.items():
        if name not in types:
            raise DataConfigError(f'RandAugment backends: {name!r} is not an op type of the '
                                  f'policies {sorted(set(types))}.'
                                  + did_you_mean(name, set(types)))
        if backend not in OP_BACKENDS:
            raise DataConfigError(f'RandAugment backends: {name}={backend!r}; the backends are '
                                  f'{OP_BACKENDS}.')
    return dict(backends)


def _check_magnitude_key(policy: dict, op_cls, index: int) -> None:
    """``magnitude_key`` (MMClassification 0.x) must name the argument the range replaces."""
    key = policy['magnitude_key']
    expected = getattr(op_cls, 'MAGNITUDE_KEY', key)
    if key != expected:
        raise DataConfigError(
            f'RandAugment policy {index} ({policy["type"]}): magnitude_key={key!r}, but '
            f'magnitude_range sets its {expected!r}. magnitude_key is optional: remove it or '
            f'write {expected!r}.')
    if 'magnitude_range' not in policy:
        raise DataConfigError(f'RandAugment policy {index} ({policy["type"]}): magnitude_key '
                              'without magnitude_range; add magnitude_range=(v1, v2).')


@TRANSFORMS.register_module()
class RandAugment(BaseTransform):
    """Apply ``num_policies`` ops drawn (with replacement) from ``policies`` to each image.

    Args:
        policies: a policy-set name (``'timm_increasing'``) or a list of op configs such as
            ``dict(type='Rotate', magnitude_range=(0, 30))``; ``magnitude_key`` (the 0.x
            spelling) is accepted when it names the argument the range replaces.
        num_policies: ops drawn per image.
        magnitude_level: level of every op with a ``magnitude_range``, in
            ``[0, total_level]``.
        magnitude_std: std of the level noise; 0 disables it, ``'inf'`` draws the level
            uniformly in ``[0, magnitude_level]``.
        total_level: the largest level.
        hparams: arguments given to every op that takes them and does not set them itself,
            e.g. ``dict(pad_val=128, interpolation='bicubic', backend='pillow')``. A key no op
            takes is an error. Default ``dict(pad_val=128)``.
        backends: per op type, the backend that replaces ``hparams['backend']`` for that
            type's ops (a policy's own ``backend`` still wins), e.g.
            ``dict(Rotate='cv2', Shear='cv2', Translate='cv2')``: the same op, argument and
            probability, another kernel. Types must be in ``policies``.

    Attributes:
        policies: the op configs as built (hparams and magnitude settings merged).
        transforms: the built ops, in ``policies`` order.
    """

    def __init__(self, policies: Union[str, Sequence[dict]] = 'timm_increasing',
                 num_policies: int = 2, magnitude_level: float = 9,
                 magnitude_std: Union[float, str] = 0., total_level: float = 10,
                 hparams: Optional[dict] = None,
                 backends: Optional[Dict[str, str]] = None) -> None:
        if isinstance(policies, str):
            if policies not in POLICIES:
                raise DataConfigError(
                    f'Invalid RandAugment policies {policies!r}: please choose from '
                    f"{list(POLICIES)} or give a list of dicts like dict(type='Rotate', "
                    'magnitude_range=(0, 30)).' + did_you_mean(policies, POLICIES))
            policies = POLICIES[policies]
        if not isinstance(policies, Sequence) or not policies:
            raise DataConfigTypeError('RandAugment policies must be a policy-set name or a '
                                      f'non-empty list of op dicts; got {policies!r}.')
        self._check_levels(num_policies, magnitude_level, magnitude_std, total_level)
        self.num_policies = num_policies
        self.magnitude_level = magnitude_level
        self.magnitude_std = magnitude_std
        self.total_level = total_level
        self.hparams = dict(pad_val=128) if hparams is None else dict(hparams)
        magnitude = dict(magnitude_level=magnitude_level, magnitude_std=magnitude_std,
                         total_level=total_level)
        _check_hparams(self.hparams)
        self.backends = _check_backends(backends, policies)
        self.policies: List[dict] = []
        for index, policy in enumerate(policies):
            op_cls = _op_class(policy, index)
            policy = copy.deepcopy(dict(policy))
            if 'magnitude_key' in policy:
                _check_magnitude_key(policy, op_cls, index)
                del policy['magnitude_key']
            accepted = _init_args(op_cls)
            if policy['type'] in self.backends:
                policy.setdefault('backend', self.backends[policy['type']])
            for key, value in self.hparams.items():
                if key in accepted:
                    policy.setdefault(key, copy.deepcopy(value))
            if 'magnitude_range' in policy:
                policy.update(magnitude)
            self.policies.append(policy)
        self.transforms = [TRANSFORMS.build(copy.deepcopy(p)) for p in self.policies]

    @staticmethod
    def _check_levels(num_policies, magnitude_level, magnitude_std, total_level) -> None:
        if not isinstance(num_policies, int) or isinstance(num_policies, bool) \
                or num_policies < 0:
            raise DataConfigError(f'RandAugment: num_policies must be an int >= 0; got '
                                  f'{num_policies!r}.')
        if not isinstance(total_level, Number) or total_level <= 0:
            raise DataConfigError(f'RandAugment: total_level must be > 0; got {total_level!r}.')
        if not isinstance(magnitude_level, Number) or not 0 <= magnitude_level <= total_level:
            raise DataConfigError(
                f'RandAugment: need 0 <= magnitude_level <= total_level; got magnitude_level='
                f'{magnitude_level!r}, total_level={total_level!r}.')
        if magnitude_std != 'inf' and not (isinstance(magnitude_std, Number)
                                           and magnitude_std >= 0):
            raise DataConfigError('RandAugment: `magnitude_std` must be a number >= 0 or '
                                  f'"inf", got "{magnitude_std}" instead.')

    def __iter__(self):
        """Iterate over the built ops."""
        return iter(self.transforms)

    def random_policy_indices(self) -> List[int]:
        """Indices of this call's ops (uniform, with replacement)."""
        return np.random.randint(len(self.transforms), size=self.num_policies).tolist()

    def transform(self, results: dict) -> Optional[dict]:
        for index in self.random_policy_indices():
            results = self.transforms[index](results)
            if results is None:
                return None
        return results

    def __repr__(self) -> str:
        lines = ''
        for policy in self.policies:
            lines += f'\n    {policy["type"]}'
            if 'magnitude_range' in policy:
                low, high = policy['magnitude_range']
                lines += f' ({low}, {high})'
        return (f'{type(self).__name__}(num_policies={self.num_policies}, magnitude_level='
                f'{self.magnitude_level}, total_level={self.total_level}, policies:{lines}\n)')


@TRANSFORMS.register_module()
class AutoAugment(RandomChoice):
    """AutoAugment (Cubuk et al. 2019): apply one sub-policy, drawn uniformly, per image.

    A sub-policy is a list of op configs applied in order, each with its own ``prob`` and
    fixed argument (``dict(type='Rotate', angle=30., prob=0.6)``); the draw is mmcv's
    ``RandomChoice`` (``np.random.choice`` over the sub-policies, equal probabilities).

    Args:
        policies: ``'imagenet'`` (:data:`AUTOAUG_POLICIES`, the paper's ImageNet policy) or a
            list of sub-policies (lists of op configs).
        hparams: arguments given to every op that takes them and does not set them itself
            (default ``dict(pad_val=128)``); a key no op takes is an error.

    Attributes:
        policies: the sub-policies as built (hparams merged).
        transforms: one Compose per sub-policy.
    """

    def __init__(self, policies: Union[str, Sequence[Sequence[dict]]] = 'imagenet',
                 hparams: Optional[dict] = None) -> None:
        if isinstance(policies, str):
            if policies not in AUTOAUG_POLICIES:
                raise DataConfigError(
                    f'Invalid AutoAugment policies {policies!r}, please choose from '
                    f'{list(AUTOAUG_POLICIES)} or give a list of sub-policies (lists of op '
                    'dicts).' + did_you_mean(policies, AUTOAUG_POLICIES))
            policies = AUTOAUG_POLICIES[policies]
        if (isinstance(policies, str) or not isinstance(policies, Sequence) or not policies
                or not all(isinstance(sub, Sequence) and not isinstance(sub, (str, dict))
                           for sub in policies)):
            raise DataConfigTypeError(
                'AutoAugment policies must be a policy name or a non-empty list of '
                "sub-policies, each a list of op dicts like [dict(type='Rotate', angle=30., "
                f'prob=0.6)]; got {policies!r}.')
        self.hparams = dict(pad_val=128) if hparams is None else dict(hparams)
        _check_hparams(self.hparams, 'AutoAugment')
        self.policies: List[List[dict]] = []
        for index, sub in enumerate(policies):
            built = []
            for policy in sub:
                op_cls = _op_class(policy, index, 'AutoAugment sub-policy')
                policy = copy.deepcopy(dict(policy))
                accepted = _init_args(op_cls)
                for key, value in self.hparams.items():
                    if key in accepted:
                        policy.setdefault(key, copy.deepcopy(value))
                built.append(policy)
            self.policies.append(built)
        super().__init__(transforms=[[TRANSFORMS.build(copy.deepcopy(p)) for p in sub]
                                     for sub in self.policies])

    def __iter__(self):
        """Iterate over the sub-policies (one Compose each)."""
        return iter(self.transforms)

    def __repr__(self) -> str:
        lines = ''.join('\t' + ', \t'.join(p['type'] for p in sub) + '\n'
                        for sub in self.policies)
        return f'{type(self).__name__}(policies:\n{lines})'
