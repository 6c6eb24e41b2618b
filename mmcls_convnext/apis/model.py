"""Build models by zoo name, config path or Config, optionally with verified pretrained weights."""
import copy
import logging
import os
import os.path as osp
import warnings
from typing import Any, List, Mapping, Optional, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from torch import nn

from mmcls_convnext.engine.config_compat import load_config_file, translate_config
from mmcls_convnext.registry import MODELS, SCOPE
from mmcls_convnext.zoo import (
    TASK_BACKBONE,
    ModelInfo,
    get_model_info,
    list_models,
    load_model_weights,
    resolve_config_path,
)

__all__ = ['list_models', 'get_model', 'init_model', 'imagenet_classes']

ModelSpec = Union[str, os.PathLike, Config]


def imagenet_classes() -> List[str]:
    """The 1000 ImageNet-1k class names (shipped with the package; no download)."""
    from mmcls_convnext.datasets.imagenet import imagenet_categories
    return list(imagenet_categories())


def _to_plain(obj: Any) -> Any:
    if isinstance(obj, (ConfigDict, dict)):
        return {k: _to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_to_plain(v) for v in obj)
    return obj


def _merge(base: dict, update: Mapping) -> dict:
    """Recursive merge returning a new dict; ``_delete_=True`` in an update replaces the base."""
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping) \
                and not value.get('_delete_', False):
            out[key] = _merge(out[key], value)
        elif isinstance(value, Mapping):
            out[key] = {k: v for k, v in _to_plain(value).items() if k != '_delete_'}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _quiet_init(net: nn.Module) -> None:
    """``init_weights()`` without mmengine's per-parameter INFO dump."""
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        # our scope: init_cfg type='Pretrained' resolves to the verified zoo initializer
        with DefaultScope.overwrite_default_scope(SCOPE):
            net.init_weights()
    finally:
        logger.setLevel(level)


def _load_config(model: ModelSpec) -> 'tuple[Config, Optional[ModelInfo]]':
    """The (translated, see ``engine.config_compat``) config of a zoo name, path or Config."""
    if isinstance(model, Config):
        return translate_config(model)[0], None
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f'model must be a zoo name, a config path or an mmengine Config; got '
                        f'{type(model).__name__}.')
    spec = os.fspath(model)
    if osp.isfile(spec):
        return translate_config(load_config_file(spec), source=spec)[0], None
    if spec.endswith('.py'):
        raise FileNotFoundError(f'Config file {spec} does not exist (absolute path: '
                                f'{osp.abspath(spec)}).')
    info = get_model_info(spec)  # ModelNotFoundError (KeyError + ValueError) with suggestions
    return translate_config(load_config_file(resolve_config_path(info.config)))[0], info


def _weights_of(pretrained: Union[bool, str], info: Optional[ModelInfo],
                cfg: Config) -> Union[bool, str]:
    """What ``pretrained=True`` means: the zoo entry's weights, else the config's
    ``load_from``, else none - then the model keeps random weights, with a warning."""
    if pretrained is not True:
        return pretrained
    if info is not None:
        return info.weights
    if cfg.get('load_from'):
        return cfg.load_from
    source = getattr(cfg, 'filename', None) or 'The given config'
    warnings.warn(
        f'{source} names no weights (it is not a model-zoo name and sets no load_from): the '
        'model keeps its random initial weights and its predictions are meaningless. Pass '
        'pretrained=PATH_OR_URL, or a zoo name, for trained weights.', UserWarning, stacklevel=3)
    return False


def _dataset_classes(cfg: Config, num_classes: Optional[int]) -> Optional[List[str]]:
    """Class names from the config's test/val dataset, or ImageNet's for an ImageNet (or
    dataset-less) config with a 1000-class head; None when nothing fits ``num_classes``."""
    types = set()
    for loader in ('test_dataloader', 'val_dataloader'):
        node = cfg.get(loader)
        dataset = node.get('dataset') or {} if isinstance(node, Mapping) else {}
        types.add(dataset.get('type'))
        classes = dataset.get('classes') or (dataset.get('metainfo') or {}).get('classes')
        if classes and (num_classes is None or len(classes) == num_classes):
            return list(classes)
    if num_classes == 1000 and types <= {'ImageNet', None}:
        return imagenet_classes()
    return None


def _checkpoint_classes(meta: Mapping) -> Optional[List[str]]:
    classes = (meta.get('dataset_meta') or {}).get('classes') or meta.get('CLASSES')
    return list(classes) if classes else None


