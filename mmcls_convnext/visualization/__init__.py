"""Visualisation: predictions drawn readably (:class:`ClsVisualizer`, :mod:`.annotate`,
:mod:`.draw`), training logs read (:mod:`.logs`) and drawn as curves (:mod:`.curves`), the main
job's report page (:mod:`.report`)."""
from .annotate import draw_label_band, enlarge
from .cls_visualizer import ClsVisualizer, format_prediction_lines, tensor_to_rgb
from .curves import plot_curves
from .universal_visualizer import UniversalVisualizer, get_adaptive_scale

__all__ = ['ClsVisualizer', 'draw_label_band', 'enlarge', 'format_prediction_lines',
           'plot_curves', 'tensor_to_rgb', 'UniversalVisualizer', 'get_adaptive_scale']
