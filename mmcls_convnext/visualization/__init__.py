"""Visualisation: :class:`ClsVisualizer` draws an image with its top-k classes."""
from .cls_visualizer import ClsVisualizer, format_prediction_lines, tensor_to_rgb

__all__ = ['ClsVisualizer', 'format_prediction_lines', 'tensor_to_rgb']
