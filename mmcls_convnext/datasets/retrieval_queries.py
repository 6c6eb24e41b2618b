"""``RetrievalQueryDataset``: retrieval queries whose relevant gallery items share their class.

A folder-based retrieval benchmark (``query/<class>/*.jpg`` and ``gallery/<class>/*.jpg``,
two :class:`CustomDataset` s) becomes what the retrieval metrics read: each query's
``gt_label`` is the list of indices of the gallery images of its class (the Recall@K protocol of
CUB-200, Cars-196 and Stanford Online Products).
"""
import copy
from typing import Any, List, Union

import numpy as np
from torch.utils.data import Dataset

from mmcls_convnext.registry import DATASETS

from .errors import DataConfigError, DatasetMismatchError


def _build(cfg: Union[dict, Any], role: str):
    if isinstance(cfg, dict):
        return DATASETS.build(copy.deepcopy(cfg))
    if not hasattr(cfg, 'get_data_info'):
        raise DataConfigError(f'RetrievalQueryDataset {role} must be a dataset config or a '
                              f'dataset with get_data_info(); got {type(cfg).__name__}.')
    return cfg


@DATASETS.register_module()
class RetrievalQueryDataset(Dataset):
    """Queries of ``query`` with ``gt_label`` = the ``gallery`` indices of the same class.

    Args:
        query: the query dataset (config or object) whose samples have a class ``gt_label``;
            its pipeline prepares the query images.
        gallery: the gallery dataset (config or object) with the same class names; only its
            labels are read here (the retriever's ``prototype`` loader embeds its images).

    Raises:
        DatasetMismatchError: the two datasets name different classes, or a query class has
            no gallery image (Recall@K of such a query is undefined).
    """

    def __init__(self, query: Union[dict, Any], gallery: Union[dict, Any]) -> None:
        self.query = _build(query, 'query')
        self.gallery = _build(gallery, 'gallery')
        q_classes = (self.query.metainfo or {}).get('classes')
        g_classes = (self.gallery.metainfo or {}).get('classes')
        if q_classes is not None and g_classes is not None and \
                list(q_classes) != list(g_classes):
            raise DatasetMismatchError(f'RetrievalQueryDataset: the query classes '
                                       f'{list(q_classes)[:5]}... differ from the gallery classes '
                                       f'{list(g_classes)[:5]}...; both folders must hold the '
                                       f'same class subfolders.')
        gallery_labels = np.array([int(np.asarray(self.gallery.get_data_info(i)['gt_label']))
                                   for i in range(len(self.gallery))])
        self._relevant: List[np.ndarray] = []
        for i in range(len(self.query)):
            label = int(np.asarray(self.query.get_data_info(i)['gt_label']))
            relevant = np.flatnonzero(gallery_labels == label)
            if relevant.size == 0:
                name = q_classes[label] if q_classes is not None else label
                raise DatasetMismatchError(f'RetrievalQueryDataset: query {i} '
                                           f'({self.query.get_data_info(i).get("img_path")}) is '
                                           f'of class {name!r}, which has no gallery image.')
            self._relevant.append(relevant)
        self.metainfo = dict(self.query.metainfo or {})

    def __len__(self) -> int:
        return len(self.query)

    def relevant(self, idx: int) -> np.ndarray:
        """Gallery indices relevant to query ``idx``."""
        return self._relevant[idx]

    def get_data_info(self, idx: int) -> dict:
        info = dict(self.query.get_data_info(idx))
        info['gt_label'] = self._relevant[idx].tolist()
        return info

    def __getitem__(self, idx: int) -> dict:
        data = self.query[idx]
        data['data_samples'].set_gt_label(self._relevant[idx])
        return data
