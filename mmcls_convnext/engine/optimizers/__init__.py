"""Optimizer wrappers and constructors."""
from .cpu_amp_optim_wrapper import (
    CPUAmpOptimWrapper,
    EmulatedBF16Error,
    amp_optim_wrapper_cfg,
    check_cpu_bf16,
    cpu_bf16_support,
)
from .dense_layer_decay_constructor import LearningRateDecayOptimizerConstructor
from .layer_decay_optim_wrapper_constructor import LearningRateDecayOptimWrapperConstructor

__all__ = [
    'CPUAmpOptimWrapper', 'EmulatedBF16Error', 'amp_optim_wrapper_cfg', 'check_cpu_bf16',
    'cpu_bf16_support', 'LearningRateDecayOptimWrapperConstructor',
    'LearningRateDecayOptimizerConstructor'
]
