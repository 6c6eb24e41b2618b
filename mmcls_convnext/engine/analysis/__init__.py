"""Analysis helpers behind ``tools/analysis_tools``: FLOPs and the benchmark's measurements.

Training-log reading lives in :mod:`mmcls_convnext.visualization.logs` (its users are the
curves, the end-of-run summaries and the tools); ``load_log_records`` is re-exported here for
the callers that take it from this package (``demo/main_job.py``). Plotting lives in
:mod:`mmcls_convnext.visualization.curves`.
"""
from mmcls_convnext.visualization.logs import load_log_records

from .flops import count_flops

__all__ = ['count_flops', 'load_log_records']
