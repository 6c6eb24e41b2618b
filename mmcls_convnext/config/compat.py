"""Run configs written for MMPretrain 1.x and MMClassification 1.x unchanged.

Their configs differ from ours in names only: ``default_scope='mmpretrain'`` or ``'mmcls'``,
types prefixed with those scopes (``'mmcls.ConvNeXt'``, the form other OpenMMLab packages use),
``_scope_`` keys, ``custom_imports`` of their modules, and a few renamed types
(:data:`RENAMED_TYPES`). :func:`translate_config` maps all of them to ours, logs one line saying
what it changed, and checks that every ``type`` in a known place of the config (the model, the
dataloaders and pipelines, hooks, optimizer, schedulers, evaluators, visualizer, ...) names
something our registries (or mmengine's) can build. Anything else is refused with one line that
names the key (``model.backbone.type='ResNet'``) and what to use instead.

Every entry point loads configs through :func:`mmcls_convnext.config.load_config`, which calls
:func:`translate_config` once: ``tools/train.py``, ``tools/test.py``,
``tools/misc/print_config.py``, the analysis tools and ``get_model`` / the inferencers.
"""
import copy
import logging
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

from mmengine.config import Config
from mmengine.logging import print_log

import mmcls_convnext.registry as reg
from mmcls_convnext.suggestions import close_matches

from .validation import ConfigKeyError

#: Scopes of the toolboxes whose configs we run, and the toolbox each belongs to.
FOREIGN_SCOPES: Dict[str, str] = {'mmpretrain': 'MMPretrain', 'mmcls': 'MMClassification'}

#: Their type names that we register under another name (same arguments).
RENAMED_TYPES: Dict[str, str] = {
    'PackClsInputs': 'PackInputs',  # MMClassification 1.x; MMPretrain renamed it too
}

#: Types they have and we do not, with what to use instead (named in the error).
EQUIVALENTS: Dict[str, str] = {
    'TimmClassifier': ("convert timm's weights with tools/model_converters/convnext_to_mmcls.py "
                       "--src timm and use type='ImageClassifier'"),
    'HuggingFaceClassifier': ('convert the weights with tools/model_converters/'
                              "convnext_to_mmcls.py --src hf and use type='ImageClassifier'"),
}
_BACKBONE_HINT = ("ConvNeXt backbones only: use type='ConvNeXt' with arch='atto'...'huge'; V2: "
                  "use_grn=True, layer_scale_init_value=0.")

# registry attribute name in mmcls_convnext.registry -> word used in messages
_REGISTRY_WORDS = {
    'MODELS': 'model', 'BATCH_AUGMENTS': 'batch augment', 'WEIGHT_INITIALIZERS':
    'weight initializer', 'DATASETS': 'dataset', 'TRANSFORMS': 'transform', 'DATA_SAMPLERS':
    'data sampler', 'FUNCTIONS': 'function', 'METRICS': 'metric', 'HOOKS': 'hook',
    'OPTIM_WRAPPERS': 'optim wrapper', 'OPTIMIZERS': 'optimizer', 'OPTIM_WRAPPER_CONSTRUCTORS':
    'optim wrapper constructor', 'PARAM_SCHEDULERS': 'parameter scheduler', 'VISUALIZERS':
    'visualizer', 'VISBACKENDS': 'vis backend', 'LOG_PROCESSORS': 'log processor', 'LOOPS':
    'loop', 'MODEL_WRAPPERS': 'model wrapper', 'RUNNERS': 'runner',
}

Path = Tuple[Union[str, int], ...]


class ConfigCompatError(ConfigKeyError):
    """A type in a config that names nothing we can build, even after translation."""


