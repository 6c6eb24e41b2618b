"""Configs: reading, checking and translating them (:func:`load_config`, the one entry).

- :mod:`.loading` - :func:`load_config` (read, validate, apply ``--cfg-options``, translate,
  once) and :func:`load_config_file` (read only).
- :mod:`.validation` - typo checks of top-level keys and ``--cfg-options`` keys
  (``ConfigKeyError``), removed settings.
- :mod:`.compat` - MMPretrain / MMClassification 1.x names mapped to ours, every ``type``
  checked against the registries (``ConfigCompatError``).

Imports ``registry`` (the registries' names, looked up lazily) and, lazily, ``zoo`` (a model-zoo
name given where a config file is expected stands for its config).
"""
from .compat import (
    EQUIVALENTS,
    FOREIGN_SCOPES,
    RENAMED_TYPES,
    ConfigCompatError,
    Translation,
    resolve_type,
    translate_config,
)
from .loading import (
    import_custom_modules,
    is_loaded,
    load_config,
    load_config_file,
    resolve_config_file,
)
from .validation import (
    HELPER_KEYS,
    RUNNER_KEYS,
    ConfigKeyError,
    refuse_removed_keys,
    removed_trust_checkpoint,
    validate_cfg_options,
    validate_config,
)

__all__ = [
    'load_config', 'load_config_file', 'resolve_config_file', 'import_custom_modules',
    'is_loaded', 'translate_config',
    'Translation', 'resolve_type', 'ConfigCompatError', 'FOREIGN_SCOPES', 'RENAMED_TYPES',
    'EQUIVALENTS', 'ConfigKeyError', 'validate_config', 'validate_cfg_options',
    'refuse_removed_keys', 'removed_trust_checkpoint', 'RUNNER_KEYS', 'HELPER_KEYS'
]
