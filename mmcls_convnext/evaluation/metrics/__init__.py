"""Metrics, registered in ``mmcls_convnext.registry.METRICS``."""
from .accuracy import Accuracy
from .confusion_matrix import ConfusionMatrix, plot_confusion_matrix
from .dump_results import DumpResults
from .single_label import SingleLabelMetric
from .utils import MetricInputError

__all__ = ['Accuracy', 'ConfusionMatrix', 'DumpResults', 'MetricInputError', 'SingleLabelMetric',
           'plot_confusion_matrix']
