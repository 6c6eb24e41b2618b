"""mmcls_convnext: an OpenMMLab-style image-classification toolbox built around ConvNeXt."""
from .version import __version__

__all__ = ['__version__']
