"""``BaseDataset``: MMPretrain's dataset base, on mmengine's :class:`mmengine.dataset.BaseDataset`.

What MMPretrain adds to mmengine's base, with its names: ``classes`` (a list, or a text file
with one name per line) merged into ``metainfo`` (``metainfo['classes']`` wins), the
``CLASSES`` / ``class_to_idx`` properties, ``get_gt_labels`` / ``get_cat_ids``, the
``img_prefix`` property, pipelines given as configs built in this package's ``TRANSFORMS``,
class names read from an OpenMMLab 2.0 annotation file's ``metainfo.categories``, and the
``repr`` that the logs show. Every dataset of this package derives from it.
"""
import copy
import io
import os.path as osp
from typing import Callable, Dict, List, Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset as _MMEngineBaseDataset
from mmengine.fileio import get, list_from_file
from mmengine.logging import MMLogger

from mmcls_convnext.registry import DATASETS, TRANSFORMS

from .errors import DataConfigError, DatasetError
from .scan import read_class_names


def expanduser(path):
    """``~`` expanded in a string path; anything else returned unchanged."""
    return osp.expanduser(path) if isinstance(path, str) else path


def class_names(classes, data_root: str = '') -> tuple:
    """Class names from a sequence, or a text file (the path as given, else under ``data_root``).

    Raises:
        DataConfigError: ``classes`` is neither (a ``ValueError`` naming its type), or the names
            are not unique strings.
    """
    if isinstance(classes, str):
        path = osp.expanduser(classes)
        if not osp.isfile(path) and data_root and not osp.isabs(path):
            path = osp.join(data_root, path)
        classes = read_class_names(path)
    elif not isinstance(classes, (list, tuple)):
        raise DataConfigError(f'Unsupported type {type(classes)} of classes: give a list of '
                              f'names or a text file with one name per line; got {classes!r}.')
    if not all(isinstance(c, str) for c in classes) or len(set(classes)) != len(classes):
        raise DataConfigError('classes must be unique strings; got '
                              f'{list(classes)[:10]}{"..." if len(classes) > 10 else ""}.')
    return tuple(classes)


def merge_classes(metainfo: Optional[dict], classes, data_root: str = '') -> dict:
    """A new metainfo dict: ``classes`` added unless ``metainfo`` has its own (inputs untouched)."""
    if metainfo is not None and not isinstance(metainfo, dict):
        raise DataConfigError(f'metainfo must be a dict or None; got {type(metainfo)}.')
    merged = dict(metainfo or {})
    if merged.get('classes') is None and classes is not None:
        merged['classes'] = classes
    if merged.get('classes') is not None:
        merged['classes'] = class_names(merged['classes'], data_root)
    return merged


def check_split(split: str, splits: Sequence[str], owner: str) -> None:
    """Raise ``DataConfigError`` (a ValueError and AssertionError) unless ``split`` is valid."""
    if split not in splits:
        raise DataConfigError(f"The split must be one of {list(splits)}, but get '{split}' "
                              f'({owner}).')


def warn_train_in_test_mode(split: str, test_mode: bool, name: str = 'training') -> None:
    """MMPretrain's warning when a training split is read in ``test_mode``."""
    if test_mode and split in ('train', 'trainval'):
        MMLogger.get_current_instance().warning(
            f'split="{split}" but test_mode=True. The {name} set will be used.')


def read_lines(path: str, owner: str, layout: str) -> List[str]:
    """The non-blank lines of a dataset's list file (any mmengine backend), stripped.

    Raises:
        FileNotFoundError: a local ``path`` is missing; the message gives the dataset's layout.
    """
    if '://' not in path and not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: {path} does not exist. Expected layout under '
                                f'data_root: {layout}.')
    return [line.strip() for line in list_from_file(path) if line.strip()]


def load_mat(path: str, owner: str, layout: str) -> dict:
    """A MATLAB (v5) annotation file read with ``mat4py``, as MMPretrain does.

    Raises:
        FileNotFoundError: the file is missing (with the dataset's layout).
        DatasetError: truncated or not a MATLAB v5 file; one line naming it.
    """
    try:
        import mat4py
    except ImportError:
        raise ImportError(f'{owner} reads its .mat annotations with mat4py: pip install '
                          'mat4py') from None
    if '://' not in path and not osp.isfile(path):
        raise FileNotFoundError(f'{owner}: {path} does not exist. Expected layout under '
                                f'data_root: {layout}.')
    try:
        return mat4py.loadmat(io.BytesIO(get(path)))
    except Exception as exc:  # noqa: BLE001 - mat4py fails in many ways on a bad file
        raise DatasetError(f'{owner}: cannot read {path} as a MATLAB .mat file '
                           f'({type(exc).__name__}: {str(exc)[:100]}); it is truncated or not '
                           f'the published annotation file, download it again.') from None


