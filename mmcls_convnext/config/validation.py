"""Catch config typos before training starts.

mmengine silently ignores unknown top-level keys: ``defualt_hooks=...`` trains with the default
hooks, ``trian_cfg=...`` with whatever ``train_cfg`` the base config had. Configs also hold
free-form helper variables (``data_root``, ``train_pipeline``, ``bgr_mean``), so not every
unknown name is an error: a top-level name is refused when it is a close match (difflib) of a
key the Runner reads, or when it looks like one (``*_cfg``, ``*_hooks``, ``*_dataloader``,
``*_evaluator``). ``--cfg-options`` keys are checked against the loaded config.
"""
from typing import Any, Dict, List, Optional

from mmengine.logging import print_log

from mmcls_convnext.suggestions import close_matches

#: Top-level keys read by mmengine's Runner / ``Runner.from_cfg`` and by our tools.
RUNNER_KEYS = frozenset({
    'model', 'work_dir', 'train_dataloader', 'val_dataloader', 'test_dataloader', 'train_cfg',
    'val_cfg', 'test_cfg', 'auto_scale_lr', 'optim_wrapper', 'param_scheduler', 'val_evaluator',
    'test_evaluator', 'default_hooks', 'custom_hooks', 'data_preprocessor', 'load_from',
    'resume', 'launcher', 'env_cfg', 'log_processor', 'log_level', 'visualizer',
    'default_scope', 'randomness', 'experiment_name', 'runner_type', 'model_wrapper_cfg',
    'find_unused_parameters', 'sync_bn', 'compile', 'custom_imports', 'gpu_ids', 'strategy',
    'trust_checkpoint', 'fast_inference', 'log_console',
    'tta_model', 'tta_pipeline', 'dist_params', 'cudnn_benchmark',
    'train_pipeline', 'val_pipeline', 'test_pipeline', 'dataset_type', 'data_root',
    'vis_backends',
})
#: Helper variables of MMPretrain's shipped bases that look like Runner keys: inshop_bs32_448.py's
#: query loader (its val/test loader) and gallery loader (its retrieval leaves read it as
#: ``prototype={{_base_.gallery_dataloader}}``). Accepted, and offered for their own typos.
RUNNER_LIKE_HELPERS = frozenset({'query_dataloader', 'gallery_dataloader'})
#: Helper variables common in OpenMMLab configs: never reported, even when close to a Runner key.
#: Beside the usual ones, those of MMPretrain 1.2's shipped configs that look like Runner keys:
#: ``img_norm_cfg`` (the CLIP ImageNet bases), ``common_data_cfg`` (LeNet-5 on MNIST),
#: ``paramwise_cfg`` / ``ipu_model_cfg`` / ``options_cfg`` (the IPU ViT config), and the
#: model-building helpers of OpenMMLab configs (``norm_cfg``, ``act_cfg``, ``conv_cfg``,
#: ``backend_args``, ``file_client_args``).
HELPER_KEYS = frozenset({'checkpoint', 'pretrained', 'bgr_mean', 'bgr_std', 'num_classes',
                         'img_size', 'crop_size', 'base_lr', 'batch_size', 'max_epochs',
                         'img_norm_cfg', 'common_data_cfg', 'paramwise_cfg', 'ipu_model_cfg',
                         'options_cfg', 'norm_cfg', 'act_cfg', 'conv_cfg', 'backend_args',
                         'file_client_args'}
                        ) | RUNNER_LIKE_HELPERS
#: Pipelines are helper variables (the Runner reads none of them; ``tta_pipeline`` aside, which
#: our tools read): MMPretrain's configs name many (``view_pipeline``, ``base_train_pipeline``,
#: ``train_pipeline_37e``, ``pipeline``...), so a name holding ``pipeline`` is never a typo of
#: a Runner key.
_PIPELINE_HELPER = 'pipeline'
_RUNNER_LIKE_SUFFIXES = ('_cfg', '_hooks', '_dataloader', '_evaluator', '_scheduler')


class ConfigKeyError(ValueError):
    """A config key (in the file or in ``--cfg-options``) that is probably a typo."""


def _suggest(name: str, candidates) -> Optional[str]:
    matches = close_matches(name, sorted(candidates), n=1, cutoff=0.8)
    return matches[0] if matches else None


