"""DeepFashion In-shop Clothes Retrieval, from ``Eval/list_eval_partition.txt``."""
from typing import Dict, List

from mmengine.fileio import get_file_backend

from mmcls_convnext.registry import DATASETS

from .base_dataset import BaseDataset, read_lines
from .errors import DataConfigError, DatasetError

LAYOUT = '{Img/img/<...>.jpg, Eval/list_eval_partition.txt} (In-shop Clothes Retrieval Benchmark)'
SPLITS = ('train', 'query', 'gallery')


@DATASETS.register_module()
class InShop(BaseDataset):
    """In-shop Clothes Retrieval: train, query and gallery sets of clothing items.

    Layout::

        data_root/
          Img/img/MEN/Denim/id_00000080/01_1_front.jpg ...
          Eval/list_eval_partition.txt   a count line, a header line, then
                                         "<image path under Img> <item id> <train|query|gallery>"

    ``split='train'``: ``gt_label`` numbers the training items in order of appearance.
    ``'gallery'``: samples carry ``sample_idx`` (their index in the gallery). ``'query'``:
    ``gt_label`` is the list of gallery indices showing the same item (what retrieval metrics
    match against).

    Args:
        data_root: the folder above.
        split: ``'train'``, ``'query'`` or ``'gallery'``.
        data_prefix: the image folder, ``'Img'``.
        ann_file: the partition file, ``'Eval/list_eval_partition.txt'``.
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    def __init__(self, data_root: str, split: str = 'train', data_prefix: str = 'Img',
                 ann_file: str = 'Eval/list_eval_partition.txt', **kwargs) -> None:
        if split not in SPLITS:
            raise DataConfigError(f"'split' of `InShop` must be one of {list(SPLITS)}, but get "
                                  f"'{split}'.")
        self.split = split
        self.backend = get_file_backend(data_root, enable_singleton=True)
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file,
                         **kwargs)

    def _rows(self) -> List[List[str]]:
        lines = read_lines(self.ann_file, 'InShop', LAYOUT)
        rows = []
        # lines[0] is the image count and lines[1] the field names
        for number, line in enumerate(lines[2:], start=3):
            parts = line.split()
            if len(parts) != 3 or parts[2] not in SPLITS:
                raise DatasetError(f'InShop: {self.ann_file}, line {number}: expected "<image> '
                                   f'<item id> <train|query|gallery>"; got {line!r}.')
            rows.append(parts)
        return rows

    def load_data_list(self) -> List[dict]:
        """The samples of the split (see the class doc for their labels)."""
        rows = self._rows()
        join = self.backend.join_path
        if self.split == 'train':
            item_label: Dict[str, int] = {}
            return [dict(img_path=join(self.img_prefix, img),
                         gt_label=item_label.setdefault(item, len(item_label)))
                    for img, item, status in rows if status == 'train']
        gallery_of_item: Dict[str, List[int]] = {}
        gallery = []
        for img, item, status in rows:
            if status == 'gallery':
                gallery_of_item.setdefault(item, []).append(len(gallery))
                gallery.append(dict(img_path=join(self.img_prefix, img),
                                    sample_idx=len(gallery)))
        if self.split == 'gallery':
            return gallery
        queries = []
        for img, item, status in rows:
            if status == 'query':
                if item not in gallery_of_item:
                    raise DatasetError(f'InShop: {self.ann_file}: query image {img} shows item '
                                       f'{item}, which has no gallery image.')
                queries.append(dict(img_path=join(self.img_prefix, img),
                                    gt_label=list(gallery_of_item[item])))
        return queries

    def extra_repr(self) -> List[str]:
        return [f'Root of dataset: \t{self.data_root}']
