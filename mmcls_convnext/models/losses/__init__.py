from .asymmetric_loss import AsymmetricLoss, asymmetric_loss
from .cross_entropy import CrossEntropyLoss, LabelSmoothLoss, soft_cross_entropy
from .focal_loss import FocalLoss, sigmoid_focal_loss
from .seesaw_loss import SeesawLoss, seesaw_ce_loss
from .utils import convert_to_one_hot, reduce_loss, weight_reduce_loss

__all__ = ['AsymmetricLoss', 'CrossEntropyLoss', 'FocalLoss', 'LabelSmoothLoss', 'SeesawLoss',
           'asymmetric_loss', 'convert_to_one_hot', 'reduce_loss', 'seesaw_ce_loss',
           'sigmoid_focal_loss', 'soft_cross_entropy', 'weight_reduce_loss']
