"""Model zoo: weights as values (metafile records), verified downloads, safe loading, converters."""
from mmcls_convnext.checkpoint.errors import (
    CheckpointError,
    CheckpointNotFoundError,
    ChecksumError,
    WeightsDownloadError,
)

from .checkpoint import fetch_checkpoint, load_checkpoint
from .convert import LAYOUTS, convert_state_dict, detect_layout, unwrap_state_dict
from .download import download_weights, get_cache_dir, sha256_of, verify_file_hash
from .eval_transforms import EvalTransforms
from .initializer import VerifiedPretrainedInit
from .loading import fit_state_dict, load_model_weights, read_weights
from .model_index import (
    MODEL_INDEX,
    TASK_BACKBONE,
    TASK_CLASSIFICATION,
    TASKS,
    ModelInfo,
    ModelNotFoundError,
    config_roots,
    get_model_info,
    list_models,
    resolve_config_path,
)

__all__ = [
    'load_checkpoint', 'fetch_checkpoint', 'load_model_weights', 'read_weights',
    'fit_state_dict', 'CheckpointError', 'CheckpointNotFoundError', 'ChecksumError',
    'WeightsDownloadError', 'convert_state_dict', 'detect_layout', 'unwrap_state_dict', 'LAYOUTS',
    'download_weights', 'get_cache_dir', 'sha256_of', 'verify_file_hash', 'MODEL_INDEX',
    'ModelInfo', 'ModelNotFoundError', 'EvalTransforms', 'get_model_info', 'list_models',
    'resolve_config_path', 'config_roots', 'VerifiedPretrainedInit', 'TASKS', 'TASK_BACKBONE',
    'TASK_CLASSIFICATION'
]
