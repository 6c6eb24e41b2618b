"""Find the image files of a dataset that do not load (``tools/misc/verify_dataset.py``).

Each image the dataset lists goes through the loading step of its pipeline - the config's own
``LoadImageFromFile`` (decode backend, colour type, file backend), decoding the whole file
even where training would decode lazily - and every file that fails is reported with the
reason. Only the listing and loading run: no resizing, augmentation or model.
"""
import copy
import time
from dataclasses import dataclass
from multiprocessing import get_context
from typing import Any, Callable, Iterator, List, Optional, Sequence

from mmcls_convnext.registry import DATASETS, TRANSFORMS

#: seconds between two progress lines
PROGRESS_EVERY_S = 10.0
_LOADER = 'LoadImageFromFile'
_CACHE_ONLY_KEYS = ('cache_steps', 'max_cache_bytes')


@dataclass(frozen=True)
class BrokenFile:
    """An image that failed to load: its path and why (``'ImageDecodeError: ...'``)."""
    path: str
    reason: str


def _type_name(transform: Any) -> str:
    name = transform.get('type', '') if isinstance(transform, dict) else type(transform).__name__
    return name.split('.')[-1] if isinstance(name, str) else getattr(name, '__name__', '')


def loading_step(pipeline: Optional[Sequence[Any]]) -> dict:
    """The config of the pipeline's ``LoadImageFromFile`` (default arguments when it has none),
    with ``lazy_decode`` removed: the whole file is decoded."""
    for transform in pipeline or ():
        if isinstance(transform, dict) and _type_name(transform) == _LOADER:
            step = {k: v for k, v in transform.items() if k not in ('lazy_decode', '_scope_')}
            step['type'] = _LOADER  # ours: every file becomes an image or an error
            return step
    return dict(type=_LOADER)


def loading_only(dataset_cfg: dict) -> dict:
    """A copy of a dataset config that lists the same images and loads none of them.

    The pipeline is emptied, ``skip_bad_images`` turned off (a bad file must be seen, not
    replaced) and an in-memory cache (``CachedCustomDataset``, which decodes every image when
    built) replaced by the ``CustomDataset`` it extends. Wrapper datasets (``dataset=`` /
    ``datasets=``) are handled recursively.
    """
    cfg = copy.deepcopy(dict(dataset_cfg))
    if isinstance(cfg.get('dataset'), dict):
        cfg['dataset'] = loading_only(cfg['dataset'])
    elif isinstance(cfg.get('datasets'), (list, tuple)):
        cfg['datasets'] = [loading_only(d) for d in cfg['datasets']]
    else:
        cfg['pipeline'] = []
    if 'skip_bad_images' in cfg:
        cfg['skip_bad_images'] = False
    if _type_name(cfg) == 'CachedCustomDataset':
        cfg['type'] = 'CustomDataset'
        for key in _CACHE_ONLY_KEYS:
            cfg.pop(key, None)
    elif cfg.get('cache_steps') is not None:  # an in-memory dataset's cache (FashionMNIST...)
        cfg['cache_steps'] = None
    return cfg


def dataset_paths(dataset: Any) -> List[str]:
    """The image paths a built dataset lists, each once, in dataset order.

    Raises:
        ValueError: the dataset keeps its images in memory (CIFAR10, MNIST, FashionMNIST...):
            there are no image files; its data files were read and checked when it was built.
    """
    seen = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        if 'img_path' not in info:
            raise ValueError(f'{type(dataset).__name__} keeps its {len(dataset)} images in '
                             'memory, read from its data files when it was built (a truncated '
                             'or damaged file fails there, naming it): there are no image '
                             'files to verify.')
        seen.setdefault(info['img_path'], None)
    return list(seen)


_WORKER_LOADER: Optional[Callable] = None


def _init_worker(load_cfg: dict) -> None:
    global _WORKER_LOADER
    _WORKER_LOADER = TRANSFORMS.build(copy.deepcopy(load_cfg))


def _check(path: str) -> Optional[BrokenFile]:
    """None when ``path`` loads with the worker's loader, else why not."""
    try:
        if _WORKER_LOADER(dict(img_path=path)) is None:  # ignore_empty=True in the config
            return BrokenFile(path, 'the loader skipped it (ignore_empty=True)')
        return None
    except Exception as exc:  # noqa: BLE001 - every failure of a file is reported
        return BrokenFile(path, f'{type(exc).__name__}: {" ".join(str(exc).split())}')


def _results(paths: List[str], load_cfg: dict, num_process: int) -> Iterator:
    if num_process == 1:
        _init_worker(load_cfg)
        yield from map(_check, paths)
        return
    chunk = max(1, min(64, len(paths) // (num_process * 8) or 1))
    with get_context().Pool(num_process, _init_worker, (load_cfg, )) as pool:
        yield from pool.imap(_check, paths, chunksize=chunk)


def verify_images(paths: List[str], load_cfg: dict, num_process: int = 1,
                  log: Callable[[str], None] = print) -> List[BrokenFile]:
    """Load every image of ``paths``; return the ones that fail, in ``paths`` order.

    Args:
        paths: image files (as :func:`dataset_paths` lists them).
        load_cfg: the loading transform's config (:func:`loading_step`).
        num_process: worker processes (1: in this process).
        log: where the progress lines go (one every :data:`PROGRESS_EVERY_S` seconds).

    Raises:
        ValueError: ``num_process`` is not a positive int.
    """
    if not isinstance(num_process, int) or num_process < 1:
        raise ValueError(f'--num-process must be a positive int; got {num_process!r}.')
    TRANSFORMS.build(copy.deepcopy(load_cfg))  # a bad loader config fails here, once
    broken: List[BrokenFile] = []
    start = last = time.monotonic()
    for done, result in enumerate(_results(paths, load_cfg, num_process), start=1):
        if result is not None:
            broken.append(result)
        now = time.monotonic()
        if now - last >= PROGRESS_EVERY_S:
            last = now
            log(f'checked {done}/{len(paths)} images, {len(broken)} broken '
                f'({now - start:.0f} s)')
    return broken


def build_listing(dataset_cfg: dict) -> Any:
    """The dataset of ``dataset_cfg`` built by :func:`loading_only` (lists, loads nothing)."""
    return DATASETS.build(loading_only(dataset_cfg))


__all__ = ['BrokenFile', 'build_listing', 'dataset_paths', 'loading_only', 'loading_step',
           'verify_images']