def mat_field(data: dict, key: str, path: str, owner: str):
    """``data[key]`` of a loaded .mat file, or one line naming the file and the keys it has."""
    if not isinstance(data, dict) or key not in data:
        keys = sorted(data)[:8] if isinstance(data, dict) else type(data).__name__
        raise DatasetError(f'{owner}: {path} has no "{key}" (found {keys}); it is not the '
                           'published annotation file.')
    return data[key]


def mat_list(data: dict, key: str, path: str, owner: str) -> list:
    """:func:`mat_field` as a list (mat4py gives a one-element array as a bare value)."""
    value = mat_field(data, key, path, owner)
    return value if isinstance(value, list) else [value]


def build_pipeline(pipeline: Sequence[Union[dict, Callable]]) -> list:
    """Transforms from configs (built in this package's ``TRANSFORMS``) or callables."""
    return [TRANSFORMS.build(copy.deepcopy(t)) if isinstance(t, dict) else t for t in pipeline]


@DATASETS.register_module()
class BaseDataset(_MMEngineBaseDataset):
    """MMPretrain's base dataset: an OpenMMLab 2.0 annotation file plus class-name handling.

    Args:
        ann_file: annotation file (OpenMMLab 2.0 json: ``metainfo`` + ``data_list``), relative
            to ``data_root`` unless absolute.
        metainfo: meta information; its ``classes`` takes precedence over ``classes``.
        data_root: root joined to ``ann_file`` and ``data_prefix`` when they are relative.
        data_prefix: image folder, a string or a dict (``img_path`` for images).
        filter_cfg, indices, serialize_data, max_refetch: as mmengine's ``BaseDataset``.
        pipeline: transforms, as configs or callables.
        test_mode: evaluation mode.
        lazy_init: defer loading the annotations until first use.
        classes: class names: a sequence, or a text file with one name per line.
    """

    def __init__(self, ann_file: str = '', metainfo: Optional[dict] = None,
                 data_root: str = '', data_prefix: Union[str, dict] = '',
                 filter_cfg: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True, pipeline: Sequence = (),
                 test_mode: bool = False, lazy_init: bool = False, max_refetch: int = 1000,
                 classes: Union[str, Sequence[str], None] = None) -> None:
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=expanduser(data_prefix))
        elif isinstance(data_prefix, dict):
            data_prefix = {k: expanduser(v) for k, v in data_prefix.items()}
        else:
            raise DataConfigError(f'data_prefix must be a string or a dict like '
                                  f'dict(img_path=...); got {data_prefix!r}.')
        metainfo = merge_classes(metainfo, classes, expanduser(data_root))
        super().__init__(ann_file=expanduser(ann_file), metainfo=metainfo,
                         data_root=expanduser(data_root), data_prefix=data_prefix,
                         filter_cfg=filter_cfg, indices=indices, serialize_data=serialize_data,
                         pipeline=build_pipeline(pipeline), test_mode=test_mode,
                         lazy_init=lazy_init, max_refetch=max_refetch)

    @property
    def img_prefix(self) -> str:
        """The image folder (``data_prefix['img_path']``, joined with ``data_root``)."""
        return self.data_prefix['img_path']

    @property
    def CLASSES(self) -> Optional[tuple]:  # noqa: N802 - the name MMPretrain users know
        """The class names, or None when the dataset has none."""
        return self._metainfo.get('classes', None)

    @property
    def class_to_idx(self) -> Dict[str, int]:
        """``{class name: index}``."""
        if self.CLASSES is None:
            raise ValueError(f'{type(self).__name__} has no class names; pass classes=[...] '
                             '(or a text file with one name per line) to name them.')
        return {name: i for i, name in enumerate(self.CLASSES)}

    def get_gt_labels(self) -> np.ndarray:
        """The ground-truth label of every sample, shape (N, )."""
        return np.array([self.get_data_info(i)['gt_label'] for i in range(len(self))])

    def get_cat_ids(self, idx: int) -> List[int]:
        """The category ids of sample ``idx`` (one for single-label data)."""
        return [int(self.get_data_info(idx)['gt_label'])]

    def full_init(self) -> None:
        """Load the annotations; class names come from ``metainfo.categories`` if not given."""
        if self._fully_initialized:
            return
        super().full_init()
        if 'categories' in self._metainfo and 'classes' not in self._metainfo:
            categories = sorted(self._metainfo['categories'], key=lambda c: c['id'])
            self._metainfo['classes'] = tuple(c['category_name'] for c in categories)

    def __repr__(self) -> str:
        body = [f'Number of samples: \t{len(self)}' if self._fully_initialized
                else "Haven't been initialized"]
        if self.CLASSES is not None:
            body.append(f'Number of categories: \t{len(self.CLASSES)}')
        body.extend(self.extra_repr())
        if self.pipeline.transforms:
            body.append('With transforms:')
            body.extend(f'    {t}' for t in self.pipeline.transforms)
        return '\n'.join([f'Dataset {type(self).__name__}'] + ['    ' + line for line in body])

    def extra_repr(self) -> List[str]:
        """Lines about where the data is, for :meth:`__repr__`."""
        return [f'Annotation file: \t{self.ann_file}', f'Prefix of images: \t{self.img_prefix}']