def get_model(model: ModelSpec,
              pretrained: Union[bool, str] = False,
              device: Union[str, torch.device, None] = None,
              fast_inference: Optional[dict] = None,
              **kwargs) -> nn.Module:
    """Build a model (eval mode) from a zoo name, a config file or a Config.

    Args:
        model: zoo name (see :func:`list_models`), path to a config file, or an mmengine
            ``Config`` with a ``model`` field.
        pretrained: False (initialised weights), True (the zoo entry's verified weights; for a
            config: its ``load_from``, else random weights with a warning), or a local path /
            URL of a checkpoint in our layout (MMClassification 0.x/1.x files load as they are).
        device: where to put the model (default: stays on CPU).
        fast_inference: opt-in inference fast path, e.g. ``dict(mode='prepack')`` (see
            :func:`mmcls_convnext.models.fast_path.optimize_for_inference`); defaults to the
            config's ``fast_inference`` key. The returned model is then inference-only.
        **kwargs: merged into the model config recursively, e.g. ``head=dict(num_classes=10)``
            or ``backbone=dict(out_indices=(0, 1, 2, 3))``. Passing ``head`` means fine-tuning:
            a checkpoint head of another size is then skipped with one warning.

    Returns:
        The model in eval mode, with ``model.cfg`` / ``model._config`` (the full Config used,
        MMPretrain / MMClassification names translated) and ``model.dataset_meta``
        (``{'classes': [...]}`` or None).

    Raises:
        ModelNotFoundError (a KeyError and a ValueError): unknown zoo name, with suggestions.
        FileNotFoundError: missing config. ConfigCompatError (a ValueError): a type in the
        config that nothing here builds.
        CheckpointError (a ValueError): unreadable, tampered or unfitting weights.
    """
    cfg, info = _load_config(model)
    if 'model' not in cfg:
        raise ValueError(f'The config {getattr(cfg, "filename", None) or "given"} has no '
                         '`model` field.')
    model_cfg = _to_plain(cfg.model)
    if 'data_preprocessor' in cfg and 'data_preprocessor' not in model_cfg:
        model_cfg['data_preprocessor'] = _to_plain(cfg.data_preprocessor)
    if info is not None and info.task == TASK_BACKBONE and 'head' not in kwargs:
        model_cfg['head'] = None  # FCMAE encoders are published without a head
    model_cfg = _merge(model_cfg, kwargs)
    cfg.model = model_cfg

    import mmcls_convnext.models  # noqa: F401 - registers the model classes
    with DefaultScope.overwrite_default_scope(SCOPE):
        net = MODELS.build(copy.deepcopy(model_cfg))
    if hasattr(net, 'init_weights'):
        _quiet_init(net)

    pretrained = _weights_of(pretrained, info, cfg)
    meta: Mapping = {}
    if pretrained:
        if not isinstance(pretrained, (str, os.PathLike)):
            raise TypeError(f'pretrained must be a bool, a path or a URL; got '
                            f'{type(pretrained).__name__}.')
        # given the path, errors name the file; load_checkpoint verifies/downloads it
        report = load_model_weights(net, os.fspath(pretrained),
                                    allow_head_mismatch='head' in kwargs,
                                    model_name=info.name if info else None)
        meta = report['meta']

    head = getattr(net, 'head', None)
    num_classes = getattr(head, 'num_classes', None)
    classes = _checkpoint_classes(meta) if meta else None
    if classes is not None and num_classes is not None and len(classes) != num_classes:
        classes = None  # fine-tuned to another class set: the checkpoint's names do not apply
    if classes is None and head is not None:
        classes = _dataset_classes(cfg, num_classes)
    net.dataset_meta = {'classes': classes} if classes else None
    net._config = net.cfg = cfg
    if device is not None:
        net.to(device)
    net.eval()
    fast_inference = fast_inference if fast_inference is not None else cfg.get('fast_inference')
    if fast_inference:
        from mmcls_convnext.models.fast_path import build_fast_inference_model
        net = build_fast_inference_model(net, _to_plain(fast_inference))
        net._config = net.cfg = cfg
    return net


def init_model(config: ModelSpec,
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device, None] = None,
               **kwargs) -> nn.Module:
    """Older spelling of :func:`get_model`: ``checkpoint`` is a path/URL or None."""
    return get_model(config, pretrained=checkpoint or False, device=device, **kwargs)


