"""The Oxford-IIIT Pet dataset from its annotation lists."""
from typing import List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, read_lines, warn_train_in_test_mode
from .categories import OXFORD_IIIT_PETS_CATEGORIES
from .errors import DatasetError

LAYOUT = ('{images/<Name>_<n>.jpg, annotations/trainval.txt, annotations/test.txt} '
          '(images.tar.gz and annotations.tar.gz extracted)')


@DATASETS.register_module()
class OxfordIIITPet(BaseDataset):
    """Oxford-IIIT Pet: 7,349 images of 37 cat and dog breeds (3,680 trainval / 3,669 test).

    Layout::

        data_root/
          images/Abyssinian_1.jpg ...
          annotations/trainval.txt   "<image name> <class id 1..37> <species> <breed id>"
          annotations/test.txt

    Args:
        data_root: the folder above.
        split: ``'trainval'`` or ``'test'``.
        data_prefix: the image folder, ``'images'``.
        test_mode: evaluation mode (a warning if used with trainval).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    METAINFO = {'classes': OXFORD_IIIT_PETS_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'trainval', data_prefix: str = 'images',
                 test_mode: bool = False, **kwargs) -> None:
        check_split(split, ('trainval', 'test'), 'OxfordIIITPet')
        self.split = split
        warn_train_in_test_mode(split, test_mode, 'trainval')
        self.backend = get_file_backend(data_root, enable_singleton=True)
        ann_file = self.backend.join_path('annotations', f'{split}.txt')
        super().__init__(ann_file=ann_file, data_root=data_root, data_prefix=data_prefix,
                         test_mode=test_mode, **kwargs)

    def load_data_list(self) -> List[dict]:
        """``img_path`` and 0-based ``gt_label`` per line of the split's list."""
        data_list = []
        for number, line in enumerate(read_lines(self.ann_file, 'OxfordIIITPet', LAYOUT), 1):
            if line.startswith('#'):
                continue
            parts = line.split()
            if len(parts) != 4 or not parts[1].isdigit() or int(parts[1]) < 1:
                raise DatasetError(f'OxfordIIITPet: {self.ann_file}, line {number}: expected '
                                   f'"<image> <class id> <species> <breed id>"; got {line!r}.')
            data_list.append(dict(
                img_path=self.backend.join_path(self.img_prefix, f'{parts[0]}.jpg'),
                gt_label=int(parts[1]) - 1))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
