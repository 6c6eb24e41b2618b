"""The Describable Textures Dataset from its ``imdb/imdb.mat`` (read with mat4py)."""
from typing import List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, check_split, load_mat, mat_field, mat_list
from .categories import DTD_CATEGORIES
from .errors import DatasetError

LAYOUT = '{images/<texture>/<image>.jpg, imdb/imdb.mat} (dtd-r1.0.1.tar.gz extracted)'
SPLIT_SETS = {'train': {1}, 'val': {2}, 'test': {3}, 'trainval': {1, 2}}


@DATASETS.register_module()
class DTD(BaseDataset):
    """Describable Textures Dataset: 5,640 images of 47 textures.

    Layout (``data_root`` is the extracted ``dtd`` folder)::

        data_root/
          images/banded/banded_0002.jpg ...
          imdb/imdb.mat     "images": "name" (path under images/), "class" (1-based),
                            "set" (1 train, 2 val, 3 test; the first of the 10 splits)

    Args:
        data_root: the ``dtd`` folder.
        split: ``'train'``, ``'val'``, ``'trainval'`` or ``'test'`` (test sets ``test_mode``).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    METAINFO = {'classes': DTD_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'train', **kwargs) -> None:
        check_split(split, tuple(SPLIT_SETS), 'DTD')
        self.split = split
        self.backend = get_file_backend(data_root, enable_singleton=True)
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(ann_file=self.backend.join_path('imdb', 'imdb.mat'),
                         data_root=data_root, data_prefix='images', **kwargs)

    def load_data_list(self) -> List[dict]:
        """``img_path`` and 0-based ``gt_label`` of the images whose set is in the split."""
        images = mat_field(load_mat(self.ann_file, 'DTD', LAYOUT), 'images', self.ann_file,
                           'DTD')
        names, labels, sets = (mat_list(images, key, self.ann_file, 'DTD')
                               for key in ('name', 'class', 'set'))
        if not len(names) == len(labels) == len(sets):
            raise DatasetError(f'DTD: {self.ann_file} lists {len(names)} names, {len(labels)} '
                               f'classes and {len(sets)} sets; they must match.')
        wanted = SPLIT_SETS[self.split]
        return [dict(img_path=self.backend.join_path(self.img_prefix, name),
                     gt_label=int(label) - 1)
                for name, label, part in zip(names, labels, sets) if part in wanted]

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
