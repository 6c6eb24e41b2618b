"""FGVC-Aircraft (variant level) from its list files."""
from typing import List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, read_lines, warn_train_in_test_mode
from .categories import FGVC_AIRCRAFT_CATEGORIES
from .errors import DatasetError

LAYOUT = ('{data/images/<id>.jpg, data/images_variant_{train,val,trainval,test}.txt} '
          '(fgvc-aircraft-2013b.tar.gz extracted)')


@DATASETS.register_module()
class FGVCAircraft(BaseDataset):
    """FGVC-Aircraft-2013b: 10,000 images of 100 aircraft variants.

    Layout (``data_root`` is the extracted ``fgvc-aircraft-2013b`` folder)::

        data_root/data/
          images/1025794.jpg ...
          images_variant_{train,val,trainval,test}.txt   "<image id> <variant name>"

    Args:
        data_root: the ``fgvc-aircraft-2013b`` folder.
        split: ``'train'``, ``'val'``, ``'trainval'`` or ``'test'`` (test sets ``test_mode``).
        test_mode: evaluation mode (a warning if used with trainval).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    METAINFO = {'classes': FGVC_AIRCRAFT_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'trainval', test_mode: bool = False,
                 **kwargs) -> None:
        check_split(split, ('train', 'val', 'trainval', 'test'), 'FGVCAircraft')
        self.split = split
        warn_train_in_test_mode(split, test_mode, 'trainval' if split == 'trainval'
                                else 'training')
        self.backend = get_file_backend(data_root, enable_singleton=True)
        super().__init__(ann_file=self.backend.join_path('data', f'images_variant_{split}.txt'),
                         data_root=data_root,
                         data_prefix=self.backend.join_path('data', 'images'),
                         test_mode=test_mode or split == 'test', **kwargs)

    def load_data_list(self) -> List[dict]:
        """``img_path`` and ``gt_label`` (index of the variant name in ``CLASSES``)."""
        class_to_idx = self.class_to_idx
        data_list = []
        for number, line in enumerate(read_lines(self.ann_file, 'FGVCAircraft', LAYOUT), 1):
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or parts[1] not in class_to_idx:
                raise DatasetError(f'FGVCAircraft: {self.ann_file}, line {number}: expected '
                                   f'"<image id> <variant>" with a variant of CLASSES; got '
                                   f'{line!r}.')
            data_list.append(dict(
                img_path=self.backend.join_path(self.img_prefix, f'{parts[0]}.jpg'),
                gt_label=class_to_idx[parts[1]]))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
