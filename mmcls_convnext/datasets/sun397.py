"""SUN397 with its first official train/test partition."""
from typing import List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, read_lines
from .categories import SUN397_CATEGORIES
from .errors import DatasetError

LAYOUT = ('{SUN397/a/abbey/sun_*.jpg, Partitions/Training_01.txt, Partitions/Testing_01.txt} '
          '(SUN397.tar.gz and Partitions.zip extracted)')


@DATASETS.register_module()
class SUN397(BaseDataset):
    """SUN397: 108,754 scene images of 397 categories; partition 01 (50 train / 50 test per
    category).

    Layout::

        data_root/
          SUN397/a/abbey/sun_aaalbzqrimafwbiv.jpg ...
          Partitions/Training_01.txt   "/a/abbey/sun_aaalbzqrimafwbiv.jpg" per line
          Partitions/Testing_01.txt

    The class of an image is its path without the file name (``/a/abbey``), as in
    ``SUN397_CATEGORIES``.

    Args:
        data_root: the folder above.
        split: ``'train'`` or ``'test'`` (test sets ``test_mode``).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    METAINFO = {'classes': SUN397_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        check_split(split, ('train', 'test'), 'SUN397')
        self.split = split
        self.backend = get_file_backend(data_root, enable_singleton=True)
        name = 'Training_01.txt' if split == 'train' else 'Testing_01.txt'
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file=self.backend.join_path('Partitions', name),
                         data_root=data_root, data_prefix='SUN397', **kwargs)

    def load_data_list(self) -> List[dict]:
        """``img_path`` and the index of the image's category."""
        class_to_idx = self.class_to_idx
        data_list = []
        for number, line in enumerate(read_lines(self.ann_file, 'SUN397', LAYOUT), 1):
            class_name = line.rsplit('/', 1)[0]
            if class_name not in class_to_idx:
                raise DatasetError(f'SUN397: {self.ann_file}, line {number}: {line!r} is not in '
                                   'a category of CLASSES (expected "/a/abbey/<image>.jpg").')
            data_list.append(dict(img_path=self.backend.join_path(self.img_prefix,
                                                                  line.lstrip('/')),
                                  gt_label=class_to_idx[class_name]))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
