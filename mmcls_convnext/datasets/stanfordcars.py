"""Stanford Cars from its ``.mat`` annotations (read with mat4py), in either published layout."""
from typing import List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, load_mat, mat_field, mat_list
from .categories import STANFORD_CARS_CATEGORIES
from .errors import DatasetError

LAYOUT = ('either {car_ims/*.jpg, cars_annos.mat} (car_ims.tgz + cars_annos.mat) or '
          '{cars_train/*.jpg, cars_test/*.jpg, devkit/cars_train_annos.mat, '
          'devkit/cars_test_annos_withlabels.mat} (cars_train.tgz, cars_test.tgz, '
          'car_devkit.tgz, cars_test_annos_withlabels.mat)')


@DATASETS.register_module()
class StanfordCars(BaseDataset):
    """Stanford Cars: 16,185 images of 196 car models (8,144 train / 8,041 test).

    Two layouts are read, as published at different times::

        data_root/                            data_root/
          car_ims/000001.jpg ...                cars_train/00001.jpg ...
          cars_annos.mat                        cars_test/00001.jpg ...
            ("annotations": relative_im_path,   devkit/cars_train_annos.mat
             class (1-based), test (0/1))       devkit/cars_test_annos_withlabels.mat
                                                  ("annotations": fname, class)

    ``cars_annos.mat`` is used when present; otherwise the split's devkit file. Neither
    present: ``RuntimeError`` naming both layouts.

    Args:
        data_root: the folder above.
        split: ``'train'`` or ``'test'`` (test sets ``test_mode``).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    METAINFO = {'classes': STANFORD_CARS_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        check_split(split, ('train', 'test'), 'StanfordCars')
        self.split = split
        test_mode = split == 'test'
        self.backend = get_file_backend(data_root, enable_singleton=True)
        if self.backend.exists(self.backend.join_path(data_root, 'cars_annos.mat')):
            ann_file, data_prefix = 'cars_annos.mat', ''
        else:
            name = 'cars_test_annos_withlabels.mat' if test_mode else 'cars_train_annos.mat'
            ann_file = self.backend.join_path('devkit', name)
            data_prefix = 'cars_test' if test_mode else 'cars_train'
            if not self.backend.exists(self.backend.join_path(data_root, ann_file)):
                raise RuntimeError(f'The dataset is incorrectly organized: {data_root} holds '
                                   f'neither cars_annos.mat nor {ann_file}. Expected {LAYOUT}.')
        kwargs.setdefault('test_mode', test_mode)
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         **kwargs)

    def load_data_list(self) -> List[dict]:
        """``img_path`` and 0-based ``gt_label`` of the split's images."""
        data = mat_field(load_mat(self.ann_file, 'StanfordCars', LAYOUT), 'annotations',
                         self.ann_file, 'StanfordCars')
        if isinstance(data, dict) and 'test' in data:
            paths = mat_list(data, 'relative_im_path', self.ann_file, 'StanfordCars')
            labels = mat_list(data, 'class', self.ann_file, 'StanfordCars')
            flags = mat_list(data, 'test', self.ann_file, 'StanfordCars')
            if not len(paths) == len(labels) == len(flags):
                raise DatasetError(f'StanfordCars: {self.ann_file} lists {len(paths)} paths, '
                                   f'{len(labels)} classes and {len(flags)} test flags; they '
                                   'must match.')
            wanted = 1 if self.split == 'test' else 0
            rows = [(p, c) for p, c, t in zip(paths, labels, flags) if t == wanted]
        else:
            paths = mat_list(data, 'fname', self.ann_file, 'StanfordCars')
            labels = mat_list(data, 'class', self.ann_file, 'StanfordCars')
            if len(paths) != len(labels):
                raise DatasetError(f'StanfordCars: {self.ann_file} lists {len(paths)} file '
                                   f'names but {len(labels)} classes; they must match.')
            rows = list(zip(paths, labels))
        return [dict(img_path=self.backend.join_path(self.img_prefix, path),
                     gt_label=int(label) - 1) for path, label in rows]

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
