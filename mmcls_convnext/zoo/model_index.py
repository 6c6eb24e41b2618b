"""The model index: the metafile's records by name, and look-ups over them."""
import fnmatch
import os.path as osp
from typing import Dict, Iterable, List, Optional, Union

from mmcls_convnext.suggestions import close_matches

from . import metafile as mf
from .model_info import TASK_BACKBONE, TASK_CLASSIFICATION, TASKS, ModelInfo

__all__ = ['MODEL_INDEX', 'ModelInfo', 'ModelNotFoundError', 'TASKS', 'TASK_BACKBONE',
           'TASK_CLASSIFICATION', 'list_models', 'get_model_info', 'config_roots',
           'resolve_config_path']


class ModelNotFoundError(KeyError, ValueError):
    """An unknown model-zoo name. Both a ``KeyError`` (a failed look-up, as ``dict`` raises) and
    a ``ValueError`` (what MMPretrain's ``get_model`` raises), so either ``except`` catches it."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ''


def _build_index(records: Iterable[ModelInfo]) -> Dict[str, ModelInfo]:
    index: Dict[str, ModelInfo] = {}
    for info in records:
        if info.name in index:
            raise RuntimeError(f'Duplicate model-zoo name {info.name!r} in metafile.py.')
        index[info.name] = info
    return index


MODEL_INDEX: Dict[str, ModelInfo] = _build_index(mf.MODELS)


def list_models(pattern: Optional[str] = None,
                exclude_patterns: Union[str, Iterable[str], None] = None,
                task: Optional[str] = None) -> List[str]:
    """Sorted zoo names matching a shell-style ``pattern`` (fnmatch, case-insensitive).

    Args:
        pattern: e.g. ``'convnext-v2-*in21k*'`` (whole-name match, as MMPretrain's);
            None lists everything.
        exclude_patterns: pattern(s) whose matches are removed.
        task: ``'Image Classification'`` or ``'Backbone'``; None keeps both.

    Raises:
        ValueError: for an unknown ``task``.
    """
    if task is not None and task not in TASKS:
        raise ValueError(f'Unknown task {task!r}; choose one of {list(TASKS)} or None.')
    if isinstance(exclude_patterns, str):
        exclude_patterns = [exclude_patterns]

    names = sorted(MODEL_INDEX)
    if pattern is not None:
        names = [n for n in names if fnmatch.fnmatch(n.lower(), pattern.lower())]
    for pat in exclude_patterns or []:
        names = [n for n in names if not fnmatch.fnmatch(n.lower(), pat.lower())]
    if task is not None:
        names = [n for n in names if MODEL_INDEX[n].task == task]
    return names


def get_model_info(name: str) -> ModelInfo:
    """The :class:`ModelInfo` of a zoo name.

    Raises:
        ModelNotFoundError: (a KeyError and a ValueError) for an unknown name, with the closest
            zoo names as suggestions.
    """
    if name in MODEL_INDEX:
        return MODEL_INDEX[name]
    close = close_matches(name, MODEL_INDEX, n=5, cutoff=0.5)
    hint = f' Did you mean one of {close}?' if close else ''
    raise ModelNotFoundError(
        f'Failed to find model {name!r}: it is not a model-zoo name nor an existing config '
        f'file.{hint} See mmcls_convnext.apis.list_models() or docs/model_zoo.md for all names.')


def config_roots() -> List[str]:
    """Folders searched for zoo configs, in order: the copy a wheel install carries
    (``mmcls_convnext/.mim/configs``), then the source checkout's ``configs/``."""
    pkg_dir = osp.dirname(osp.dirname(osp.abspath(__file__)))
    return [osp.join(pkg_dir, '.mim', 'configs'), osp.join(osp.dirname(pkg_dir), 'configs')]


def resolve_config_path(config: str) -> str:
    """Absolute path of a zoo config given relative to the repository root (``configs/...``).

    Raises:
        FileNotFoundError: naming every place searched.
    """
    rel = config[len('configs/'):] if config.startswith('configs/') else config
    candidates = [osp.join(root, rel) for root in config_roots()]
    for path in candidates:
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'Config {config!r} was found in none of {candidates} (installed package copy, then '
        'source checkout). Reinstall mmcls_convnext from a full source checkout (`pip install .` '
        'copies configs/ into the package) or pass a config path.')
