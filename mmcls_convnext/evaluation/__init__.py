"""Evaluation metrics; importing this module registers them."""
from .metrics import (
    Accuracy,
    ConfusionMatrix,
    MetricInputError,
    SingleLabelMetric,
    plot_confusion_matrix,
)
from .results_file import ResultsFileError, read_results

__all__ = ['Accuracy', 'ConfusionMatrix', 'MetricInputError', 'ResultsFileError',
           'SingleLabelMetric', 'plot_confusion_matrix', 'read_results']
