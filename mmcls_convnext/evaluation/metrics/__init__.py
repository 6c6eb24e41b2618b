"""Metrics, registered in ``mmcls_convnext.registry.METRICS``."""
from .accuracy import Accuracy
from .confusion_matrix import ConfusionMatrix, plot_confusion_matrix
from .dump_results import DumpResults
from .multi_label import AveragePrecision, MultiLabelMetric
from .retrieval import RetrievalAveragePrecision, RetrievalRecall
from .single_label import SingleLabelMetric
from .utils import MetricInputError
from .voc_multi_label import VOCAveragePrecision, VOCMultiLabelMetric

__all__ = ['Accuracy', 'AveragePrecision', 'ConfusionMatrix', 'DumpResults', 'MetricInputError',
           'MultiLabelMetric', 'RetrievalAveragePrecision', 'RetrievalRecall',
           'SingleLabelMetric', 'VOCAveragePrecision', 'VOCMultiLabelMetric',
           'plot_confusion_matrix']
