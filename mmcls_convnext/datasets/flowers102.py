"""Oxford Flowers-102 from its ``.mat`` annotation files (read with mat4py, as MMPretrain does)."""
from typing import List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, load_mat, mat_list
from .errors import DatasetError

LAYOUT = ('{jpg/image_00001.jpg ..., imagelabels.mat, setid.mat} (102flowers.tgz extracted, '
          'plus imagelabels.mat and setid.mat)')
SPLIT_KEYS = {'train': ('trnid', ), 'val': ('valid', ), 'test': ('tstid', ),
              'trainval': ('trnid', 'valid')}


@DATASETS.register_module()
class Flowers102(BaseDataset):
    """Oxford 102 Category Flower Dataset: 8,189 images (1,020 train, 1,020 val, 6,149 test).

    Layout::

        data_root/
          jpg/image_00001.jpg ...   the images (102flowers.tgz)
          imagelabels.mat           "labels": the 1-based class of image i
          setid.mat                 "trnid", "valid", "tstid": 1-based image ids per split

    MMPretrain ships no class names for this dataset (``CLASSES`` is None unless ``classes``
    is given).

    Args:
        data_root: the folder above.
        split: ``'train'``, ``'val'``, ``'trainval'`` or ``'test'`` (test sets ``test_mode``).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        check_split(split, tuple(SPLIT_KEYS), 'Flowers102')
        self.split = split
        self.backend = get_file_backend(data_root, enable_singleton=True)
        self.train_test_split_file = self.backend.join_path(data_root, 'setid.mat')
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file='imagelabels.mat', data_root=data_root, data_prefix='jpg',
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        """``img_path`` (``jpg/image_%05d.jpg``) and 0-based ``gt_label`` of the split."""
        labels = mat_list(load_mat(self.ann_file, 'Flowers102', LAYOUT), 'labels',
                           self.ann_file, 'Flowers102')
        split_mat = load_mat(self.train_test_split_file, 'Flowers102', LAYOUT)
        ids = []
        for key in SPLIT_KEYS[self.split]:
            ids.extend(mat_list(split_mat, key, self.train_test_split_file, 'Flowers102'))
        data_list = []
        for sample_id in ids:
            if not isinstance(sample_id, int) or not 1 <= sample_id <= len(labels):
                raise DatasetError(f'Flowers102: {self.train_test_split_file} lists image id '
                                   f'{sample_id!r}, but {self.ann_file} labels images 1..'
                                   f'{len(labels)}.')
            data_list.append(dict(
                img_path=self.backend.join_path(self.img_prefix, f'image_{sample_id:05d}.jpg'),
                gt_label=int(labels[sample_id - 1]) - 1))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
