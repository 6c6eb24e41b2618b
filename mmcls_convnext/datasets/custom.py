"""CustomDataset: folder-per-class trees or ``path label`` lists, with opt-in bad-image skipping."""
import inspect
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import torch
from mmengine.logging import MMLogger

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, merge_classes
from .errors import DataConfigError, DatasetArgumentError
from .scan import (
    IMG_EXTENSIONS,
    normalize_extensions,
    read_annotation_file,
    scan_class_folders,
    scan_unlabeled,
)
from .transforms.loading import ImageDecodeError

BAD_IMAGE_ERRORS = (FileNotFoundError, ImageDecodeError)


class TooManyBadImagesError(RuntimeError):
    """More than ``max_bad_fraction`` of a dataset failed to load."""


def _refuse_unknown_arguments(cls: type, kwargs: dict) -> None:
    """A :class:`DatasetArgumentError` naming the dataset type and the arguments neither it nor
    mmengine's ``BaseDataset`` takes (instead of ``BaseDataset.__init__() got an unexpected
    keyword argument``, which names neither the type the config built nor the way out)."""
    taken = set(inspect.signature(BaseDataset.__init__).parameters) - {'self'}
    unknown = sorted(set(kwargs) - taken)
    if not unknown:
        return
    hint = ''
    if 'split' in unknown:
        hint = (" `split` belongs to the datasets of a published layout (ImageNet, CIFAR10, "
                "CUB, VOC...); a class-folder / annotation-file dataset takes "
                "data_prefix='train' (and ann_file) instead.")
    own = set(inspect.signature(cls.__init__).parameters) - {'self', 'kwargs'}
    raise DatasetArgumentError(
        f'{cls.__name__} got argument(s) it does not take: {", ".join(unknown)}.{hint} It '
        f'takes: {", ".join(sorted(own | taken))}.')


