"""Training hooks: atomic checkpoints, NaN/inf guard, per-epoch reseeding, visualisation.

EMA uses mmengine's ``EMAHook`` (reachable from our scope); see docs/training.md.
"""
from .checkpoint_hook import AtomicCheckpointHook
from .dataset_check_hook import DatasetCheckHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .reseed_hook import EpochReseedHook, epoch_seed, seed_everything, seed_worker
from .visualization_hook import ClsVisualizationHook, VisualizationHook

__all__ = [
    'AtomicCheckpointHook', 'DatasetCheckHook', 'FiniteLossHook', 'NonFiniteLossError',
    'EpochReseedHook', 'epoch_seed', 'seed_everything', 'seed_worker', 'ClsVisualizationHook',
    'VisualizationHook'
]
