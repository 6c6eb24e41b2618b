"""Training hooks: atomic checkpoints, EMA, NaN/inf guard, per-epoch reseeding, visualisation,
and MMPretrain's class-number check, PreciseBN, recipe switch, retrieval-gallery and ArcFace
margin hooks.

``EMAHook`` is mmengine's EMA with MMPretrain's ``evaluate_on_ema``/``evaluate_on_origin``
switches; see docs/training.md.
"""
from .checkpoint_hook import AtomicCheckpointHook
from .class_num_check_hook import ClassNumCheckHook
from .dataset_check_hook import DatasetCheckHook
from .ema_hook import EMAHook
from .finite_loss_hook import FiniteLossHook, NonFiniteLossError
from .margin_head_hooks import SetAdaptiveMarginsHook, adaptive_margins
from .precise_bn_hook import PreciseBNHook, update_bn_stats
from .reseed_hook import EpochReseedHook, epoch_seed, seed_everything, seed_worker
from .retriever_hooks import PrepareProtoBeforeValLoopHook
from .switch_recipe_hook import SwitchRecipeHook
from .visualization_hook import ClsVisualizationHook, VisualizationHook

__all__ = [
    'AtomicCheckpointHook', 'DatasetCheckHook', 'EMAHook', 'FiniteLossHook', 'NonFiniteLossError',
    'EpochReseedHook', 'epoch_seed', 'seed_everything', 'seed_worker', 'ClsVisualizationHook',
    'VisualizationHook', 'ClassNumCheckHook', 'SetAdaptiveMarginsHook', 'adaptive_margins',
    'PreciseBNHook', 'update_bn_stats', 'PrepareProtoBeforeValLoopHook', 'SwitchRecipeHook'
]
