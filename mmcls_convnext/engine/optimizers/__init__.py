"""Optimizer wrappers and constructors."""
from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper, amp_optim_wrapper_cfg
from .layer_decay_optim_wrapper_constructor import LearningRateDecayOptimWrapperConstructor

__all__ = [
    'CPUAmpOptimWrapper', 'amp_optim_wrapper_cfg', 'LearningRateDecayOptimWrapperConstructor'
]
