from .batch_augments import CutMix, Mixup, RandomBatchAugment

__all__ = ['CutMix', 'Mixup', 'RandomBatchAugment']
