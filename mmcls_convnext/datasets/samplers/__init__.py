"""Data samplers (registered in ``DATA_SAMPLERS``)."""
from .repeat_aug import RepeatAugSampler

__all__ = ['RepeatAugSampler']
