"""Deployment: the inference fast path, export (ONNX / TorchScript) and its verification, and
the reverse key converters (ours -> timm / torchvision layouts).

Imports ``models`` and ``zoo`` (the forward converter's key tables) only; ``engine``
(``tools/test.py``) and ``apis`` (``get_model``, the export entry) import it.
"""
from .fast_path import (
    MODES,
    FastInferenceBackbone,
    apply_fast_inference,
    build_fast_inference_model,
    fold_convnext,
    optimize_for_inference,
    select_mode,
)
from .layouts import to_timm_state_dict, to_torchvision_state_dict

__all__ = ['MODES', 'FastInferenceBackbone', 'apply_fast_inference', 'build_fast_inference_model',
           'fold_convnext', 'optimize_for_inference', 'select_mode', 'to_timm_state_dict',
           'to_torchvision_state_dict']
