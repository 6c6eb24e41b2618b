"""A small dataset's decoded images kept in memory (opt-in, bounded): ``CachedCustomDataset``,
and ``cache_steps=`` of the in-memory datasets (MNIST, FashionMNIST, CIFAR10, CIFAR100).

Decoding a PNG/JPEG and resizing it is the same work every epoch. For a dataset that fits in
memory (Fashion-MNIST at 32 px: 60,000 images, 184 MB) this dataset runs the deterministic head
of the pipeline (``LoadImageFromFile``, ``Resize``, ...) once per image when it is built, keeps
the resulting uint8 arrays in one flat buffer, and runs only the rest of the pipeline (the random
augmentations and ``PackInputs``) per sample. Without file reads and decoding, loading costs so
little that it can run in the training process itself (``num_workers=0``), leaving every core
to the model instead of splitting them between loader workers and compute threads.
"""
import copy
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmcv.transforms import Compose
from mmengine.logging import MMLogger

from mmcls_convnext.registry import DATASETS

from .custom import BAD_IMAGE_ERRORS, CustomDataset

#: transforms whose output depends only on the image: they may run once, before caching.
DETERMINISTIC_TRANSFORMS = ('LoadImageFromFile', 'LoadImageFromNDArray', 'Resize', 'ResizeEdge',
                            'CenterCrop')
_RANDOM_NAMES = ('Random', 'RandAugment', 'AutoAugment', 'ColorJitter', 'Mixup', 'CutMix')
_SHAPE_KEYS = ('img', 'img_shape', 'ori_shape')
_PROGRESS_EVERY_S = 10.0


def _name(transform: Any) -> str:
    return type(transform).__name__


def _split_point(transforms: Sequence[Any], cache_steps: Union[int, str],
                 owner: str = 'CachedCustomDataset') -> int:
    """How many leading transforms run once at caching time (validated)."""
    names = [_name(t) for t in transforms]
    if cache_steps == 'auto':
        count = 0
        while count < len(names) and names[count] in DETERMINISTIC_TRANSFORMS:
            count += 1
        if count == 0:
            raise ValueError(f'{owner}: the pipeline {names} does not start with '
                             f'one of {DETERMINISTIC_TRANSFORMS}, so there is nothing to cache; '
                             'put the image loader first or leave the cache off.')
        return count
    if not isinstance(cache_steps, int) or isinstance(cache_steps, bool):
        raise TypeError(f"cache_steps must be 'auto' or an int; got {cache_steps!r}.")
    if not 1 <= cache_steps <= len(names):
        raise ValueError(f'cache_steps={cache_steps} is out of range for the {len(names)}-step '
                         f'pipeline {names}; use 1..{len(names)} or "auto".')
    random = [n for n in names[:cache_steps] if n.startswith(_RANDOM_NAMES)]
    if random:
        raise ValueError(f'cache_steps={cache_steps} would cache the random transform(s) '
                         f'{random}: every epoch would see the same draw. Cache only the '
                         f'deterministic head of {names}, e.g. cache_steps="auto".')
    return cache_steps


