from .data_sample import DataSample, DataSampleError, format_label, format_score

__all__ = ['DataSample', 'DataSampleError', 'format_label', 'format_score']
