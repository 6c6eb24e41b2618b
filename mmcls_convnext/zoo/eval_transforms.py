"""The eval preprocessing a published weight expects, as a value.

Every ConvNeXt weight was evaluated with one of two recipes (the official releases' and
MMPretrain's test pipelines; timm's per-weight configs say the same with ``crop_pct`` and
``crop_mode``):

- ``'center'``: resize the short edge to ``resize_size`` (bicubic, PIL), then a centre crop of
  ``crop_size`` - 256 then 224 at 224 px, a crop ratio of 0.875;
- ``'squash'``: resize the whole image to ``crop_size`` x ``crop_size`` (bicubic, PIL), no crop -
  the 384 px and 512 px fine-tunes.

Then RGB, and ``(x - mean) / std`` per channel on the 0-255 scale with ImageNet's mean
(123.675, 116.28, 103.53) and std (58.395, 57.12, 57.375).

:class:`EvalTransforms` holds those numbers. :meth:`EvalTransforms.pipeline` is the same recipe
as a test pipeline (transform configs, as a config's ``test_pipeline``; normalisation stays in
the model's data preprocessor); calling the value runs it on one image and normalises, as
torchvision's ``weights.transforms()`` does, so ``model(preprocess(img)[None])`` gives logits.
"""
import copy
import functools
import os
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple, Union

import numpy as np
import torch

IMAGENET_MEAN = (123.675, 116.28, 103.53)  # RGB, 0-255 scale
IMAGENET_STD = (58.395, 57.12, 57.375)
CROP_MODES = ('center', 'squash')
INTERPOLATIONS = ('bicubic', 'bilinear', 'nearest')


