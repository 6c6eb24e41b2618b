"""Build models by zoo name, config path or Config, optionally with verified pretrained weights.

:func:`get_model` is four steps: :func:`resolve_config` (zoo name / path / Config -> the full
config and the zoo record), :func:`build_model`, :func:`load_weights` (what ``pretrained``
names, :func:`weights_source`, through the one loader ``weights.load_model_weights``) and
:func:`attach_metadata` (class names, config, record).
"""
import copy
import logging
import os
import os.path as osp
import warnings
from typing import Any, List, Mapping, Optional, Sequence, Union

import torch
from mmengine.config import Config, ConfigDict
from mmengine.logging import MMLogger
from mmengine.registry import DefaultScope
from torch import nn

from mmcls_convnext.config import load_config
from mmcls_convnext.deploy import apply_fast_inference
from mmcls_convnext.registry import MODELS, SCOPE
from mmcls_convnext.weights import load_model_weights
from mmcls_convnext.zoo import (
    TASK_BACKBONE,
    ModelInfo,
    get_model_info,
    list_models,
    resolve_config_path,
)

__all__ = ['list_models', 'get_model', 'init_model', 'imagenet_classes', 'resolve_config',
           'build_model', 'weights_source', 'load_weights', 'attach_metadata', 'model_classes',
           'checkpoint_classes']

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
    """The loaded config (:func:`mmcls_convnext.config.load_config`) of a zoo name, path or
    Config; never the caller's own object (``resolve_config`` changes it)."""
    if isinstance(model, Config):
        cfg = load_config(model)
        return (copy.deepcopy(cfg) if cfg is model else cfg), None
    if not isinstance(model, (str, os.PathLike)):
        raise TypeError(f'model must be a zoo name, a config path or an mmengine Config; got '
                        f'{type(model).__name__}.')
    spec = os.fspath(model)
    if osp.isfile(spec):
        return load_config(spec), None
    if spec.endswith('.py'):
        raise FileNotFoundError(f'Config file {spec} does not exist (absolute path: '
                                f'{osp.abspath(spec)}).')
    info = get_model_info(spec)  # ModelNotFoundError (KeyError + ValueError) with suggestions
    return load_config(resolve_config_path(info.config)), info


def resolve_config(model: ModelSpec, **kwargs) -> 'tuple[Config, Optional[ModelInfo]]':
    """Step 1 of :func:`get_model`: the full config and, for a zoo name, its record.

    ``cfg.model`` is the config's model, with the top-level ``data_preprocessor`` when the model
    has none, no head for a zoo entry published without one (unless ``head`` is given), and
    ``kwargs`` merged in recursively.

    Raises:
        ModelNotFoundError, FileNotFoundError, TypeError: as :func:`get_model`.
        ValueError: a config without a ``model`` field.
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
    cfg.model = _merge(model_cfg, kwargs)
    return cfg, info


def build_model(cfg: Config) -> nn.Module:
    """Step 2 of :func:`get_model`: ``cfg.model`` built in our scope and initialised
    (``init_cfg``, e.g. a ``Pretrained`` backbone, runs here)."""
    import mmcls_convnext.models  # noqa: F401 - registers the model classes
    with DefaultScope.overwrite_default_scope(SCOPE):
        net = MODELS.build(_to_plain(cfg.model))  # plain dicts, not ConfigDicts
    if hasattr(net, 'init_weights'):
        _quiet_init(net)
    return net


def weights_source(pretrained: Union[bool, str, os.PathLike, None], info: Optional[ModelInfo],
                   cfg: Config) -> Optional[str]:
    """What ``pretrained`` means, in one place: the path or URL to load, or None.

    False / None / '': none. True: the zoo record's weights URL, else the config's ``load_from``,
    else none - the model keeps random weights, with a warning. A path or URL: itself.

    Raises:
        TypeError: anything else.
    """
    if pretrained is True:
        if info is not None:
            return info.weights
        if cfg.get('load_from'):
            return os.fspath(cfg.load_from)
        source = getattr(cfg, 'filename', None) or 'The given config'
        warnings.warn(
            f'{source} names no weights (it is not a model-zoo name and sets no load_from): the '
            'model keeps its random initial weights and its predictions are meaningless. Pass '
            'pretrained=PATH_OR_URL, or a zoo name, for trained weights.', UserWarning,
            stacklevel=3)  # the caller of get_model
        return None
    if not pretrained:
        return None
    if isinstance(pretrained, (str, os.PathLike)):
        return os.fspath(pretrained)
    raise TypeError(f'pretrained must be a bool, a path or a URL; got '
                    f'{type(pretrained).__name__}.')


def _check_head_fits_weights(net: nn.Module, info: ModelInfo, fine_tune: bool) -> None:
    """Before the download: the zoo weights' head must fit the built one, unless fine-tuning."""
    head = getattr(net, 'head', None)
    num_classes = getattr(head, 'num_classes', None)
    if fine_tune or num_classes is None or info.num_classes is None:
        return
    if num_classes != info.num_classes:
        raise ValueError(
            f'The weights of {info.name} classify {info.num_classes} {info.label_set} '
            f'categories, but its config ({info.config}) builds a head with '
            f'num_classes={num_classes}. Restore the config, or fine-tune on your classes: '
            f"get_model('{info.name}', pretrained=True, head=dict(num_classes={num_classes})) "
            'loads everything but the head.')


