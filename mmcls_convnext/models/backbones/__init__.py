from .convnext import ARCH_SETTINGS, ConvNeXt
from .convnext_block import ConvNeXtBlock
from .torchvision_fpn import convnext_fpn_backbone
from .vision_transformer import VisionTransformer

__all__ = ['ARCH_SETTINGS', 'ConvNeXt', 'ConvNeXtBlock', 'VisionTransformer',
           'convnext_fpn_backbone']
