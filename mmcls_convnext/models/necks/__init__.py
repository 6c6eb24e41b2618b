from .gap import GlobalAveragePooling
from .gem import GeneralizedMeanPooling
from .linear_neck import LinearNeck

__all__ = ['GlobalAveragePooling', 'GeneralizedMeanPooling', 'LinearNeck']