@dataclass
class Translation:
    """What :func:`translate_config` changed.

    Attributes:
        origin: ``'MMPretrain'``, ``'MMClassification'``, or None for a config of ours.
        changes: ``(dotted key, old value, new value)`` per change, in config order.
    """
    origin: Optional[str] = None
    changes: List[Tuple[str, str, str]] = field(default_factory=list)

    def summary(self, source: str) -> str:
        """One line: each distinct rename with its first key and how many keys it covers."""
        groups: Dict[Tuple[str, str], List[str]] = {}
        for key, old, new in self.changes:
            groups.setdefault((old, new), []).append(key)
        parts = []
        for (old, new), keys in groups.items():
            more = f' and {len(keys) - 1} more' if len(keys) > 1 else ''
            parts.append(f'{old!r} -> {new!r} ({keys[0]}{more})')
        origin = f'{self.origin} ' if self.origin else ''
        return f'Translated the {origin}config {source} to mmcls_convnext names: ' + \
            '; '.join(parts)


def dotted(path: Path) -> str:
    """``('model', 'backbone', 'type')`` -> ``'model.backbone.type'`` (indices as ``.0``)."""
    return '.'.join(str(p) for p in path)


def _strip_foreign_scope(name: str) -> Tuple[str, Optional[str]]:
    """``'mmcls.ConvNeXt'`` -> ``('ConvNeXt', 'mmcls')``; other names unchanged."""
    scope, sep, rest = name.partition('.')
    if sep and scope in FOREIGN_SCOPES:
        return rest, scope
    return name, None


def _translate_type(name: str, attr: Optional[str]) -> Tuple[str, Optional[str]]:
    """Our name for a type name of theirs, and the foreign scope it carried (if any).

    A renamed type keeps its own name when the registry that builds it (``attr``) has one of
    that name: a class registered under their name wins over the rename.
    """
    bare, scope = _strip_foreign_scope(name)
    if bare in RENAMED_TYPES and not (attr and bare in _registry_names(attr)):
        return RENAMED_TYPES[bare], scope
    return bare, scope


def _loader_registry(keys: List[str]) -> Optional[str]:
    """The registry of a dict inside a dataloader config (``keys[0]`` is the loader)."""
    if 'pipeline' in keys or 'transforms' in keys:
        return 'TRANSFORMS'
    if len(keys) > 1 and keys[1] in ('sampler', 'batch_sampler'):
        return 'DATA_SAMPLERS'
    if len(keys) > 1 and keys[1] == 'collate_fn':
        return 'FUNCTIONS'
    return 'DATASETS' if len(keys) > 1 and keys[1] == 'dataset' else None


def _registry_for(path: Path) -> Optional[str]:
    """Which registry builds the dict at ``path`` (None: a place we do not check)."""
    keys = [p for p in path if isinstance(p, str)]
    if not keys:
        return None
    if 'transforms' in keys:
        # a wrapper's transforms are ours only where the wrapper is: under a helper variable
        # of the config (e.g. MMPretrain's ``albu_transforms`` list) they are checked where
        # the helper's copy is used, not in the helper itself
        last = max(i for i, p in enumerate(path) if p == 'transforms')
        if _registry_for(path[:last]) != 'TRANSFORMS':
            return None
    top = keys[0]
    if 'init_cfg' in keys:
        return 'WEIGHT_INITIALIZERS'
    if top == 'model' and 'prototype' in keys:  # a retriever's gallery: a dataloader config
        return _loader_registry(keys[keys.index('prototype'):])
    if top in ('model', 'tta_model', 'data_preprocessor'):
        return 'BATCH_AUGMENTS' if 'augments' in keys or 'batch_augments' in keys else 'MODELS'
    if top.endswith('_dataloader'):
        return _loader_registry(keys)
    if 'pipeline' in keys or 'transforms' in keys or top.endswith('_pipeline'):
        return 'TRANSFORMS'
    if top.endswith('_evaluator'):
        return 'METRICS'
    table = {'default_hooks': 'HOOKS', 'custom_hooks': 'HOOKS', 'param_scheduler':
             'PARAM_SCHEDULERS', 'log_processor': 'LOG_PROCESSORS', 'vis_backends':
             'VISBACKENDS', 'model_wrapper_cfg': 'MODEL_WRAPPERS'}
    if top in table:
        return table[top]
    if top == 'optim_wrapper':
        return 'OPTIMIZERS' if 'optimizer' in keys else 'OPTIM_WRAPPERS'
    if top == 'visualizer':
        return 'VISBACKENDS' if 'vis_backends' in keys else 'VISUALIZERS'
    if top in ('train_cfg', 'val_cfg', 'test_cfg') and len(keys) == 1:
        return 'LOOPS'
    return None


