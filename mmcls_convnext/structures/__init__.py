from .data_sample import DataSample, DataSampleError, format_label, format_score
from .multi_task_data_sample import MultiTaskDataSample
from .utils import batch_label_to_onehot, cat_batch_labels, label_to_onehot, tensor_split

__all__ = ['DataSample', 'DataSampleError', 'MultiTaskDataSample', 'batch_label_to_onehot',
           'cat_batch_labels', 'format_label', 'format_score', 'label_to_onehot',
           'tensor_split']
