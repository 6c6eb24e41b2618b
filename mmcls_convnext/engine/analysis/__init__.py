"""Analysis helpers behind ``tools/analysis_tools``: FLOPs and the benchmark's measurements.

Training-log reading lives in :mod:`mmcls_convnext.visualization.logs` (its users are the
curves, the end-of-run summaries and the tools); it is re-exported here for the callers that
take it from this package (``demo/main_job.py``). Plotting lives in
:mod:`mmcls_convnext.visualization.curves`.
"""
from mmcls_convnext.visualization.logs import (
    Curve,
    available_keys,
    curve,
    iters_per_epoch,
    load_log_records,
    run_name,
    train_time_stats,
    unique_run_names,
)

from .flops import count_flops

__all__ = ['Curve', 'available_keys', 'count_flops', 'curve', 'iters_per_epoch',
           'load_log_records', 'run_name', 'train_time_stats', 'unique_run_names']