class DecodedCacheMixin:
    """The decoded-image cache, for a dataset class listed before its base dataset class.

    The head of the pipeline (``cache_steps`` transforms) runs once per image while the dataset
    is built (logged, with the memory used); every ``__getitem__`` copies the cached uint8
    image (so transforms that work in place cannot change the cache) and runs the remaining
    transforms. ``cache_steps=None`` leaves the cache off (plain behaviour).
    """

    cache_steps: Union[int, str, None] = None

    def _init_cache(self, cache_steps: Union[int, str, None], max_cache_bytes: int) -> None:
        """Validate and keep the cache arguments (call before the base ``__init__``)."""
        if not isinstance(max_cache_bytes, int) or max_cache_bytes <= 0:
            raise ValueError(f'max_cache_bytes must be a positive int (bytes); got '
                             f'{max_cache_bytes!r}.')
        self.cache_steps = cache_steps
        self.max_cache_bytes = max_cache_bytes
        self._buffer: Optional[np.ndarray] = None

    @property
    def _cache_on(self) -> bool:
        return self.cache_steps is not None

    def _cache_name(self) -> str:
        """Where the images come from, for the log and the error messages."""
        prefix = self.data_prefix.get('img_path') or self.data_prefix.get('root') or \
            self.data_root
        prefix = prefix.rstrip('/\\') or prefix
        return f'{type(self).__name__} {prefix}'.rstrip()

    def _split_pipeline(self) -> None:
        if self._cache_on and not hasattr(self, '_head'):
            transforms = list(self.pipeline.transforms)
            split = _split_point(transforms, self.cache_steps, type(self).__name__)
            self._head, self._tail = Compose(transforms[:split]), Compose(transforms[split:])

    # ---------------------------------------------------------------- filling
    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        if self._cache_on:
            self._split_pipeline()  # before any decoding: a bad cache_steps fails at once
            self._fill_cache()

    def _fill_cache(self) -> None:
        logger = MMLogger.get_current_instance()
        count = len(self)
        self._offsets = np.full(count + 1, 0, dtype=np.int64)
        self._shapes = np.zeros((count, 3), dtype=np.int32)  # (H, W, C); C=0: 2-D image
        self._ori_shapes = np.zeros((count, 2), dtype=np.int32)
        self._bad = np.zeros(count, dtype=bool)
        extras: List[Dict[str, Any]] = []
        buffer = np.empty(0, dtype=np.uint8)
        start = last_report = time.perf_counter()
        for idx in range(count):
            info_keys, results = self._run_head(idx)
            if results is None:
                self._bad[idx] = True
                self._offsets[idx + 1] = self._offsets[idx]
                extras.append({})
                continue
            img = np.ascontiguousarray(results['img'])
            if img.dtype != np.uint8:
                raise TypeError(f'{type(self).__name__} caches uint8 images; step '
                                f'{_name(self._head.transforms[-1])} produced {img.dtype} for '
                                f'"{results.get("img_path")}". Cache fewer steps.')
            end = int(self._offsets[idx]) + img.nbytes
            if idx == 0:
                self._check_budget(img.nbytes * count, count, estimated=True)
                buffer = np.empty(int(img.nbytes * count * 1.05) + 1, dtype=np.uint8)
            if end > buffer.size:
                self._check_budget(end, idx + 1, estimated=False)
                grown = np.empty(min(max(end, 2 * buffer.size), self.max_cache_bytes),
                                 dtype=np.uint8)
                grown[:self._offsets[idx]] = buffer[:self._offsets[idx]]
                buffer = grown
            buffer[self._offsets[idx]:end] = img.reshape(-1)
            self._offsets[idx + 1] = end
            self._shapes[idx, :img.ndim] = img.shape
            self._ori_shapes[idx] = results.get('ori_shape', img.shape[:2])
            extras.append({k: v for k, v in results.items()
                           if k not in _SHAPE_KEYS and k not in info_keys})
            now = time.perf_counter()
            if now - last_report > _PROGRESS_EVERY_S:
                logger.info(f'Decoded-image cache of {self._cache_name()}: {idx + 1}/{count} '
                            f'images ({now - start:.0f} s)')
                last_report = now
        self._buffer = buffer[:self._offsets[-1]]
        self._buffer.flags.writeable = False
        self._extras = self._compact(extras)
        # fixed-size data: one (N, H, W[, C]) view; one shared ori_shape when all are equal
        self._images: Optional[np.ndarray] = None
        self._ori_shape: Optional[Tuple[int, int]] = None
        if count and not self._bad.any() and (self._shapes == self._shapes[0]).all():
            shape = tuple(int(s) for s in self._shapes[0] if s)
            self._images = self._buffer.reshape((count,) + shape)
        if count and (self._ori_shapes == self._ori_shapes[0]).all():
            self._ori_shape = tuple(int(v) for v in self._ori_shapes[0])
        tail = [_name(t) for t in self._tail.transforms]
        logger.info(f'Decoded-image cache of {self._cache_name()}: {count - int(self._bad.sum())} '
                    f'images, {self._buffer.nbytes / 2**20:.1f} MiB in memory, filled in '
                    f'{time.perf_counter() - start:.1f} s; per sample only {tail} run.')

    def _run_head(self, idx: int) -> Tuple[set, Optional[dict]]:
        """The data-info keys of sample ``idx`` and its results after the cached steps."""
        info = self.get_data_info(idx)
        keys = set(info)
        try:
            return keys, self._head(info)
        except BAD_IMAGE_ERRORS as err:
            if not getattr(self, 'skip_bad_images', False):
                raise
            self._record_bad(idx, err)
            return keys, None

    def _check_budget(self, needed: int, images: int, estimated: bool) -> None:
        if needed <= self.max_cache_bytes:
            return
        how = (f'about {needed / 2**30:.2f} GiB for {images} images (estimated from the first '
               'image)' if estimated else f'{needed / 2**30:.2f} GiB for the first {images} '
               'images')
        raise ValueError(f'The decoded-image cache of {self._cache_name()}: the images need '
                         f'{how}, more than max_cache_bytes={self.max_cache_bytes} '
                         f'({self.max_cache_bytes / 2**30:.2f} GiB). Raise max_cache_bytes or '
                         'use CustomDataset (cache_steps=None for the in-memory datasets) to '
                         'leave the cache off.')

    @staticmethod
    def _compact(extras: List[Dict[str, Any]]) -> Union[Dict[str, Any], List[Dict[str, Any]]]:
        """One shared dict when every sample's extra results are equal (fixed-size data)."""
        first = next((e for e in extras if e), {})
        try:
            same = all(not e or e == first for e in extras)
        except ValueError:  # numpy arrays compare element-wise
            same = False
        return first if same else extras

    # ---------------------------------------------------------------- fetching
    def cached_image(self, idx: int) -> np.ndarray:
        """A read-only view of the cached image of sample ``idx`` ((H, W[, C]) uint8)."""
        if self._buffer is None:
            self.full_init()
        if self._images is not None:
            return self._images[idx]
        if self._bad[idx]:
            raise IndexError(f'Sample {idx} of {self._cache_name()} could not be loaded when the '
                             'cache was filled (skip_bad_images=True).')
        shape = tuple(int(s) for s in self._shapes[idx] if s)
        return self._buffer[self._offsets[idx]:self._offsets[idx + 1]].reshape(shape)

    def _cached_results(self, idx: int) -> dict:
        results = self.get_data_info(idx)
        extras = self._extras if isinstance(self._extras, dict) else self._extras[idx]
        results.update(copy.copy(extras))
        img = self.cached_image(idx).copy()
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = (self._ori_shape if self._ori_shape is not None else
                                tuple(int(v) for v in self._ori_shapes[idx]))
        return results

    def prepare_data(self, idx: int) -> Optional[dict]:
        if not self._cache_on:
            return super().prepare_data(idx)
        if self._buffer is None:
            self.full_init()
        if self._images is None and self._bad[idx]:
            return None  # counted when the cache was filled; __getitem__ draws another
        return self._tail(self._cached_results(idx))

    @property
    def cache_nbytes(self) -> int:
        """Bytes of image data held in the cache."""
        return 0 if self._buffer is None else int(self._buffer.nbytes)

    def cache_summary(self) -> Tuple[int, int]:
        """``(cached images, bytes)``."""
        return int((~self._bad).sum()), self.cache_nbytes


