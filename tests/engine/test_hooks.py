"""EpochReseedHook and seed_worker: each epoch's random stream depends only on (seed, epoch)."""
import random
from types import SimpleNamespace

import numpy as np
import torch

from mmcls_convnext.engine.hooks import EpochReseedHook, epoch_seed, seed_worker


def _draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def test_reseed_depends_only_on_seed_and_epoch():
    hook = EpochReseedHook(diff_rank_seed=False)
    runner = SimpleNamespace(seed=7, epoch=3)
    hook.before_train_epoch(runner)
    first = _draws()
    _draws()  # e.g. validation consuming random numbers
    hook.before_train_epoch(runner)
    assert _draws() == first
    hook.before_train_epoch(SimpleNamespace(seed=7, epoch=4))
    assert _draws() != first
    hook.before_train_epoch(SimpleNamespace(seed=8, epoch=3))
    assert _draws() != first
    assert epoch_seed(7, 3) != epoch_seed(7, 3, rank=1)
    assert 0 <= epoch_seed(2**40, 10**6) < 2**32


def test_seed_worker_follows_torch_worker_seed():
    torch.manual_seed(1234)
    seed_worker(0)
    a = (random.random(), float(np.random.rand()))
    random.seed(1234)
    np.random.seed(1234)
    assert a == (random.random(), float(np.random.rand()))
