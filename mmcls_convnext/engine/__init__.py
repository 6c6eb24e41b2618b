"""Training engine: Runner (held work_dir, safe checkpoint I/O), hooks, optimizer wrappers."""
from mmcls_convnext.checkpoint import CheckpointSaveError, atomic_torch_save, atomic_write_bytes

from .hooks import (
                            AtomicCheckpointHook,
                            ClassNumCheckHook,
                            EpochReseedHook,
                            FiniteLossHook,
                            NonFiniteLossError,
                            PreciseBNHook,
                            PrepareProtoBeforeValLoopHook,
                            SetAdaptiveMarginsHook,
                            SwitchRecipeHook,
                            seed_worker,
)
from .mmengine_loading import register_local_loader
from .optimizers import (
                            CPUAmpOptimWrapper,
                            EmulatedBF16Error,
                            LearningRateDecayOptimWrapperConstructor,
                            amp_optim_wrapper_cfg,
                            cpu_bf16_support,
)
from .runner import ClsRunner, RunCheckpoint
from .tta import AverageClsScoreTTA, default_tta_pipeline
from .work_dir import (
                            WorkDirLock,
                            WorkDirLockedError,
                            check_work_dir_writable,
                            find_latest_checkpoint,
)

register_local_loader()

__all__ = [
    'CheckpointSaveError', 'atomic_torch_save', 'atomic_write_bytes',
    'check_work_dir_writable', 'find_latest_checkpoint', 'WorkDirLock', 'WorkDirLockedError',
    'RunCheckpoint',
    'AtomicCheckpointHook', 'EpochReseedHook', 'FiniteLossHook', 'NonFiniteLossError',
    'seed_worker', 'CPUAmpOptimWrapper', 'EmulatedBF16Error', 'cpu_bf16_support',
    'LearningRateDecayOptimWrapperConstructor', 'amp_optim_wrapper_cfg', 'ClsRunner',
    'AverageClsScoreTTA', 'default_tta_pipeline', 'ClassNumCheckHook', 'PreciseBNHook',
    'PrepareProtoBeforeValLoopHook', 'SetAdaptiveMarginsHook', 'SwitchRecipeHook'
]
