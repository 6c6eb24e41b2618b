"""The model index: one :class:`ModelInfo` per published checkpoint, and look-ups over it."""
import difflib
import fnmatch
import os.path as osp
from dataclasses import dataclass
from typing import Dict, Iterable, List, Optional, Tuple, Union

from . import metafile as mf

TASK_CLASSIFICATION = 'Image Classification'
TASK_BACKBONE = 'Backbone'  # self-supervised FCMAE encoders: no head, no accuracy
TASKS = (TASK_CLASSIFICATION, TASK_BACKBONE)


class ModelNotFoundError(KeyError, ValueError):
    """An unknown model-zoo name. Both a ``KeyError`` (a failed look-up, as ``dict`` raises) and
    a ``ValueError`` (what MMPretrain's ``get_model`` raises), so either ``except`` catches it."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else ''


@dataclass(frozen=True)
class ModelInfo:
    """Everything known about one published checkpoint.

    Attributes:
        name: zoo name, e.g. ``'convnext-tiny_32xb128_in1k'``.
        family: ``'ConvNeXt'`` or ``'ConvNeXt V2'``.
        arch: backbone arch name (``'atto'`` ... ``'huge'``).
        config: config path relative to the repository root, e.g.
            ``'configs/convnext/convnext-tiny_32xb128_in1k.py'``.
        weights: download URL; its file name ends in ``-<first 8 hex of sha256>.pth``.
        params_m: parameters in millions (with the head the config builds).
        gflops: multiply-accumulates in G at ``resolution``.
        top1, top5: ImageNet-1k val accuracy (percent), None if not evaluated there.
        training_data: datasets in training order.
        converted_from: URL of the official file these weights were converted from, or None.
        code: code repository of the original weights, or None (trained with this toolbox).
        task: ``'Image Classification'`` or ``'Backbone'`` (no head).
        resolution: eval image size.
        num_classes: classes of the published head (None for backbones).
    """
    name: str
    family: str
    arch: str
    config: str
    weights: str
    params_m: float
    gflops: float
    top1: Optional[float]
    top5: Optional[float]
    training_data: Tuple[str, ...]
    converted_from: Optional[str]
    code: Optional[str]
    task: str
    resolution: int
    num_classes: Optional[int]

    @property
    def file_name(self) -> str:
        return self.weights.rsplit('/', 1)[-1]


def _resolution(name: str) -> int:
    for res in (384, 512):
        if name.endswith(f'-{res}px'):
            return res
    return 224


def _v1_infos() -> List[ModelInfo]:
    infos = []
    for name, cfg, file, params, flops, top1, top5, data, official in mf.V1_ROWS:
        in21k = name.endswith('_in21k')
        infos.append(
            ModelInfo(
                name=name, family='ConvNeXt', arch=name.split('_')[0].split('-')[1],
                config=f'configs/convnext/{cfg}.py', weights=mf.V1_PREFIX + file,
                params_m=params, gflops=flops, top1=top1, top5=top5, training_data=data,
                converted_from=mf.V1_OFFICIAL + official if official else None,
                code=mf.V1_CODE if official else None, task=TASK_CLASSIFICATION,
                resolution=_resolution(name), num_classes=21841 if in21k else 1000))
    return infos


def _v2_infos() -> List[ModelInfo]:
    infos = []
    for arch, kind, res, params, flops, top1, top5, sha in mf.V2_ROWS:
        suffix = '' if res == 224 else f'-{res}px'
        if kind == 'fcmae':
            name = f'convnext-v2-{arch}_3rdparty-fcmae_in1k'
            official = f'pt_only/convnextv2_{arch}_1k_224_fcmae.pt'
        elif kind == 'in1k':
            name = f'convnext-v2-{arch}_fcmae-pre_3rdparty_in1k'
            official = f'im1k/convnextv2_{arch}_1k_224_ema.pt'
        else:
            name = f'convnext-v2-{arch}_fcmae-in21k-pre_3rdparty_in1k{suffix}'
            official = f'im22k/convnextv2_{arch}_22k_{res}_ema.pt'
        infos.append(
            ModelInfo(
                name=name, family='ConvNeXt V2', arch=arch,
                config=f'configs/convnext_v2/convnext-v2-{arch}_32xb32_in1k{suffix}.py',
                weights=f'{mf.V2_PREFIX}{name}_20230104-{sha}.pth', params_m=params,
                gflops=flops, top1=top1, top5=top5,
                training_data=mf.IN21K_1K if kind == 'in21k' else mf.IN1K,
                converted_from=mf.V2_OFFICIAL + official, code=mf.V2_CODE,
                task=TASK_BACKBONE if kind == 'fcmae' else TASK_CLASSIFICATION,
                resolution=res, num_classes=None if kind == 'fcmae' else 1000))
    return infos


def _build_index() -> Dict[str, ModelInfo]:
    index: Dict[str, ModelInfo] = {}
    for info in _v1_infos() + _v2_infos():
        if info.name in index:
            raise RuntimeError(f'Duplicate model-zoo name {info.name!r} in metafile.py.')
        index[info.name] = info
    return index


MODEL_INDEX: Dict[str, ModelInfo] = _build_index()


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
    close = difflib.get_close_matches(name, list(MODEL_INDEX), n=5, cutoff=0.5)
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
