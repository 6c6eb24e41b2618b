"""``MultiTaskDataset``: one image, a label per task, from an OpenMMLab 2.0 json file."""
import copy
import os.path as osp
from typing import Any, List, Optional, Sequence

import mmengine
from mmcv.transforms import Compose
from mmengine.fileio import join_path

from mmcls_convnext.registry import DATASETS

from .base_dataset import build_pipeline, expanduser
from .errors import DatasetError, DatasetFormatError


@DATASETS.register_module()
class MultiTaskDataset:
    """MMPretrain's multi-task dataset: ``gt_label`` is a dict ``{task: label}``.

    The annotation file (json/yaml/pickle that mmengine loads; a pickle is refused here, see
    below) looks like::

        {"metainfo": {"tasks": ["gender", "wear"]},
         "data_list": [{"img_path": "a.jpg", "gt_label": {"gender": 0, "wear": [1, 0, 1]}},
                       {"img_path": "b.jpg", "gt_label": {"gender": 1}}, ...]}

    A sample may leave tasks out (those tasks are then not trained on it).

    Args:
        ann_file: the annotation file, relative to ``data_root`` unless absolute (``.json``
            or ``.yaml``; pickles are not read, since unpickling can run code).
        metainfo: overrides of the file's ``metainfo``.
        data_root: root joined to ``ann_file`` and the image paths.
        data_prefix: folder (under ``data_root``) of the image paths.
        test_mode: evaluation mode.
        pipeline: transforms, as configs or callables.
        backend_args: unused here, accepted for MMPretrain configs.
    """

    METAINFO: dict = dict()

    def __init__(self, ann_file: str, metainfo: Optional[dict] = None, data_root: str = '',
                 data_prefix: str = '', test_mode: bool = False, pipeline: Sequence = (),
                 backend_args: Optional[dict] = None) -> None:
        if not isinstance(ann_file, str) or not ann_file:
            raise DatasetError(f'MultiTaskDataset needs ann_file, a json file; got {ann_file!r}.')
        if metainfo is not None and not isinstance(metainfo, dict):
            raise DatasetError(f'metainfo must be a dict or None; got {type(metainfo)}.')
        self.data_root = expanduser(data_root)
        self.data_prefix = expanduser(data_prefix)
        self.test_mode = test_mode
        self.backend_args = backend_args
        self.ann_file = self._join_root(expanduser(ann_file))
        self.pipeline = Compose(build_pipeline(pipeline))
        self._metainfo = self._get_meta_info(metainfo)
        self.data_list = self.load_data_list(self.ann_file, metainfo)

    def _join_root(self, path: str) -> str:
        if not self.data_root or osp.isabs(path) or '://' in path:
            return path
        return join_path(self.data_root, path)

    @classmethod
    def _get_meta_info(cls, in_metainfo: Optional[dict] = None) -> dict:
        metainfo = copy.deepcopy(cls.METAINFO)
        metainfo.update(in_metainfo or {})
        return metainfo

    @property
    def metainfo(self) -> dict:
        """A copy of the meta information (``tasks``...)."""
        return copy.deepcopy(self._metainfo)

    def load_data_list(self, ann_file: str,
                       metainfo_override: Optional[dict] = None) -> List[dict]:
        """Read ``ann_file``: its ``metainfo`` (updated by ``metainfo_override``) and samples."""
        if ann_file.endswith(('.pkl', '.pickle')):
            raise DatasetError(f'MultiTaskDataset: {ann_file} is a pickle, which is not read '
                               '(unpickling can run code); write the annotations as json.')
        if '://' not in ann_file and not osp.isfile(ann_file):
            raise FileNotFoundError(f'MultiTaskDataset: annotation file {ann_file} does not '
                                    'exist.')
        try:
            annotations = mmengine.load(ann_file)
        except Exception as exc:  # noqa: BLE001 - json/yaml parsers raise many kinds
            raise DatasetError(f'MultiTaskDataset: cannot read {ann_file}: '
                               f'{type(exc).__name__}: {str(exc)[:120]}.') from None
        if not isinstance(annotations, dict):
            raise DatasetError(f'The annotations loaded from {ann_file} should be a dict, but '
                               f'got {type(annotations)}!')
        if 'data_list' not in annotations:
            raise DatasetError(f'The annotation file {ann_file} must have the `data_list` '
                               'field.')
        metainfo = annotations.get('metainfo', {})
        if not isinstance(metainfo, dict):
            raise DatasetError(f'The `metainfo` of {ann_file} must be a dict, but got '
                               f'{type(metainfo)}.')
        metainfo = dict(metainfo, **(metainfo_override or {}))
        self._metainfo = self._get_meta_info(metainfo)
        data_list = []
        for i, raw in enumerate(annotations['data_list']):
            try:
                data_list.append(self.parse_data_info(raw))
            except DatasetFormatError as exc:
                raise DatasetFormatError(f'{ann_file}: item {i} of data_list: {exc}') from None
        return data_list

    def parse_data_info(self, raw_data: dict) -> dict:
        """One sample: ``img_path`` joined to the root and prefix, and its ``gt_label`` dict."""
        if not isinstance(raw_data, dict):
            raise DatasetFormatError(f'The item should be a dict, but got {type(raw_data)}.')
        if 'img_path' not in raw_data:
            raise DatasetFormatError("The item doesn't have `img_path` field.")
        img_path = raw_data['img_path']
        if self.data_prefix:
            img_path = join_path(self.data_prefix, img_path)
        return dict(img_path=self._join_root(img_path), gt_label=raw_data.get('gt_label'))

    def prepare_data(self, idx: int) -> Any:
        return self.pipeline(copy.deepcopy(self.data_list[idx]))

    def __len__(self) -> int:
        return len(self.data_list)

    def __getitem__(self, idx: int) -> Any:
        return self.prepare_data(idx)

    def __repr__(self) -> str:
        body = [f'Number of samples: \t{len(self)}']
        if self.data_root:
            body.append(f'Root location: \t{self.data_root}')
        body.append(f'Annotation file: \t{self.ann_file}')
        if self.data_prefix:
            body.append(f'Prefix of images: \t{self.data_prefix}')
        tasks = self._metainfo.get('tasks', [])
        body.append(f'For {len(tasks)} tasks')
        body.extend(f' {task} ' for task in tasks)
        if self.pipeline.transforms:
            body.append('With transforms:')
            body.extend(f'    {t}' for t in self.pipeline.transforms)
        return '\n'.join([f'Dataset {type(self).__name__}'] + ['    ' + line for line in body])
