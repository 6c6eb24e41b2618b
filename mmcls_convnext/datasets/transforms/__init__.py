"""Data transforms, registered in ``mmcls_convnext.registry.TRANSFORMS``."""
from .auto_augment import OPS, POLICIES, RandAugment, apply_op
from .erasing import RandomErasing
from .formatting import PackInputs
from .loading import ImageDecodeError, LoadImageFromFile
from .processing import CenterCrop, RandomFlip, RandomResizedCrop, Resize, ResizeEdge

__all__ = [
    'OPS', 'POLICIES', 'RandAugment', 'apply_op', 'RandomErasing', 'PackInputs',
    'ImageDecodeError', 'LoadImageFromFile', 'CenterCrop', 'RandomFlip', 'RandomResizedCrop',
    'Resize', 'ResizeEdge'
]
