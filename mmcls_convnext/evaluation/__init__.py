"""Evaluation metrics; importing this module registers them."""
from .metrics import Accuracy, ConfusionMatrix, MetricInputError, plot_confusion_matrix

__all__ = ['Accuracy', 'ConfusionMatrix', 'MetricInputError', 'plot_confusion_matrix']