def _registry_names(attr: str) -> List[str]:
    """Every name the registry (and its mmengine ancestors) can build."""
    registry = getattr(reg, attr)
    registry.import_from_location()
    names: List[str] = []
    while registry is not None:
        names += list(registry.module_dict)
        registry = registry.parent
    if attr == 'METRICS':  # an evaluator position also takes an Evaluator
        names += _registry_names('EVALUATOR')
    return names


def _problem(key: str, name: str, attr: str) -> str:
    """The message part for a type we cannot build: the key, and what to use instead."""
    bare = _strip_foreign_scope(name)[0]
    word = _REGISTRY_WORDS[attr]
    article = 'an' if word[0] in 'aeiou' else 'a'
    where = f'{key}={name!r} is not {article} {word} registered in mmcls_convnext or mmengine'
    if bare in EQUIVALENTS:
        return f'{where} ({EQUIVALENTS[bare]})'
    if attr == 'MODELS' and key.endswith('backbone.type'):
        return f'{where} ({_BACKBONE_HINT})'
    close = close_matches(bare, sorted(set(_registry_names(attr))), n=3, cutoff=0.6)
    if close:
        return f'{where}; did you mean {" or ".join(repr(c) for c in close)}?'
    return f'{where}, and has no equivalent here'


def _is_albumentations(node: dict, path: Path) -> bool:
    """Whether ``node`` is the ``Albumentations`` transform (type already translated), whose
    ``transforms`` name albumentations classes (``ShiftScaleRotate``, ``OneOf``...), not
    registered transforms; :class:`~mmcls_convnext.datasets.transforms.Albumentations`
    checks them when it is built."""
    return node.get('type') == 'Albumentations' and _registry_for(path) == 'TRANSFORMS'


class _Walker:
    """One pass over a config dict: renames in place, collects changes and problems."""

    def __init__(self) -> None:
        self.changes: List[Tuple[str, str, str]] = []
        self.problems: List[str] = []
        self.foreign_scopes: List[str] = []

    def walk(self, node: Any, path: Path) -> None:
        if isinstance(node, dict):
            self._visit_dict(node, path)
            for key, value in node.items():
                if key == 'transforms' and _is_albumentations(node, path):
                    continue  # albumentations' own class names: the wrapper checks them
                self.walk(value, path + (key, ))
        elif isinstance(node, (list, tuple)):
            for index, value in enumerate(node):
                self.walk(value, path + (index, ))

    def _visit_dict(self, node: dict, path: Path) -> None:
        scope = node.get('_scope_')
        if isinstance(scope, str) and scope in FOREIGN_SCOPES:
            node['_scope_'] = reg.SCOPE
            self.record(path + ('_scope_', ), scope, reg.SCOPE, scope)
        name = node.get('type')
        if not isinstance(name, str):
            return  # no type, or a class / function given directly
        new, scope = _translate_type(name, _registry_for(path))
        if new != name:
            node['type'] = new
            self.record(path + ('type', ), name, new, scope)
        self.check(path + ('type', ), name, new, node.get('_scope_'), _registry_for(path))

    def record(self, path: Path, old: str, new: str, scope: Optional[str]) -> None:
        """Note one change (``scope``: the foreign scope it came from, if any)."""
        self.changes.append((dotted(path), old, new))
        if scope is not None:
            self.foreign_scopes.append(scope)

    def check(self, path: Path, original: str, name: str, scope: Any,
              attr: Optional[str]) -> None:
        """Note a problem when registry ``attr`` cannot build ``name``."""
        if '.' in name or (scope is not None and scope != reg.SCOPE):
            return  # another package's scope or an import path: mmengine resolves those
        if attr is not None and name not in _registry_names(attr):
            self.problems.append(_problem(dotted(path), original, attr))