def unknown_top_level_keys(cfg: Dict[str, Any]) -> List[str]:
    """Messages for suspicious top-level keys of ``cfg`` (empty list when fine)."""
    problems = []
    for key in cfg.keys():
        if (key in RUNNER_KEYS or key in HELPER_KEYS or key.startswith('_')
                or _PIPELINE_HELPER in key):
            continue
        suggestion = _suggest(key, RUNNER_KEYS | RUNNER_LIKE_HELPERS)
        if suggestion is not None:
            problems.append(f'"{key}" (did you mean "{suggestion}"?)')
        elif key.endswith(_RUNNER_LIKE_SUFFIXES):
            problems.append(f'"{key}" (named like a Runner setting, but the Runner reads no '
                            'such key)')
    return problems


def validate_config(cfg: Dict[str, Any]) -> None:
    """Raise :class:`ConfigKeyError` for top-level keys that look like typos.

    Args:
        cfg: a loaded config (``mmengine.Config`` or dict).
    """
    problems = unknown_top_level_keys(cfg)
    if problems:
        source = getattr(cfg, 'filename', None) or 'the config'
        raise ConfigKeyError(
            f'Unknown top-level config key(s) in {source}: {"; ".join(problems)}. mmengine would '
            'silently ignore them. Fix the spelling (or prefix a private helper variable '
            'with "_").')


def removed_trust_checkpoint(name: str) -> str:
    """The refusal of ``trust_checkpoint`` (config key) / ``--trust-checkpoint`` (flag), both
    removed: ``name`` is how the user spelt it."""
    return (f'{name} was removed: checkpoint files are never unpickled with weights_only=False '
            'any more. Our own and mmengine training checkpoints load without it; for another '
            'file, save its tensors as a plain state dict.')


def refuse_removed_keys(cfg: Dict[str, Any]) -> None:
    """Raise ``ValueError`` for settings that were removed (``trust_checkpoint``)."""
    if cfg.get('trust_checkpoint'):
        raise ValueError(removed_trust_checkpoint('trust_checkpoint')
                         + ' Remove trust_checkpoint from the config.')


def validate_cfg_options(cfg: Dict[str, Any], options: Dict[str, Any]) -> None:
    """Check every dotted ``--cfg-options`` key against ``cfg`` before it is merged.

    A key is refused when a part of it is missing and a close match exists at that level
    (``model.backbone.drop_path_rat``), or when its first part is neither in the config nor a
    Runner key. A new leaf under an existing dict without a close match is allowed (it adds a
    setting) and logged as a warning.

    Raises:
        ConfigKeyError: naming the key, the missing part and the suggestion.
    """
    for dotted in options:
        parts = dotted.split('.')
        node: Any = cfg
        for depth, part in enumerate(parts):
            path = '.'.join(parts[:depth])
            if isinstance(node, (list, tuple)) and part.isdigit():
                if int(part) >= len(node):
                    raise ConfigKeyError(f'--cfg-options {dotted}: index {part} is out of range '
                                         f'for "{path}" (length {len(node)}).')
                node = node[int(part)]
                continue
            if not hasattr(node, 'keys'):
                if node is None or f'{path}._delete_' in options:
                    break  # a None value (or one marked _delete_=True) is replaced by a dict
                raise ConfigKeyError(f'--cfg-options {dotted}: "{path}" is a '
                                     f'{type(node).__name__}, not a dict; cannot set "{part}".')
            if part in node:
                node = node[part]
                continue
            if depth == 0 and part in RUNNER_KEYS:
                break  # setting a Runner key the config does not have yet
            choices = list(node.keys()) + (list(RUNNER_KEYS) if depth == 0 else [])
            suggestion = _suggest(part, choices)
            where = f'"{path}"' if path else 'the top level of the config'
            if suggestion is not None:
                full = '.'.join(parts[:depth] + [suggestion] + parts[depth + 1:])
                raise ConfigKeyError(f'--cfg-options {dotted}: no key "{part}" in {where} '
                                     f'(did you mean "{full}"?).')
            if depth == 0:
                raise ConfigKeyError(f'--cfg-options {dotted}: "{part}" matches no key of the '
                                     'config nor any Runner key.')
            print_log(f'--cfg-options {dotted}: adds the new key "{part}" to "{path}".',
                      logger='current', level=30)
            break
