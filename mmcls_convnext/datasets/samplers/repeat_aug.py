"""``RepeatAugSampler``: repeated augmentation (DeiT, Hoffer et al. 2020), MMPretrain's sampler."""
import math
from typing import Iterator, Optional, Sized

import torch
from mmengine.dist import get_dist_info, is_main_process, sync_random_seed
from mmengine.logging import MMLogger
from torch.utils.data import Sampler

from mmcls_convnext.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class RepeatAugSampler(Sampler):
    """Each image is drawn ``num_repeats`` times per epoch, its copies spread over the ranks
    (so each rank augments it differently), and each rank keeps ``ceil(N / world_size)`` of its
    indices: an epoch stays as long as without repeats.

    The epoch's order is ``torch.randperm(N)`` seeded with ``seed + epoch`` (the same on every
    rank), each index repeated ``num_repeats`` times, padded by wrapping to a multiple of the
    world size, then rank ``r`` takes every ``world_size``-th index from ``r``.

    Args:
        dataset: the dataset (only its length is used).
        shuffle: draw a new order each epoch; without it every epoch sees the same fixed part
            of the data (a warning says so).
        num_repeats: how many times each image is repeated (3 in DeiT).
        seed: the shuffling seed; None takes one seed shared by all ranks.
    """

    def __init__(self, dataset: Sized, shuffle: bool = True, num_repeats: int = 3,
                 seed: Optional[int] = None) -> None:
        if isinstance(num_repeats, bool) or not isinstance(num_repeats, int) or num_repeats < 1:
            raise ValueError(f'RepeatAugSampler: num_repeats must be an integer >= 1; got '
                             f'{num_repeats!r}.')
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise TypeError(f'RepeatAugSampler: seed must be an int or None; got {seed!r}.')
        self.rank, self.world_size = get_dist_info()
        self.dataset = dataset
        self.shuffle = shuffle
        if not shuffle and is_main_process():
            MMLogger.get_current_instance().warning(
                'The RepeatAugSampler always picks a fixed part of data if `shuffle=False`.')
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.num_repeats = num_repeats
        #: repeated indices per rank, and over all ranks
        self.num_samples = math.ceil(len(dataset) * num_repeats / self.world_size)
        self.total_size = self.num_samples * self.world_size
        #: indices a rank actually yields per epoch
        self.num_selected_samples = math.ceil(len(dataset) / self.world_size)

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            g = torch.Generator()
            g.manual_seed(self.seed + self.epoch)
            order = torch.randperm(n, generator=g).tolist()
        else:
            order = list(range(n))
        repeated = [i for i in order for _ in range(self.num_repeats)]
        if not repeated:
            return iter([])
        repeated = (repeated * (self.total_size // len(repeated) + 1))[:self.total_size]
        mine = repeated[self.rank:self.total_size:self.world_size]
        return iter(mine[:self.num_selected_samples])

    def __len__(self) -> int:
        return self.num_selected_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch (the runner calls it) so each epoch has its own order."""
        self.epoch = epoch
