"""Visualisation: predictions drawn readably (:class:`ClsVisualizer`, :mod:`.annotate`),
training curves (:mod:`.curves`)."""
from .annotate import draw_label_band, enlarge
from .cls_visualizer import ClsVisualizer, format_prediction_lines, tensor_to_rgb
from .curves import plot_curves

__all__ = ['ClsVisualizer', 'draw_label_band', 'enlarge', 'format_prediction_lines',
           'plot_curves', 'tensor_to_rgb']
