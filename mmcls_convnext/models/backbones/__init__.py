from .convnext import ARCH_SETTINGS, ConvNeXt
from .convnext_block import ConvNeXtBlock
from .vision_transformer import VisionTransformer

__all__ = ['ARCH_SETTINGS', 'ConvNeXt', 'ConvNeXtBlock', 'VisionTransformer']
