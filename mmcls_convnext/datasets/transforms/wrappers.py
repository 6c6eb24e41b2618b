"""Transforms that wrap other transforms: MultiView, Albumentations and ``torchvision/*``.

- :class:`MultiView` runs pipelines several times on copies of one sample (the views of
  contrastive / self-supervised recipes) and puts the list of images in ``results['img']``.
- :class:`Albumentations` (alias ``'Albu'``) builds an ``albumentations.Compose`` from
  configs naming albumentations classes, with MMPretrain's arguments.
- Every class of ``torchvision.transforms`` is registered as ``'torchvision/<Name>'``
  (:data:`VISION_TRANSFORMS`), applied to ``results['img']`` as it is: put
  ``dict(type='NumpyToPIL', to_rgb=True)`` before PIL-only ones (the loaded image is a BGR
  array). String arguments ``interpolation='bilinear'`` and ``dtype='float'`` are converted
  to torchvision's ``InterpolationMode`` / a ``torch.dtype``.
"""
import copy
import inspect
import os
from enum import EnumMeta
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform, Compose

try:  # only the torchvision/* wrappers need torchvision: the rest of the package imports without
    import torchvision
    from torchvision.transforms import InterpolationMode
except ImportError:
    torchvision = InterpolationMode = None

from mmcls_convnext.registry import TRANSFORMS
from mmcls_convnext.suggestions import did_you_mean

from ..errors import DataConfigError, DataConfigTypeError, MissingInputError
from .backends import TORCHVISION_INTERPOLATIONS
from .lazy_image import EncodedImage


def _import_albumentations():
    """The albumentations module, imported on first use (it is optional and slow to import);
    its import-time update check (a request to PyPI) is switched off: runs stay offline."""
    os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')
    try:
        import albumentations
    except ImportError as err:
        raise RuntimeError('Albumentations needs the albumentations package: pip install '
                           'albumentations.') from err
    return albumentations


def _build_pipeline(transforms, where: str) -> Compose:
    """A Compose of transform configs (built in this package's registry) or callables."""
    if isinstance(transforms, (str, dict)) or not isinstance(transforms, Sequence):
        raise DataConfigTypeError(f'{where} must be a list of transforms (configs or '
                                  f'callables); got {transforms!r}.')
    built = []
    for transform in transforms:
        if isinstance(transform, dict):
            transform = TRANSFORMS.build(copy.deepcopy(transform))
        elif not callable(transform):
            raise DataConfigTypeError(f'{where}: {transform!r} is neither a transform config '
                                      'nor a callable.')
        built.append(transform)
    return Compose(built)


@TRANSFORMS.register_module()
class MultiView(BaseTransform):
    """Several augmented views of one image: ``results['img']`` becomes their list.

    Pipeline ``i`` runs ``num_views[i]`` times, each on a deep copy of the input, in order;
    the other keys of ``results`` are kept from the input.

    Args:
        transforms: a list of pipelines (each a list of transform configs or callables).
        num_views: views per pipeline: one int per pipeline (an int alone is ``[int]``).
    """

    def __init__(self, transforms: Sequence[Sequence[Union[dict, Callable]]],
                 num_views: Union[int, Sequence[int]]) -> None:
        if isinstance(num_views, int) and not isinstance(num_views, bool):
            num_views = [num_views]
        if (not isinstance(num_views, Sequence)
                or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1
                           for n in num_views)):
            raise DataConfigError(f'MultiView num_views must be an int >= 1 or a list of them '
                                  f'(one per pipeline); got {num_views!r}.')
        if not isinstance(transforms, Sequence) or len(transforms) != len(num_views):
            raise DataConfigError(f'MultiView: {len(num_views)} num_views for '
                                  f'{len(transforms) if isinstance(transforms, Sequence) else 0}'
                                  ' pipelines; give one number of views per pipeline.')
        self.num_views = list(num_views)
        self.pipelines = [_build_pipeline(t, f'MultiView pipeline {i}')
                          for i, t in enumerate(transforms)]
        self.transforms = [p for p, n in zip(self.pipelines, self.num_views) for _ in range(n)]

    def transform(self, results: dict) -> dict:
        views = []
        for pipeline in self.transforms:
            out = pipeline(copy.deepcopy(results))
            if out is None:
                raise ValueError('MultiView: a pipeline returned None (a transform dropped the '
                                 'sample); MultiView needs every view.')
            views.append(out['img'])
        results['img'] = views
        return results

    def __repr__(self) -> str:
        lines = ''.join(f'\n    {n} x {p}' for p, n in zip(self.pipelines, self.num_views))
        return f'{type(self).__name__}({lines}\n)'


