from .grn import GRN
from .norm import LayerNorm2d, build_activation_layer, build_norm_layer

__all__ = ['GRN', 'LayerNorm2d', 'build_activation_layer', 'build_norm_layer']