@DATASETS.register_module()
class CustomDataset(BaseDataset):
    """An image-classification dataset from class folders or an annotation file.

    Without ``ann_file``, ``data_root/data_prefix`` holds one folder per class (sorted folder
    names give the class indices); images in nested sub-folders count for their class folder;
    files whose extension is not in ``extensions`` (``.DS_Store``, ``.txt``...) and hidden
    entries are ignored; an empty class folder is an error. With ``ann_file`` (relative to
    ``data_root``), each line is ``<path relative to data_prefix> <label>``.

    Args:
        data_root: root joined to ``data_prefix`` and ``ann_file`` when they are relative.
        data_prefix: image folder, a string or ``dict(img_path=...)``.
        ann_file: annotation file; '' scans folders.
        classes: class names (a sequence, or a text file with one per line: a path as given,
            else relative to ``data_root``). With class folders, folders named after classes
            map by name (val may lack a class); otherwise sorted folders map by position.
            With an annotation file and no ``classes``, the dataset has no class names
            (``CLASSES`` is None) and labels are plain indices.
        extensions: accepted image extensions (case-insensitive). A class folder without
            such images is a warning (its class keeps its index); no image at all is an error.
        with_label: False for unlabeled data (test sets).
        metainfo: meta information; its ``classes`` takes precedence over ``classes``.
        pipeline: transforms, as configs (built in our registry) or callables.
        test_mode: evaluation mode (no random refetch).
        lazy_init: defer listing the samples until first use.
        skip_bad_images: if True, a missing/corrupt/truncated/non-image file is logged once,
            counted and replaced by another sample instead of stopping the run.
        max_bad_fraction: with ``skip_bad_images``, fail once more than this fraction of the
            dataset turned out bad.
        allow_paths_outside_root: annotation-file paths that are absolute or climb out of the
            image folder with ``..`` (e.g. ``../../etc/passwd``) are refused by default
            (:class:`DataConfigError` naming the file and the path); True reads them.
        **kwargs: other arguments of mmengine's ``BaseDataset`` (``indices``,
            ``serialize_data``, ``max_refetch``, ``filter_cfg``).
    """

    def __init__(self, data_root: str = '', data_prefix: Union[str, dict] = '',
                 ann_file: str = '', classes: Union[str, Sequence[str], None] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS, with_label: bool = True,
                 metainfo: Optional[dict] = None, pipeline: Sequence[Union[dict, Callable]] = (),
                 test_mode: bool = False, lazy_init: bool = False,
                 skip_bad_images: bool = False, max_bad_fraction: float = 0.01,
                 allow_paths_outside_root: bool = False, **kwargs) -> None:
        _refuse_unknown_arguments(type(self), kwargs)
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        elif not (isinstance(data_prefix, dict) and set(data_prefix) == {'img_path'}):
            raise TypeError(f'data_prefix must be a string or dict(img_path=...); got '
                            f'{data_prefix!r}.')
        if not isinstance(allow_paths_outside_root, bool):
            raise TypeError(f'allow_paths_outside_root must be True or False; got '
                            f'{allow_paths_outside_root!r}.')
        self.allow_paths_outside_root = allow_paths_outside_root
        if not 0. <= max_bad_fraction <= 1.:
            raise ValueError(f'max_bad_fraction must be in [0, 1]; got {max_bad_fraction!r}.')
        if not isinstance(ann_file, str):
            raise TypeError(f'ann_file must be a path string (expected str, got '
                            f'{type(ann_file).__name__}: {ann_file!r}).')
        metainfo = merge_classes(metainfo, classes, data_root)
        self.extensions = normalize_extensions(extensions)
        self.with_label = with_label
        self.skip_bad_images = skip_bad_images
        self.max_bad_fraction = float(max_bad_fraction)
        self._bad_flags: Optional[torch.Tensor] = None
        super().__init__(ann_file=ann_file, metainfo=metainfo, data_root=data_root,
                         data_prefix=data_prefix, pipeline=pipeline, test_mode=test_mode,
                         lazy_init=lazy_init, **kwargs)

    @property
    def img_prefix(self) -> str:
        """The image folder, joined with ``data_root`` (no trailing separator)."""
        prefix = self.data_prefix['img_path']
        return prefix.rstrip('/\\') or prefix

    def _check_inside_root(self, samples: List) -> None:
        for path, _ in samples:
            norm = osp.normpath(path)
            if osp.isabs(path) or norm == '..' or norm.startswith('..' + osp.sep):
                raise DataConfigError(
                    f'Annotation file "{self.ann_file}" lists {path!r}, which is outside the image '
                    f'folder "{self.img_prefix}" (absolute or climbing out with ..). Make the '
                    'paths relative to data_root / data_prefix, or pass '
                    'allow_paths_outside_root=True to the dataset if that is intended.')

    def load_data_list(self) -> List[dict]:
        """List the samples as dicts with ``img_path`` (and ``gt_label``)."""
        classes = self._metainfo.get('classes')
        if self.ann_file:
            samples = read_annotation_file(self.ann_file, self.with_label)
            if not self.allow_paths_outside_root:
                self._check_inside_root(samples)
            labels = [lab for _, lab in samples if lab is not None]
            if self.with_label and classes is not None and max(labels) >= len(classes):
                raise ValueError(f'"{self.ann_file}" has label {max(labels)} but only '
                                 f'{len(classes)} classes are defined.')
        elif self.with_label:
            samples, classes = scan_class_folders(self.img_prefix, self.extensions, classes)
        else:
            samples = scan_unlabeled(self.img_prefix, self.extensions)
        if classes is not None:
            self._metainfo['classes'] = tuple(classes)
        data_list = []
        for path, label in samples:
            info = dict(img_path=osp.join(self.img_prefix, path))
            if label is not None:
                info['gt_label'] = label
            data_list.append(info)
        return data_list

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        super().full_init()
        if self.skip_bad_images:
            # One flag per sample in shared memory, so dataloader workers agree on the count.
            self._bad_flags = torch.zeros(len(self), dtype=torch.uint8).share_memory_()

    # ---------------------------------------------------------------- bad images
    @property
    def num_bad_images(self) -> int:
        """How many distinct samples failed to load so far (all workers)."""
        return 0 if self._bad_flags is None else int(self._bad_flags.sum())

    def bad_image_summary(self) -> str:
        """One line for the log: how many samples were skipped, of how many."""
        return (f'{self.num_bad_images} of {len(self)} images in {self.img_prefix} could not be '
                'loaded and were skipped.')

    def _record_bad(self, idx: int, err: Exception) -> None:
        assert self._bad_flags is not None
        first_time = not bool(self._bad_flags[idx])
        self._bad_flags[idx] = 1
        count = self.num_bad_images
        if first_time:
            MMLogger.get_current_instance().warning(
                f'Skipping bad image ({count} so far): {err}')
        if count > self.max_bad_fraction * len(self):
            raise TooManyBadImagesError(
                f'{count} of {len(self)} images ({100 * count / len(self):.2f}%) in '
                f'{self.img_prefix} could not be loaded, more than max_bad_fraction='
                f'{self.max_bad_fraction}. Last error: {err}. Fix the files or raise '
                'max_bad_fraction.')

    def prepare_data(self, idx: int) -> Optional[dict]:
        data_info = self.get_data_info(idx)
        try:
            return self.pipeline(data_info)
        except BAD_IMAGE_ERRORS as err:
            if not self.skip_bad_images:
                raise
            self._record_bad(idx, err)
            return None

    def __getitem__(self, idx: int) -> dict:
        if not self._fully_initialized:
            self.full_init()
        for _ in range(self.max_refetch + 1):
            data = self.prepare_data(idx)
            if data is not None:
                return data
            # Training draws another sample; evaluation takes the next one, deterministically.
            idx = (idx + 1) % len(self) if self.test_mode else self._rand_another()
        raise TooManyBadImagesError(f'No loadable image after {self.max_refetch + 1} attempts in '
                                    f'{self.img_prefix}.')
