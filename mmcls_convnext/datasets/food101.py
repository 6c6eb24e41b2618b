"""Food-101 from its ``meta/{train,test}.txt`` lists."""
from typing import List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, read_lines
from .categories import FOOD101_CATEGORIES
from .errors import DatasetError

LAYOUT = ('{images/<class>/<id>.jpg, meta/train.txt, meta/test.txt} '
          '(food-101.tar.gz extracted)')


@DATASETS.register_module()
class Food101(BaseDataset):
    """Food-101: 101,000 images of 101 dishes (750 train / 250 test per class).

    Layout (``data_root`` is the extracted ``food-101`` folder)::

        data_root/
          images/apple_pie/1005649.jpg ...
          meta/train.txt   "<class>/<image id>" per line
          meta/test.txt

    Args:
        data_root: the ``food-101`` folder.
        split: ``'train'`` or ``'test'`` (test sets ``test_mode``).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    METAINFO = {'classes': FOOD101_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        check_split(split, ('train', 'test'), 'Food101')
        self.split = split
        self.backend = get_file_backend(data_root, enable_singleton=True)
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file=self.backend.join_path('meta', f'{split}.txt'),
                         data_root=data_root, data_prefix='images', **kwargs)

    def load_data_list(self) -> List[dict]:
        """``img_path`` (``images/<class>/<id>.jpg``) and the class's index."""
        class_to_idx = self.class_to_idx
        data_list = []
        for number, line in enumerate(read_lines(self.ann_file, 'Food101', LAYOUT), 1):
            class_name, _, img_id = line.partition('/')
            if not img_id or class_name not in class_to_idx:
                raise DatasetError(f'Food101: {self.ann_file}, line {number}: expected '
                                   f'"<class>/<image id>" with a class of CLASSES; got {line!r}.')
            data_list.append(dict(
                img_path=self.backend.join_path(self.img_prefix, class_name, f'{img_id}.jpg'),
                gt_label=class_to_idx[class_name]))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
