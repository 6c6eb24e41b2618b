"""Weights: fetching, verifying, converting and loading them into a model.

One public verb per job:

- :func:`load_model_weights` - weights (a zoo URL, a file, a checkpoint or state dict) into a
  model: the one way ``get_model(pretrained=...)``, ``init_model``, ``init_cfg`` Pretrained and
  ``load_from`` load weights (:mod:`.loading`);
- :func:`read_weights_file` - a weights file or URL -> the checkpoint dict, URLs through the
  verified download cache (:mod:`.files`, :mod:`.download`);
- :func:`fit_state_dict` - a state dict matched to a model's keys by the loading policy;
- :func:`convert_state_dict` - official / timm / torchvision / Hugging Face layouts -> ours
  (:mod:`.convert`).

A run's own training checkpoint (``--resume``) is not weights: the engine reads it with
:func:`mmcls_convnext.checkpoint.read_run_checkpoint`. ``init_cfg=dict(type='Pretrained')``
is :class:`VerifiedPretrainedInit` (:mod:`.initializer`, registry ``WEIGHT_INITIALIZERS``).

Imports ``checkpoint`` (bytes on disk) and ``registry``; the catalogue of published weights is
:mod:`mmcls_convnext.zoo`.
"""
from mmcls_convnext.checkpoint.errors import (
    CheckpointError,
    CheckpointNotFoundError,
    ChecksumError,
    WeightsDownloadError,
)

from .convert import LAYOUTS, convert_state_dict, detect_layout, unwrap_state_dict
from .download import download_weights, get_cache_dir, is_url, sha256_of, verify_file_hash
from .files import read_weights_file
from .initializer import VerifiedPretrainedInit
from .loading import fit_state_dict, load_model_weights

__all__ = [
    'load_model_weights', 'read_weights_file', 'fit_state_dict', 'convert_state_dict',
    'detect_layout', 'unwrap_state_dict', 'LAYOUTS', 'download_weights', 'get_cache_dir',
    'is_url', 'sha256_of', 'verify_file_hash', 'VerifiedPretrainedInit', 'CheckpointError',
    'CheckpointNotFoundError', 'ChecksumError', 'WeightsDownloadError'
]
