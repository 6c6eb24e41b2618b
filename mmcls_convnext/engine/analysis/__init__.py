"""Analysis helpers behind ``tools/analysis_tools``: FLOPs, training logs (curves, timing).

Plotting lives in :mod:`mmcls_convnext.visualization.curves`.
"""
from .flops import count_flops
from .logs import (
    Curve,
    available_keys,
    curve,
    iters_per_epoch,
    load_log_records,
    run_name,
    train_time_stats,
    unique_run_names,
)

__all__ = ['Curve', 'available_keys', 'count_flops', 'curve', 'iters_per_epoch',
           'load_log_records', 'run_name', 'train_time_stats', 'unique_run_names']
