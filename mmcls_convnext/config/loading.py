"""``load_config``: the one way a config enters the toolbox - read, checked, options applied and
translated, once.

Every entry point calls it: ``tools/train.py`` / ``tools/test.py`` (with ``--cfg-options``), the
analysis and misc tools, ``get_model`` / the inferencers, and :meth:`ClsRunner.from_cfg` for a
config that did not come from here. Its result is marked as loaded, so a later
``load_config(cfg)`` (as in ``ClsRunner.from_cfg``) returns it as it is instead of validating
and translating it again; what a caller changes in it afterwards is the caller's to keep valid.
"""
import copy
import os
import os.path as osp
from typing import Any, Dict, Mapping, Optional, Union

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.utils import import_modules_from_strings

from mmcls_convnext.suggestions import did_you_mean

from .compat import _split_imports, translate_config
from .validation import refuse_removed_keys, validate_cfg_options, validate_config

#: Instance attribute (not a config key: never dumped) set on the configs load_config returns.
_LOADED = '_mmcls_convnext_loaded'


def is_loaded(cfg: Any) -> bool:
    """Whether ``cfg`` came from :func:`load_config` (validated and translated already)."""
    return isinstance(cfg, Config) and bool(cfg.__dict__.get(_LOADED, False))


def load_config(path_or_cfg: Union[str, os.PathLike, Config, Mapping],
                cfg_options: Optional[Dict[str, Any]] = None, *,
                source: Optional[str] = None) -> Config:
    """Read a config, check it, apply ``cfg_options`` and translate it, each step once.

    1. read: a file (or a model-zoo name's config, :func:`resolve_config_file`) through
       :func:`load_config_file` (MMPretrain's / MMClassification's ``custom_imports``
       skipped, others imported); a ``Config`` or dict as given;
    2. validate the top-level keys (:func:`validate_config`: typos -> ``ConfigKeyError``);
    3. check each ``cfg_options`` key against the config (:func:`validate_cfg_options`), merge
       them, import ``custom_imports`` they add;
    4. refuse removed settings (``trust_checkpoint``);
    5. translate MMPretrain / MMClassification 1.x names to ours and check every type
       (:func:`translate_config`; one log line; unknown types -> ``ConfigCompatError``).

    Args:
        path_or_cfg: a config file, an ``mmengine.Config`` or a dict; never modified.
        cfg_options: ``--cfg-options`` (dotted key -> value), or None.
        source: how to name the config in messages (default: its path / file name).

    Returns:
        The loaded config (a new object unless ``path_or_cfg`` came from ``load_config`` and
        no options are given: then it is returned as it is).

    Raises:
        FileNotFoundError: no such file. TypeError: neither a path, a Config nor a dict.
        ConfigKeyError / ConfigCompatError / ValueError: as above, naming the key.
    """
    if is_loaded(path_or_cfg) and not cfg_options:
        return path_or_cfg
    if isinstance(path_or_cfg, (str, os.PathLike)):
        path = os.fspath(path_or_cfg)
        if osp.isdir(path):
            found = sorted(n for n in os.listdir(path) if n.endswith('.py'))[:3]
            hint = f' (it holds {found})' if found else ''
            raise ValueError(f'Config path "{path}" is a directory, not a config file{hint}; '
                             'pass the path of one .py config file.')
        path = resolve_config_file(path)
        try:
            cfg = load_config_file(path)
        except SyntaxError as exc:  # mmengine parses the file with ast first
            where = f', line {exc.lineno}' if exc.lineno else ''
            text = f': {exc.text.strip()!r}' if exc.text else ''
            raise ValueError(f'Config file "{path}"{where} is not valid Python ({exc.msg}){text}. '
                             'Fix the syntax of the file.') from None
        source = source or path
    elif isinstance(path_or_cfg, Config):
        cfg = path_or_cfg
    elif isinstance(path_or_cfg, Mapping):
        cfg = Config(dict(path_or_cfg))
    else:
        raise TypeError('load_config expects a config file path, an mmengine Config or a dict; '
                        f'got {type(path_or_cfg).__name__}.')
    validate_config(cfg)
    if cfg_options:
        validate_cfg_options(cfg, cfg_options)
        if cfg is path_or_cfg:
            cfg = copy.deepcopy(cfg)  # the caller's Config stays as it was
        cfg.merge_from_dict(cfg_options)
        if any(key.split('.')[0] == 'custom_imports' for key in cfg_options):
            import_custom_modules(cfg)  # their modules register types the config may name
    refuse_removed_keys(cfg)
    cfg = translate_config(cfg, source=source)[0]  # a copy: the input is never changed
    object.__setattr__(cfg, _LOADED, True)  # Config.__setattr__ would make it a config key
    return cfg


def _looks_like_a_name(spec: str) -> bool:
    """A zoo name has no folder and no ``.py`` suffix (``convnext-tiny_32xb128_in1k``)."""
    return not spec.endswith('.py') and '/' not in spec and os.sep not in spec


def resolve_config_file(spec: str) -> str:
    """The config file of ``spec``: an existing file as it is, or a model-zoo name's config.

    A zoo name (e.g. ``convnext-tiny_32xb128_in1k``, see ``list_models()``) stands for the config
    of its record, so ``tools/train.py NAME`` / ``tools/test.py NAME CKPT`` work as
    ``get_model(NAME)`` does; one log line says which file was used.

    Raises:
        FileNotFoundError: neither a file nor a zoo name; names the closest zoo names when the
            spec (or its file stem) is close to one.
    """
    if osp.isfile(spec):
        return spec
    # lazily: the catalogue is only needed for a spec that is not a file
    from mmcls_convnext.zoo.model_index import MODEL_INDEX, resolve_config_path
    if _looks_like_a_name(spec) and spec in MODEL_INDEX:
        path = resolve_config_path(MODEL_INDEX[spec].config)
        print_log(f'"{spec}" is a model-zoo name, not a file: using its config {path}',
                  logger='current')
        return path
    stem = osp.splitext(osp.basename(spec))[0]
    if stem in MODEL_INDEX:
        hint = (f' "{stem}" is a model-zoo name: pass it without folder and ".py" to use its '
                f'config ({MODEL_INDEX[stem].config}).')
    else:
        hint = did_you_mean(stem, MODEL_INDEX, n=3, cutoff=0.75)
        if hint:
            hint = f' It is not a model-zoo name either.{hint}'
    raise FileNotFoundError(f'Config file "{spec}" does not exist (absolute path: '
                            f'{osp.abspath(spec)}); pass a config file or a model-zoo name '
                            f'(mmcls_convnext.apis.list_models()).{hint}')


def load_config_file(path: str) -> Config:
    """``Config.fromfile`` whose ``custom_imports`` of MMPretrain/MMClassification modules are
    skipped (they are not installed and not needed); other custom imports are imported.

    Only reads: :func:`load_config` also validates and translates."""
    cfg = Config.fromfile(path, import_custom_modules=False)
    import_custom_modules(cfg)
    return cfg


def import_custom_modules(cfg: Config) -> None:
    """Import ``cfg.custom_imports`` (except MMPretrain's/MMClassification's own modules).

    Called for the file's imports when it is loaded, and again after ``--cfg-options
    custom_imports.imports=[...]`` (mmengine would ignore imports added there); importing a
    module twice is a no-op.
    """
    kept = _split_imports(cfg)[1]
    if kept:
        allow_failed = bool(cfg.custom_imports.get('allow_failed_imports', False))
        import_modules_from_strings(imports=kept, allow_failed_imports=allow_failed)
