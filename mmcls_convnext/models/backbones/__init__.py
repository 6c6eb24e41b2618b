from .convnext import ARCH_SETTINGS, ConvNeXt
from .convnext_block import ConvNeXtBlock

__all__ = ['ARCH_SETTINGS', 'ConvNeXt', 'ConvNeXtBlock']
