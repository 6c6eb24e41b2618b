"""RepeatAugSampler: each image repeated num_repeats times across the ranks, epoch length kept."""
from collections import Counter
from unittest.mock import patch

import pytest
import torch

from mmcls_convnext.datasets import RepeatAugSampler
from mmcls_convnext.registry import DATA_SAMPLERS

MODULE = 'mmcls_convnext.datasets.samplers.repeat_aug.'


def _rank_indices(n, world_size, num_repeats, epoch, seed=3):
    out = []
    for rank in range(world_size):
        with patch(MODULE + 'get_dist_info', return_value=(rank, world_size)), \
                patch(MODULE + 'is_main_process', return_value=rank == 0):
            sampler = RepeatAugSampler(list(range(n)), num_repeats=num_repeats, seed=seed)
        sampler.set_epoch(epoch)
        out.append(list(sampler))
    return out


@pytest.mark.parametrize('n,world_size', [(12, 3), (10, 4), (7, 1)])
def test_ranks_split_each_epoch_like_the_reference(n, world_size):
    per_rank = _rank_indices(n, world_size, num_repeats=3, epoch=5)
    # independent reference: seed+epoch permutation, each index 3x, padded, strided by rank
    g = torch.Generator()
    g.manual_seed(3 + 5)
    order = [i for i in torch.randperm(n, generator=g).tolist() for _ in range(3)]
    per_rank_len = -(-n * 3 // world_size)
    order = (order * 2)[:per_rank_len * world_size]
    keep = -(-n // world_size)
    for rank, got in enumerate(per_rank):
        assert got == order[rank::world_size][:keep]
        assert len(got) == keep
    if world_size == 3 and n % 3 == 0:
        # 3 ranks, 3 repeats: the epoch's first n/3 images are each seen once on every rank
        # (differently augmented); the epoch keeps its length without repeats
        counts = Counter(i for got in per_rank for i in got)
        assert len(counts) == n // 3 and set(counts.values()) == {3}
        assert all(sorted(got) == sorted(per_rank[0]) for got in per_rank)


def test_epochs_differ_and_config_builds():
    a = _rank_indices(20, 1, 3, epoch=0)[0]
    b = _rank_indices(20, 1, 3, epoch=1)[0]
    assert a != b
    sampler = DATA_SAMPLERS.build(dict(type='RepeatAugSampler', num_repeats=2, seed=0),
                                  default_args=dict(dataset=list(range(8))))
    assert isinstance(sampler, RepeatAugSampler) and len(sampler) == 8


@pytest.mark.parametrize('kwargs,err', [(dict(num_repeats=0), ValueError),
                                        (dict(num_repeats=1.5), ValueError),
                                        (dict(seed='1'), TypeError)])
def test_bad_arguments(kwargs, err):
    with pytest.raises(err, match='RepeatAugSampler'):
        RepeatAugSampler(list(range(4)), **kwargs)
