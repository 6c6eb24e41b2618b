"""Per-epoch reseeding, so that an interrupted run resumed with ``--resume`` is bit-exact.

mmengine seeds the RNGs once, at start-up, and does not save their state in checkpoints.
Validation and logging also draw random numbers between the save at the end of epoch ``e`` and
the first iteration of epoch ``e + 1``. A resumed run therefore draws different drop-path masks
and augmentations than the uninterrupted one. Reseeding python / numpy / torch from
``(seed, epoch[, rank])`` at the start of every epoch makes each epoch depend only on the seed,
the epoch number and the weights - all of which a checkpoint restores.

Exact for epoch-based training with ``num_workers=0`` or ``persistent_workers=False``:
persistent workers keep their RNG state across epochs, which a restart cannot restore.
"""
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook

from mmcls_convnext.registry import HOOKS


def epoch_seed(seed: int, epoch: int, rank: int = 0) -> int:
    """A 32-bit seed derived from ``(seed, epoch, rank)`` with numpy's ``SeedSequence``."""
    return int(np.random.SeedSequence([seed % 2**32, epoch, rank]).generate_state(1)[0])


def seed_everything(seed: int) -> None:
    """Seed python's ``random``, numpy's global RNG and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def seed_worker(worker_id: int) -> None:
    """``worker_init_fn`` for DataLoader workers.

    torch gives every worker a distinct seed each epoch (drawn from the main process's RNG, which
    :class:`EpochReseedHook` reseeds); this passes it on to numpy and ``random`` - which
    mmengine's default ``worker_init_fn`` instead resets to the same values every epoch.
    """
    seed = torch.initial_seed() % 2**32
    random.seed(seed)
    np.random.seed(seed)


@HOOKS.register_module()
class EpochReseedHook(Hook):
    """Reseed every RNG from ``(runner.seed, epoch)`` before each training epoch.

    Args:
        diff_rank_seed: give each rank its own stream (default: the runner's
            ``randomness.diff_rank_seed``).
    """

    priority = 'HIGHEST'

    def __init__(self, diff_rank_seed: Optional[bool] = None) -> None:
        self.diff_rank_seed = diff_rank_seed

    def before_train_epoch(self, runner) -> None:
        diff_rank = self.diff_rank_seed
        if diff_rank is None:
            diff_rank = bool(getattr(runner, '_randomness_cfg', {}).get('diff_rank_seed', False))
        rank = get_rank() if diff_rank else 0
        seed_everything(epoch_seed(runner.seed, runner.epoch, rank))