@dataclass(frozen=True)
class EvalTransforms:
    """Resize / crop sizes, interpolation and normalisation of one weight's evaluation.

    Args:
        crop_size: side of the square the model sees.
        resize_size: short edge after resizing (``'center'``); equals ``crop_size`` for
            ``'squash'``.
        crop_mode: ``'center'`` (short-edge resize, centre crop) or ``'squash'`` (resize the
            whole image to ``crop_size`` x ``crop_size``).
        interpolation: resampling filter of the resize.
        backend: image library of the resize (``'pillow'``: PIL's filters, as timm and
            torchvision).
        mean, std: per-channel RGB normalisation on the 0-255 scale.

    Raises:
        ValueError: sizes that do not fit the mode, an unknown mode or interpolation.
    """
    crop_size: int
    resize_size: int
    crop_mode: str = 'center'
    interpolation: str = 'bicubic'
    backend: str = 'pillow'
    mean: Tuple[float, float, float] = IMAGENET_MEAN
    std: Tuple[float, float, float] = IMAGENET_STD

    def __post_init__(self) -> None:
        if self.crop_mode not in CROP_MODES:
            raise ValueError(f'crop_mode must be one of {CROP_MODES}; got {self.crop_mode!r}.')
        if self.interpolation not in INTERPOLATIONS:
            raise ValueError(f'interpolation must be one of {INTERPOLATIONS}; got '
                             f'{self.interpolation!r}.')
        for key in ('crop_size', 'resize_size'):
            value = getattr(self, key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f'{key} must be a positive int; got {value!r}.')
        if self.crop_mode == 'squash' and self.resize_size != self.crop_size:
            raise ValueError(f"crop_mode='squash' resizes to crop_size itself: resize_size must "
                             f'equal crop_size ({self.crop_size}); got {self.resize_size}.')
        if self.crop_mode == 'center' and self.resize_size < self.crop_size:
            raise ValueError(f'resize_size ({self.resize_size}) is smaller than crop_size '
                             f'({self.crop_size}): the centre crop would not fit.')
        for key in ('mean', 'std'):
            if len(getattr(self, key)) != 3:
                raise ValueError(f'{key} needs 3 RGB values; got {getattr(self, key)!r}.')

    @property
    def crop_pct(self) -> float:
        """timm's name for ``crop_size / resize_size`` (0.875 at 224 px, 1.0 when squashing)."""
        return self.crop_size / self.resize_size

    def pipeline(self) -> List[Dict[str, Any]]:
        """The recipe as a test pipeline: load, resize [, centre crop], pack (uint8 BGR CHW)."""
        if self.crop_mode == 'squash':
            resize = [dict(type='Resize', scale=(self.crop_size, self.crop_size),
                           backend=self.backend, interpolation=self.interpolation)]
        else:
            resize = [dict(type='ResizeEdge', scale=self.resize_size, edge='short',
                           backend=self.backend, interpolation=self.interpolation),
                      dict(type='CenterCrop', crop_size=self.crop_size)]
        return [dict(type='LoadImageFromFile'), *resize, dict(type='PackInputs')]

    def data_preprocessor(self) -> Dict[str, Any]:
        """The matching ``ClsDataPreprocessor`` settings (images arrive BGR: ``to_rgb``)."""
        return dict(type='ClsDataPreprocessor', mean=list(self.mean), std=list(self.std),
                    to_rgb=True)

    def __call__(self, image: Union[str, os.PathLike, np.ndarray, Any]) -> torch.Tensor:
        """Preprocess one image for ``model(x)``.

        Args:
            image: a file path, an ``(H, W, 3)`` uint8 **BGR** array (as ``mmcv.imread``
                returns it), or a PIL image.

        Returns:
            A float32 tensor ``(3, crop_size, crop_size)``, RGB, normalised.
        """
        loader, transforms = _built(self)
        if _is_pil(image):
            image = np.ascontiguousarray(np.asarray(image.convert('RGB'))[..., ::-1])
        if isinstance(image, np.ndarray):
            if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
                raise ValueError(f'Expected an (H, W, 3) uint8 BGR array; got shape '
                                 f'{image.shape}, dtype {image.dtype}.')
            results = dict(img=image, img_shape=image.shape[:2], ori_shape=image.shape[:2])
        elif isinstance(image, (str, os.PathLike)):
            results = loader(dict(img_path=os.fspath(image)))
        else:
            raise TypeError(f'Expected an image path, a BGR uint8 array or a PIL image; got '
                            f'{type(image).__name__}.')
        for transform in transforms:
            results = transform(results)
        bgr = results['inputs']  # (3, H, W) uint8, BGR
        rgb = bgr.flip(0).float()
        mean = torch.tensor(self.mean).view(3, 1, 1)
        std = torch.tensor(self.std).view(3, 1, 1)
        return (rgb - mean) / std

    def describe(self) -> str:
        """One line, e.g. 'short edge 256 (bicubic), centre crop 224, ImageNet mean/std'."""
        if self.crop_mode == 'squash':
            size = f'resize to {self.crop_size}x{self.crop_size} ({self.interpolation}), no crop'
        else:
            size = (f'short edge {self.resize_size} ({self.interpolation}), centre crop '
                    f'{self.crop_size}')
        norm = ('ImageNet mean/std' if (self.mean, self.std) == (IMAGENET_MEAN, IMAGENET_STD)
                else f'mean {self.mean}, std {self.std}')
        return f'{size}, RGB, {norm} (0-255 scale)'


def _is_pil(image: Any) -> bool:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - pillow is a dependency
        return False
    return isinstance(image, Image.Image)


@functools.lru_cache(maxsize=8)
def _built(preset: EvalTransforms) -> Tuple[Callable, List[Callable]]:
    """The registered transforms of ``preset.pipeline()``: (loader, the rest)."""
    from mmengine.registry import DefaultScope

    import mmcls_convnext.datasets  # noqa: F401 - registers the transforms
    from mmcls_convnext.registry import SCOPE, TRANSFORMS
    with DefaultScope.overwrite_default_scope(SCOPE):
        built = [TRANSFORMS.build(copy.deepcopy(t)) for t in preset.pipeline()]
    return built[0], built[1:]
