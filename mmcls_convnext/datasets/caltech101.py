"""Caltech-101 with ``meta/{train,test}.txt`` split lists."""
from typing import List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, read_lines
from .categories import CALTECH101_CATEGORIES
from .errors import DatasetError

LAYOUT = ('{101_ObjectCategories/<class>/image_0001.jpg, meta/train.txt, meta/test.txt} '
          '(101_ObjectCategories.tar.gz extracted; the publisher defines no split, so the '
          'meta lists "<path under 101_ObjectCategories> <label>" are made by you)')


@DATASETS.register_module()
class Caltech101(BaseDataset):
    """Caltech-101: 9,146 images, 101 object classes plus ``BACKGROUND_Google``.

    Layout::

        data_root/
          101_ObjectCategories/accordion/image_0001.jpg ...
          meta/train.txt   "<path under 101_ObjectCategories> <label 0..101>"
          meta/test.txt

    The publisher ships no train/test split; the usual protocol (30 training images per
    class, the rest for testing) is written into the two lists. Labels index
    ``CALTECH101_CATEGORIES`` (the sorted folder names).

    Args:
        data_root: the folder above.
        split: ``'train'`` or ``'test'`` (test sets ``test_mode``).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    METAINFO = {'classes': CALTECH101_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        check_split(split, ('train', 'test'), 'Caltech101')
        self.split = split
        self.backend = get_file_backend(data_root, enable_singleton=True)
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file=self.backend.join_path('meta', f'{split}.txt'),
                         data_root=data_root, data_prefix='101_ObjectCategories', **kwargs)

    def load_data_list(self) -> List[dict]:
        """``img_path`` and ``gt_label`` per line of the split's list."""
        data_list = []
        for number, line in enumerate(read_lines(self.ann_file, 'Caltech101', LAYOUT), 1):
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].isdigit():
                raise DatasetError(f'Caltech101: {self.ann_file}, line {number}: expected '
                                   f'"<path> <label>"; got {line!r}.')
            data_list.append(dict(img_path=self.backend.join_path(self.img_prefix, parts[0]),
                                  gt_label=int(parts[1])))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