def _split_imports(cfg: Config) -> Tuple[List[str], List[str]]:
    """``custom_imports.imports`` of ``cfg``, and those not of MMPretrain/MMClassification."""
    custom = cfg.get('custom_imports') or {}
    imports = custom.get('imports') or []
    imports = [imports] if isinstance(imports, str) else list(imports)
    return imports, [m for m in imports if m.split('.')[0] not in FOREIGN_SCOPES]


def _translate_custom_imports(cfg: Config, walker: _Walker) -> None:
    """Drop imports of their packages (their names are ours here); keep the rest."""
    imports, kept = _split_imports(cfg)
    for module in imports:
        if module not in kept:
            walker.record(('custom_imports', 'imports'), module, '(not needed)',
                           module.split('.')[0])
    if len(kept) != len(imports):
        if kept:
            cfg.custom_imports = dict(cfg.custom_imports, imports=kept)
        else:
            cfg.pop('custom_imports')


def _check_string_type(walker: _Walker, node: dict, key: str, attr: str) -> None:
    """Types given as plain strings (``optim_wrapper.constructor``, ``runner_type``)."""
    name = node.get(key)
    if not isinstance(name, str):
        return
    prefix = ('optim_wrapper', ) if attr == 'OPTIM_WRAPPER_CONSTRUCTORS' else ()
    new, scope = _translate_type(name, attr)
    if new != name:
        node[key] = new
        walker.record(prefix + (key, ), name, new, scope)
    walker.check(prefix + (key, ), name, new, None, attr)


def translate_config(cfg: Config, source: Optional[str] = None,
                     log: bool = True) -> Tuple[Config, Translation]:
    """Map MMPretrain / MMClassification 1.x names in ``cfg`` to ours and check every type.

    Args:
        cfg: a loaded config; not modified.
        source: how to name the config in messages (default: its file name).
        log: log the one-line summary when something was translated.

    Returns:
        ``(translated copy, Translation)``; the copy has ``default_scope='mmcls_convnext'``
        when the config had none or a foreign one.

    Raises:
        ConfigCompatError: naming each key whose type we cannot build, with the equivalent.
    """
    source = source or getattr(cfg, 'filename', None) or 'the config'
    out = copy.deepcopy(cfg)
    walker = _Walker()
    scope = out.get('default_scope')
    if scope in FOREIGN_SCOPES:
        walker.record(('default_scope', ), scope, reg.SCOPE, scope)
    if scope is None or scope in FOREIGN_SCOPES:
        out.default_scope = reg.SCOPE
    _translate_custom_imports(out, walker)
    for key in list(out.keys()):
        value = out[key]
        walker.walk(value, (key, ))
        if key == 'optim_wrapper' and isinstance(value, dict):
            _check_string_type(walker, value, 'constructor', 'OPTIM_WRAPPER_CONSTRUCTORS')
    _check_string_type(walker, out, 'runner_type', 'RUNNERS')
    if walker.problems:
        text = '; '.join(walker.problems)
        raise ConfigCompatError(f'Cannot run {source}: {text}' + ('' if text[-1] in '?)' else '.'))
    origins = sorted({FOREIGN_SCOPES[s] for s in walker.foreign_scopes})
    translation = Translation(origin=' / '.join(origins) or None, changes=walker.changes)
    if log and translation.changes:
        print_log(translation.summary(source), logger='current', level=logging.INFO)
    return out, translation


def resolve_type(name: str, registry: str, key: str) -> str:
    """Our name for a type given outside a config (a tool's ``--metric type=...``), checked
    as :func:`translate_config` checks a config's types.

    Args:
        name: the type name, e.g. ``'Accuracy'`` or ``'mmpretrain.Accuracy'``.
        registry: the registry that builds it, e.g. ``'METRICS'``.
        key: how to name where it came from in the message, e.g. ``'--metric type'``.

    Raises:
        ConfigCompatError: nothing of that name can be built (with the close matches or the
            equivalent to use instead).
    """
    new, _ = _translate_type(name, registry)
    walker = _Walker()
    walker.check((key, ), name, new, None, registry)
    if walker.problems:
        text = walker.problems[0]
        raise ConfigCompatError(text + ('' if text[-1] in '?)' else '.'))
    return new
