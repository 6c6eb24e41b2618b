from .cross_entropy import CrossEntropyLoss, LabelSmoothLoss, soft_cross_entropy

__all__ = ['CrossEntropyLoss', 'LabelSmoothLoss', 'soft_cross_entropy']