def load_weights(net: nn.Module, source: Optional[str], *, info: Optional[ModelInfo] = None,
                 fine_tune: bool = False) -> Mapping:
    """Step 3 of :func:`get_model`: the weights at ``source`` (see :func:`weights_source`) into
    ``net`` through :func:`mmcls_convnext.weights.load_model_weights`.

    Args:
        net: the built model.
        source: path or URL; None loads nothing.
        info: the zoo record the model was built from (names it in messages).
        fine_tune: a checkpoint head of another size is skipped with one warning.

    Returns:
        The checkpoint's ``meta`` dict (``{}`` when nothing was loaded).
    """
    if source is None:
        return {}
    if info is not None and source == info.weights:
        _check_head_fits_weights(net, info, fine_tune)
    report = load_model_weights(net, source, allow_head_mismatch=fine_tune,
                                model_name=info.name if info else None)
    return report['meta']


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


def checkpoint_classes(meta: Mapping) -> Optional[List[str]]:
    """The class names a checkpoint's ``meta`` carries (``dataset_meta.classes`` or
    MMClassification 0.x's ``CLASSES``), or None."""
    classes = (meta.get('dataset_meta') or {}).get('classes') or meta.get('CLASSES')
    return list(classes) if classes else None


def model_classes(net: nn.Module, cfg: Config, info: Optional[ModelInfo],
                  meta: Mapping) -> Optional[List[str]]:
    """The class names of ``net``: the checkpoint's, else (with a head) the zoo weights'
    categories, else the config's dataset's (ImageNet's for an ImageNet or dataset-less
    1000-class config). Only names that fit the head's ``num_classes`` count (a checkpoint
    fine-tuned to another class set keeps its names to itself); None when nothing fits."""
    head = getattr(net, 'head', None)
    num_classes = getattr(head, 'num_classes', None)

    def fits(names: Optional[Sequence[str]]) -> bool:
        return bool(names) and (num_classes is None or len(names) == num_classes)

    from_checkpoint = checkpoint_classes(meta) if meta else None
    if fits(from_checkpoint):
        return from_checkpoint
    if head is None:
        return None
    if info is not None and fits(info.categories):
        return list(info.categories)
    return _dataset_classes(cfg, num_classes)


def attach_metadata(net: nn.Module, cfg: Config, info: Optional[ModelInfo],
                    meta: Mapping) -> None:
    """Step 4 of :func:`get_model`: ``net.dataset_meta`` (``{'classes': [...]}`` or None, see
    :func:`model_classes`), ``net.cfg`` / ``net._config`` (the Config) and ``net.model_info``
    (the zoo record, or None)."""
    classes = model_classes(net, cfg, info, meta)
    net.dataset_meta = {'classes': classes} if classes else None
    net._config = net.cfg = cfg
    net.model_info = info


def get_model(model: ModelSpec,
              pretrained: Union[bool, str] = False,
              device: Union[str, torch.device, None] = None,
              fast_inference: Optional[dict] = None,
              **kwargs) -> nn.Module:
    """Build a model (eval mode) from a zoo name, a config file or a Config.

    Four steps, each its own function: :func:`resolve_config`, :func:`build_model`,
    :func:`load_weights` (of :func:`weights_source`) and :func:`attach_metadata`.

    Args:
        model: zoo name (see :func:`list_models`), path to a config file, or an mmengine
            ``Config`` with a ``model`` field.
        pretrained: False (initialised weights), True (the zoo entry's verified weights; for a
            config: its ``load_from``, else random weights with a warning), or a local path /
            URL of a checkpoint in our layout (MMClassification 0.x/1.x files load as they are).
        device: where to put the model (default: stays on CPU).
        fast_inference: opt-in inference fast path, e.g. ``dict(mode='prepack')`` (see
            :func:`mmcls_convnext.deploy.optimize_for_inference`); defaults to the
            config's ``fast_inference`` key. The returned model is then inference-only.
        **kwargs: merged into the model config recursively, e.g. ``head=dict(num_classes=10)``
            or ``backbone=dict(out_indices=(0, 1, 2, 3))``. Passing ``head`` means fine-tuning:
            a checkpoint head of another size is then skipped with one warning.

    Returns:
        The model in eval mode, with ``model.cfg`` / ``model._config`` (the full Config used,
        MMPretrain / MMClassification names translated), ``model.dataset_meta``
        (``{'classes': [...]}`` or None) and ``model.model_info`` (the zoo record of a zoo
        name - its ``transforms()`` and ``categories`` - else None).

    Raises:
        ModelNotFoundError (a KeyError and a ValueError): unknown zoo name, with suggestions.
        FileNotFoundError: missing config. ConfigCompatError (a ValueError): a type in the
        config that nothing here builds. ValueError: the config's head does not fit the zoo
        weights (and ``head`` was not given).
        CheckpointError (a ValueError): unreadable, tampered or unfitting weights.
    """
    cfg, info = resolve_config(model, **kwargs)
    source = weights_source(pretrained, info, cfg)
    net = build_model(cfg)
    meta = load_weights(net, source, info=info, fine_tune='head' in kwargs)
    attach_metadata(net, cfg, info, meta)
    if device is not None:
        net.to(device)
    net.eval()
    return apply_fast_inference(net, cfg, fast_inference)


def init_model(config: ModelSpec,
               checkpoint: Optional[str] = None,
               device: Union[str, torch.device, None] = None,
               **kwargs) -> nn.Module:
    """Older spelling of :func:`get_model`: ``checkpoint`` is a path/URL or None."""
    return get_model(config, pretrained=checkpoint or False, device=device, **kwargs)
