"""CUB-200-2011 (Caltech-UCSD Birds) from its own list files."""
from typing import Dict, List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, read_lines, warn_train_in_test_mode
from .categories import CUB_CATEGORIES
from .errors import DatasetError

LAYOUT = ('CUB_200_2011/{images/<class>/<image>.jpg, images.txt, image_class_labels.txt, '
          'train_test_split.txt} (CUB_200_2011.tgz extracted)')


@DATASETS.register_module()
class CUB(BaseDataset):
    """CUB-200-2011: 11,788 bird images of 200 species (5,994 train / 5,794 test).

    Layout (``data_root`` is the extracted ``CUB_200_2011`` folder)::

        data_root/
          images/001.Black_footed_Albatross/Black_Footed_Albatross_0046_18.jpg ...
          images.txt               "<image id> <path under images/>"
          image_class_labels.txt   "<image id> <class id, 1-based>"
          train_test_split.txt     "<image id> <1: train, 0: test>"

    Args:
        data_root: the ``CUB_200_2011`` folder.
        split: ``'train'`` or ``'test'``.
        test_mode: evaluation mode (a warning if used with the train split).
        **kwargs: other arguments of :class:`BaseDataset` (``classes``, ``pipeline``...).
    """

    METAINFO = {'classes': CUB_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'train', test_mode: bool = False,
                 **kwargs) -> None:
        check_split(split, ('train', 'test'), 'CUB')
        self.split = split
        warn_train_in_test_mode(split, test_mode)
        self.backend = get_file_backend(data_root, enable_singleton=True)
        self.image_class_labels_file = self.backend.join_path(data_root,
                                                              'image_class_labels.txt')
        self.train_test_split_file = self.backend.join_path(data_root, 'train_test_split.txt')
        super().__init__(ann_file='images.txt', data_root=data_root, data_prefix='images',
                         test_mode=test_mode, **kwargs)

    @staticmethod
    def _id_table(path: str) -> Dict[str, str]:
        table = {}
        for number, line in enumerate(read_lines(path, 'CUB', LAYOUT), start=1):
            parts = line.split(maxsplit=1)
            if len(parts) != 2:
                raise DatasetError(f'CUB: {path}, line {number}: expected "<image id> <value>"; '
                                   f'got {line!r}.')
            table[parts[0]] = parts[1]
        return table

    def load_data_list(self) -> List[dict]:
        """``img_path`` and 0-based ``gt_label`` of the images of the split."""
        samples = self._id_table(self.ann_file)
        labels = self._id_table(self.image_class_labels_file)
        splits = self._id_table(self.train_test_split_file)
        if not samples.keys() == labels.keys() == splits.keys():
            raise DatasetError(f'CUB: {self.ann_file}, {self.image_class_labels_file} and '
                               f'{self.train_test_split_file} list different image ids '
                               f'({len(samples)}, {len(labels)}, {len(splits)}); re-extract '
                               'CUB_200_2011.tgz.')
        wanted = '1' if self.split == 'train' else '0'
        data_list = []
        for sample_id, rel_path in samples.items():
            if splits[sample_id] != wanted:
                continue
            label = labels[sample_id]
            if not label.isdigit() or int(label) < 1:
                raise DatasetError(f'CUB: {self.image_class_labels_file}: image {sample_id} has '
                                   f'class {label!r}; expected a 1-based class id.')
            data_list.append(dict(img_path=self.backend.join_path(self.img_prefix, rel_path),
                                  gt_label=int(label) - 1))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
