"""``MultiLabelDataset``: MMPretrain's base for datasets whose samples carry several labels."""
from typing import List

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset


@DATASETS.register_module()
class MultiLabelDataset(BaseDataset):
    """A :class:`BaseDataset` whose ``gt_label`` is a list of class indices per sample.

    The OpenMMLab 2.0 annotation file reads as for :class:`BaseDataset`, e.g.
    ``{"metainfo": {"categories": [...]}, "data_list": [{"img_path": "a.jpg",
    "gt_label": [0, 3]}, ...]}``; the arguments are those of :class:`BaseDataset`.
    """

    def get_cat_ids(self, idx: int) -> List[int]:
        """The class indices present in sample ``idx``."""
        return [int(label) for label in self.get_data_info(idx)['gt_label']]
