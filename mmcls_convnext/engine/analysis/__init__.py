"""Analysis helpers behind ``tools/analysis_tools``: FLOPs, log curves, confusion matrices."""
from .flops import count_flops
from .logs import load_log_records, plot_curves, train_time_stats

__all__ = ['count_flops', 'load_log_records', 'plot_curves', 'train_time_stats']
