"""Data transforms, registered in ``mmcls_convnext.registry.TRANSFORMS``."""
from .aug_base import BaseAugTransform
from .aug_geometric import Rotate, Shear, Translate
from .aug_photometric import (
    AutoContrast,
    Brightness,
    ColorTransform,
    Contrast,
    Equalize,
    Invert,
    Posterize,
    Sharpness,
    Solarize,
    SolarizeAdd,
)
from .auto_augment import POLICIES, RandAugment
from .erasing import RandomErasing
from .formatting import PackInputs
from .loading import ImageDecodeError, LoadImageFromFile
from .processing import CenterCrop, RandomFlip, RandomResizedCrop, Resize, ResizeEdge

__all__ = [
    'BaseAugTransform', 'Rotate', 'Shear', 'Translate', 'AutoContrast', 'Brightness',
    'ColorTransform', 'Contrast', 'Equalize', 'Invert', 'Posterize', 'Sharpness', 'Solarize',
    'SolarizeAdd', 'POLICIES', 'RandAugment', 'RandomErasing', 'PackInputs',
    'ImageDecodeError', 'LoadImageFromFile', 'CenterCrop', 'RandomFlip', 'RandomResizedCrop',
    'Resize', 'ResizeEdge'
]
