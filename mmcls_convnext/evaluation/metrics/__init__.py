"""Metrics, registered in ``mmcls_convnext.registry.METRICS``."""
from .accuracy import Accuracy
from .confusion_matrix import ConfusionMatrix, plot_confusion_matrix
from .utils import MetricInputError

__all__ = ['Accuracy', 'ConfusionMatrix', 'MetricInputError', 'plot_confusion_matrix']
