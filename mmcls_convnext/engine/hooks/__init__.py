"""Training hooks: atomic checkpoints, EMA, NaN/inf guard, per-epoch reseeding, visualisation.

``EMAHook`` is mmengine's EMA with MMPretrain's ``evaluate_on_ema``/``evaluate_on_origin``
switches; see docs/training.md.
"""
from .checkpoint_hook import AtomicCheckpointHook
from .dataset_check_hook import DatasetCheckHook
from .ema_hook import EMAHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .reseed_hook import EpochReseedHook, epoch_seed, seed_everything, seed_worker
from .visualization_hook import ClsVisualizationHook, VisualizationHook

__all__ = [
    'AtomicCheckpointHook', 'DatasetCheckHook', 'EMAHook', 'FiniteLossHook', 'NonFiniteLossError',
    'EpochReseedHook', 'epoch_seed', 'seed_everything', 'seed_worker', 'ClsVisualizationHook',
    'VisualizationHook'
]
