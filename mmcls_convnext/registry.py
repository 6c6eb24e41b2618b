"""Registries of mmcls_convnext.

Every registry is a child of the matching mmengine root registry, under the scope
``'mmcls_convnext'``. Configs therefore work with ``default_scope='mmcls_convnext'``; a name that
is not found here is looked up in the mmengine root (e.g. ``AdamW``, ``CosineAnnealingLR``,
``CheckpointHook``), and names of other OpenMMLab scopes stay reachable as ``'mmdet.X'``.

``locations`` makes mmengine import the modules that register the names on first use, so a
config can be built without importing ``mmcls_convnext.models`` by hand.
"""
from mmengine.registry import DATA_SAMPLERS as MMENGINE_DATA_SAMPLERS
from mmengine.registry import DATASETS as MMENGINE_DATASETS
from mmengine.registry import EVALUATOR as MMENGINE_EVALUATOR
from mmengine.registry import FUNCTIONS as MMENGINE_FUNCTIONS
from mmengine.registry import HOOKS as MMENGINE_HOOKS
from mmengine.registry import INFERENCERS as MMENGINE_INFERENCERS
from mmengine.registry import LOG_PROCESSORS as MMENGINE_LOG_PROCESSORS
from mmengine.registry import LOOPS as MMENGINE_LOOPS
from mmengine.registry import METRICS as MMENGINE_METRICS
from mmengine.registry import MODEL_WRAPPERS as MMENGINE_MODEL_WRAPPERS
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS as MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS
from mmengine.registry import OPTIM_WRAPPERS as MMENGINE_OPTIM_WRAPPERS
from mmengine.registry import OPTIMIZERS as MMENGINE_OPTIMIZERS
from mmengine.registry import PARAM_SCHEDULERS as MMENGINE_PARAM_SCHEDULERS
from mmengine.registry import RUNNER_CONSTRUCTORS as MMENGINE_RUNNER_CONSTRUCTORS
from mmengine.registry import RUNNERS as MMENGINE_RUNNERS
from mmengine.registry import TASK_UTILS as MMENGINE_TASK_UTILS
from mmengine.registry import TRANSFORMS as MMENGINE_TRANSFORMS
from mmengine.registry import VISBACKENDS as MMENGINE_VISBACKENDS
from mmengine.registry import VISUALIZERS as MMENGINE_VISUALIZERS
from mmengine.registry import WEIGHT_INITIALIZERS as MMENGINE_WEIGHT_INITIALIZERS
from mmengine.registry import Registry

SCOPE = 'mmcls_convnext'


def _in_our_scope(build_func):
    """Wrap a build function so that unprefixed types resolve in our scope.

    Without this, building from our registry while another package's scope is current (e.g.
    ``'mmdet'`` after ``mmdet.utils.register_all_modules()``) would look ``'ConvNeXt'`` up in
    that package's registry. A config's own ``_scope_`` still wins.
    """

    def build(cfg, *args, **kwargs):
        if isinstance(cfg, dict) and '_scope_' not in cfg:
            cfg = cfg.copy()
            cfg['_scope_'] = SCOPE
        return build_func(cfg, *args, **kwargs)

    return build


def _child(name: str, parent: Registry, *locations: str) -> Registry:
    registry = Registry(name, parent=parent, scope=SCOPE, locations=list(locations))
    registry.build_func = _in_our_scope(parent.build_func)
    return registry


# Each: (registry name, mmengine root, module that fills it on first use).
RUNNERS = _child('runner', MMENGINE_RUNNERS, 'mmcls_convnext.engine')
RUNNER_CONSTRUCTORS = _child('runner constructor', MMENGINE_RUNNER_CONSTRUCTORS,
                             'mmcls_convnext.engine')
LOOPS = _child('loop', MMENGINE_LOOPS, 'mmcls_convnext.engine')
HOOKS = _child('hook', MMENGINE_HOOKS, 'mmcls_convnext.engine')
LOG_PROCESSORS = _child('log processor', MMENGINE_LOG_PROCESSORS, 'mmcls_convnext.engine')
OPTIMIZERS = _child('optimizer', MMENGINE_OPTIMIZERS, 'mmcls_convnext.engine')
OPTIM_WRAPPERS = _child('optim_wrapper', MMENGINE_OPTIM_WRAPPERS, 'mmcls_convnext.engine')
OPTIM_WRAPPER_CONSTRUCTORS = _child('optimizer wrapper constructor',
                                    MMENGINE_OPTIM_WRAPPER_CONSTRUCTORS, 'mmcls_convnext.engine')
PARAM_SCHEDULERS = _child('parameter scheduler', MMENGINE_PARAM_SCHEDULERS,
                          'mmcls_convnext.engine')
DATASETS = _child('dataset', MMENGINE_DATASETS, 'mmcls_convnext.datasets')
DATA_SAMPLERS = _child('data sampler', MMENGINE_DATA_SAMPLERS, 'mmcls_convnext.datasets')
TRANSFORMS = _child('transform', MMENGINE_TRANSFORMS, 'mmcls_convnext.datasets')
MODELS = _child('model', MMENGINE_MODELS, 'mmcls_convnext.models')
MODEL_WRAPPERS = _child('model_wrapper', MMENGINE_MODEL_WRAPPERS, 'mmcls_convnext.models')
WEIGHT_INITIALIZERS = _child('weight initializer', MMENGINE_WEIGHT_INITIALIZERS,
                             'mmcls_convnext.weights')
BATCH_AUGMENTS = Registry('batch augment', scope=SCOPE, locations=['mmcls_convnext.models'])
TASK_UTILS = _child('task util', MMENGINE_TASK_UTILS, 'mmcls_convnext.models')
METRICS = _child('metric', MMENGINE_METRICS, 'mmcls_convnext.evaluation')
EVALUATOR = _child('evaluator', MMENGINE_EVALUATOR, 'mmcls_convnext.evaluation')
VISUALIZERS = _child('visualizer', MMENGINE_VISUALIZERS, 'mmcls_convnext.visualization')
VISBACKENDS = _child('vis_backend', MMENGINE_VISBACKENDS, 'mmcls_convnext.visualization')
FUNCTIONS = _child('function', MMENGINE_FUNCTIONS, 'mmcls_convnext.datasets')
INFERENCERS = _child('inferencer', MMENGINE_INFERENCERS, 'mmcls_convnext.apis')

__all__ = [
    'SCOPE', 'RUNNERS', 'RUNNER_CONSTRUCTORS', 'LOOPS', 'HOOKS', 'LOG_PROCESSORS', 'OPTIMIZERS',
    'OPTIM_WRAPPERS', 'OPTIM_WRAPPER_CONSTRUCTORS', 'PARAM_SCHEDULERS', 'DATASETS',
    'DATA_SAMPLERS', 'TRANSFORMS', 'MODELS', 'MODEL_WRAPPERS', 'WEIGHT_INITIALIZERS',
    'BATCH_AUGMENTS', 'TASK_UTILS', 'METRICS', 'EVALUATOR', 'VISUALIZERS', 'VISBACKENDS',
    'FUNCTIONS', 'INFERENCERS'
]
