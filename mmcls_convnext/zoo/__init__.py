"""Model zoo: the catalogue of published weights (metafile records, look-ups, eval transforms,
the generated docs/model_zoo.md). Fetching and loading the weights is
:mod:`mmcls_convnext.weights`."""
# Documented at mmcls_convnext.zoo before the weights room existed: kept as one re-export line.
from mmcls_convnext.weights import convert_state_dict, detect_layout, download_weights, load_model_weights, read_weights_file as load_checkpoint  # noqa: E501,F401,I001

from .eval_transforms import EvalTransforms
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
    'MODEL_INDEX', 'ModelInfo', 'ModelNotFoundError', 'EvalTransforms', 'get_model_info',
    'list_models', 'resolve_config_path', 'config_roots', 'TASKS', 'TASK_BACKBONE',
    'TASK_CLASSIFICATION'
]
