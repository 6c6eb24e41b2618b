"""Metrics, registered in ``mmcls_convnext.registry.METRICS``."""
from .accuracy import Accuracy
from .confusion_matrix import ConfusionMatrix, plot_confusion_matrix

__all__ = ['Accuracy', 'ConfusionMatrix', 'plot_confusion_matrix']