@DATASETS.register_module()
class CachedCustomDataset(DecodedCacheMixin, CustomDataset):
    """:class:`CustomDataset` whose decoded images stay in memory (for small datasets).

    Same arguments and behaviour as :class:`CustomDataset`, plus the two below. The head of the
    pipeline (``cache_steps`` transforms) runs once per image while the dataset is built
    (logged, with the memory used); every ``__getitem__`` copies the cached uint8 image (so
    transforms that work in place cannot change the cache) and runs the remaining transforms.
    Unreadable images fail while the cache is filled, or with ``skip_bad_images=True`` are
    counted and skipped as usual.

    Args:
        cache_steps: how many leading pipeline steps to run once: ``'auto'`` takes the leading
            :data:`DETERMINISTIC_TRANSFORMS`; an int must not include a random transform.
        max_cache_bytes: upper bound of the cache memory (image bytes). Filling stops with a
            ``ValueError`` as soon as the estimate from the first image or the running total
            exceeds it (raise it, or use :class:`CustomDataset`). Default 2 GiB.
        **kwargs: the arguments of :class:`CustomDataset`.
    """

    def __init__(self, *args: Any, cache_steps: Union[int, str] = 'auto',
                 max_cache_bytes: int = 2 * 1024**3, **kwargs: Any) -> None:
        if cache_steps is None:
            raise TypeError("cache_steps must be 'auto' or an int; got None (use "
                            'CustomDataset for no cache).')
        self._init_cache(cache_steps, max_cache_bytes)
        super().__init__(*args, **kwargs)  # fills the cache unless lazy_init=True
        self._split_pipeline()  # validates cache_steps even when lazy

    def _cache_name(self) -> str:
        return self.img_prefix
