"""Training engine: Runner with safe checkpoint I/O, hooks, optimizer wrappers/constructors."""
from .checkpoint_io import (
                            RUN_CHECKPOINT_SAFE_GLOBALS,
                            CheckpointSaveError,
                            atomic_torch_save,
                            atomic_write_bytes,
                            check_work_dir_writable,
                            find_latest_checkpoint,
                            load_run_checkpoint,
)
from .config_validation import ConfigKeyError, validate_cfg_options, validate_config
from .hooks import (
                            AtomicCheckpointHook,
                            EpochReseedHook,
                            FiniteLossHook,
                            NonFiniteLossError,
                            seed_worker,
)
from .optimizers import (
                            CPUAmpOptimWrapper,
                            EmulatedBF16Error,
                            LearningRateDecayOptimWrapperConstructor,
                            amp_optim_wrapper_cfg,
                            cpu_bf16_support,
)
from .runner import ClsRunner
from .tta import AverageClsScoreTTA, default_tta_pipeline

__all__ = [
    'RUN_CHECKPOINT_SAFE_GLOBALS', 'CheckpointSaveError', 'atomic_torch_save',
    'atomic_write_bytes', 'check_work_dir_writable', 'find_latest_checkpoint',
    'load_run_checkpoint', 'ConfigKeyError', 'validate_cfg_options', 'validate_config',
    'AtomicCheckpointHook', 'EpochReseedHook', 'FiniteLossHook', 'NonFiniteLossError',
    'seed_worker', 'CPUAmpOptimWrapper', 'EmulatedBF16Error', 'cpu_bf16_support',
    'LearningRateDecayOptimWrapperConstructor', 'amp_optim_wrapper_cfg', 'ClsRunner',
    'AverageClsScoreTTA', 'default_tta_pipeline'
]
