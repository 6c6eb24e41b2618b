"""Data transforms, registered in ``mmcls_convnext.registry.TRANSFORMS``."""
from .aug_base import BaseAugTransform
from .aug_geometric import Rotate, Shear, Translate
from .aug_photometric import (
    AutoContrast,
    Brightness,
    ColorTransform,
    Contrast,
    Cutout,
    Equalize,
    GaussianBlur,
    Invert,
    Posterize,
    Sharpness,
    Solarize,
    SolarizeAdd,
)
from .auto_augment import AUTOAUG_POLICIES, POLICIES, AutoAugment, RandAugment
from .erasing import RandomErasing
from .formatting import (
    Collect,
    NumpyToPIL,
    PackInputs,
    PackMultiTaskInputs,
    PILToNumpy,
    Transpose,
)
from .loading import ImageDecodeError, LoadImageFromFile
from .processing import (
    CenterCrop,
    ColorJitter,
    EfficientNetCenterCrop,
    EfficientNetRandomCrop,
    Lighting,
    RandomCrop,
    RandomFlip,
    RandomResizedCrop,
    Resize,
    ResizeEdge,
)
from .wrappers import VISION_TRANSFORMS, Albumentations, MultiView, TorchVisionWrapper

__all__ = [
    'BaseAugTransform', 'Rotate', 'Shear', 'Translate', 'AutoContrast', 'Brightness',
    'ColorTransform', 'Contrast', 'Equalize', 'Invert', 'Posterize', 'Sharpness', 'Solarize',
    'SolarizeAdd', 'POLICIES', 'RandAugment', 'RandomErasing', 'PackInputs',
    'PackMultiTaskInputs',
    'ImageDecodeError', 'LoadImageFromFile', 'CenterCrop', 'RandomFlip', 'RandomResizedCrop',
    'Resize', 'ResizeEdge', 'Cutout', 'GaussianBlur', 'AUTOAUG_POLICIES', 'AutoAugment',
    'Collect', 'NumpyToPIL', 'PILToNumpy', 'Transpose', 'ColorJitter', 'EfficientNetCenterCrop',
    'EfficientNetRandomCrop', 'Lighting', 'RandomCrop', 'VISION_TRANSFORMS', 'Albumentations',
    'MultiView', 'TorchVisionWrapper'
]