@TRANSFORMS.register_module(['Albumentations', 'Albu'])
class Albumentations(BaseTransform):
    """Apply an ``albumentations.Compose`` of the given transforms to ``results['img']``.

    The image is passed as it is (BGR arrays: albumentations' colour-order-free ops behave
    the same; ones that assume RGB, like ``ToGray``, weigh the channels in reverse).
    ``img_shape`` is updated. Randomness: albumentations 1.x (the tests' pinned 1.4.18, as
    MMPretrain's tests expect) draws from the global ``random`` / ``np.random``, which mmengine
    seeds per worker; 2.x gives each Compose its own generator, seeded from the OS unless told,
    so with 2.x every call reseeds it from ``np.random`` (one draw) and a seeded run stays
    reproducible.

    Args:
        transforms: list of configs ``dict(type='ChannelShuffle', p=1)``; ``type`` names an
            albumentations class (or is the class); nested ``transforms`` (``OneOf``...) are
            built the same way.
        keymap: results key -> albumentations key (default ``dict(img='image')``); only these
            keys are passed to albumentations, all others stay in the results as they are.
    """

    def __init__(self, transforms: List[dict], keymap: Optional[Dict[str, str]] = None) -> None:
        self._albu = _import_albumentations()
        if not isinstance(transforms, list):
            raise DataConfigTypeError(f'Albumentations transforms must be a list of dicts; got '
                                      f'{transforms!r}.')
        if keymap is not None and not isinstance(keymap, dict):
            raise DataConfigTypeError(f'Albumentations keymap must be None or a dict like '
                                      f"dict(img='image'); got {keymap!r}.")
        self.transforms = transforms
        self.aug = self._albu.Compose([self.albu_builder(t) for t in transforms])
        self.keymap_to_albu = dict(keymap) if keymap else dict(img='image')
        self.keymap_back = {v: k for k, v in self.keymap_to_albu.items()}

    def albu_builder(self, cfg: dict):
        """The albumentations object of one config (``type``: class name or class)."""
        if not isinstance(cfg, dict) or 'type' not in cfg:
            raise DataConfigError("Albumentations: each item in transforms must be a dict with "
                                  f"keyword 'type'; got {cfg!r}.")
        args = dict(cfg)
        obj_type = args.pop('type')
        if isinstance(obj_type, str):
            obj_cls = getattr(self._albu, obj_type, None)
            if not inspect.isclass(obj_cls):
                raise DataConfigError(f'Albumentations: albumentations has no transform '
                                      f'{obj_type!r}.' + did_you_mean(obj_type, dir(self._albu)))
        elif inspect.isclass(obj_type):
            obj_cls = obj_type
        else:
            raise DataConfigTypeError(f'Albumentations: type must be a str or valid type, but '
                                      f'got {type(obj_type).__name__}.')
        if 'transforms' in args:
            args['transforms'] = [self.albu_builder(t) for t in args['transforms']]
        return obj_cls(**args)

    def transform(self, results: dict) -> dict:
        if 'img' not in results:
            raise MissingInputError('Albumentations: No `img` field in the input.')
        if hasattr(self.aug, 'set_random_seed'):  # albumentations >= 2: own generators
            self.aug.set_random_seed(int(np.random.randint(2**31)))
        # only the keymap's keys go in: a pipeline's other keys (img_path, img_shape, gt_label,
        # ...) are not albumentations targets, and its strict Compose (1.4.x's default) refuses
        # unknown names; they stay in ``results`` untouched
        mapped = {albu: results[key] for key, albu in self.keymap_to_albu.items()
                  if key in results}
        out = self.aug(**mapped)
        for albu, value in out.items():
            results[self.keymap_back.get(albu, albu)] = value
        results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(transforms={self.transforms!r})'


class TorchVisionWrapper(BaseTransform):
    """A ``torchvision.transforms`` class applied to ``results['img']``.

    Subclasses (one per torchvision class, registered as ``'torchvision/<Name>'``) set
    ``TRANSFORM``; keyword arguments are torchvision's, with ``interpolation`` also by name
    (:data:`.backends.TORCHVISION_INTERPOLATIONS`) and ``dtype`` by name (``'float'``).
    """

    TRANSFORM: type = None

    def __init__(self, *args, **kwargs) -> None:
        name = f'torchvision/{self.TRANSFORM.__name__}'
        if isinstance(kwargs.get('interpolation'), str):
            mode = kwargs['interpolation'].lower()
            if mode not in TORCHVISION_INTERPOLATIONS:
                raise DataConfigError(f'{name}: interpolation {kwargs["interpolation"]!r}; '
                                      f'choose one of {TORCHVISION_INTERPOLATIONS}.')
            kwargs['interpolation'] = InterpolationMode(mode)
        if isinstance(kwargs.get('dtype'), str):
            dtype = getattr(torch, kwargs['dtype'], None)
            if not isinstance(dtype, torch.dtype):
                raise DataConfigError(f'{name}: dtype {kwargs["dtype"]!r} is not a torch dtype '
                                      "(e.g. 'float', 'float32', 'uint8').")
            kwargs['dtype'] = dtype
        self.t = self.TRANSFORM(*args, **kwargs)

    def transform(self, results: dict) -> dict:
        img = results['img']
        if isinstance(img, EncodedImage):  # lazily loaded: the RGB PIL image torchvision takes
            img = img.decode()[0]
        results['img'] = self.t(img)
        if isinstance(results['img'], np.ndarray):
            results['img_shape'] = results['img'].shape[:2]
        return results

    def __repr__(self) -> str:
        return f'TorchVision{self.t!r}'


def register_vision_transforms() -> List[str]:
    """Register every transform class of ``torchvision.transforms`` as ``torchvision/<Name>``."""
    if torchvision is None:  # not installed: no torchvision/* names (a config naming one is
        return []            # refused by the registry, naming the type)
    names = []
    for attr in dir(torchvision.transforms):
        cls = getattr(torchvision.transforms, attr)
        if (not attr[:1].isupper() or not inspect.isclass(cls) or isinstance(cls, EnumMeta)):
            continue
        wrapper = type(f'TorchVision{attr}', (TorchVisionWrapper,),
                       {'TRANSFORM': cls, '__module__': __name__,
                        '__doc__': f'``torchvision.transforms.{attr}`` on results["img"].'})
        TRANSFORMS.register_module(name=f'torchvision/{attr}', module=wrapper)
        names.append(f'torchvision/{attr}')
    return names


#: the registered ``torchvision/*`` names
VISION_TRANSFORMS: List[str] = register_vision_transforms()
