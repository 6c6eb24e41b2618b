"""mmcls_convnext: an OpenMMLab-style image-classification toolbox built around ConvNeXt."""
from .mmcv_check import check_mmcv
from .version import __version__

check_mmcv()  # one-line ImportError naming the supported range when mmcv is missing or outside it

__all__ = ['__version__']
