from .batch_augments import CutMix, Mixup, RandomBatchAugment, ResizeMix
from .ema import CosineEMA
from .layer_scale import LayerScale

__all__ = ['CutMix', 'Mixup', 'RandomBatchAugment', 'ResizeMix', 'CosineEMA', 'LayerScale']
