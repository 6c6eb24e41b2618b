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


def test_worker_augmentations_change_per_epoch_and_repeat_per_seed(tmp_path):
    """With workers, mmengine's default worker_init_fn repeats the same crops every epoch."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from tiny_run import build_runner
    # no shuffling: otherwise a sample's position in the worker's random stream changes anyway
    runner = build_runner(tmp_path, cfg_options={'train_dataloader.num_workers': 1,
                                                 'train_dataloader.sampler.shuffle': False})
    loader = runner.train_dataloader
    hook = EpochReseedHook(diff_rank_seed=False)

    def epoch_inputs(epoch):
        hook.before_train_epoch(SimpleNamespace(seed=0, epoch=epoch))
        loader.sampler.set_epoch(epoch)
        out = {}
        for batch in loader:
            for img, sample in zip(batch['inputs'], batch['data_samples']):
                out[int(sample.sample_idx)] = img
        return out

    first, second, again = epoch_inputs(0), epoch_inputs(1), epoch_inputs(0)
    assert all(torch.equal(first[i], again[i]) for i in first)
    assert sum(not torch.equal(first[i], second[i]) for i in first) >= len(first) // 2
