"""ImageNet-1k and ImageNet-21k in the layouts of MMPretrain's data preparation guide."""
import functools
import os.path as osp
from typing import Optional, Sequence, Tuple, Union

from mmengine.logging import MMLogger

from mmcls_convnext.registry import DATASETS

from .custom import CustomDataset
from .errors import DataConfigError

SPLITS = ('train', 'val', 'test')


#: The 1000 readable ImageNet-1k class names, one per line, in the order of the sorted wnid
#: folders (= the class index of every ImageNet-1k head). Written once from torchvision 0.29.1's
#: ``ConvNeXt_Tiny_Weights.IMAGENET1K_V1.meta['categories']`` (the names torchvision and timm
#: users see); shipped as package data so that nothing is imported or downloaded for them.
#: ImageNet-21k has no such list here: its 21,841 classes are WordNet ids only.
CATEGORIES_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'imagenet1k_categories.txt')


@functools.lru_cache(maxsize=1)
def imagenet_categories() -> Tuple[str, ...]:
    """The 1000 ImageNet-1k class names, in the order of the sorted wnid folders.

    Raises:
        RuntimeError: the package's ``imagenet1k_categories.txt`` is missing or damaged.
    """
    try:
        with open(CATEGORIES_FILE, encoding='utf-8') as f:
            names = tuple(line.rstrip('\n') for line in f)
    except OSError as exc:
        raise RuntimeError(f'The ImageNet-1k class names ({CATEGORIES_FILE}) cannot be read: '
                           f'{exc}. Reinstall mmcls_convnext.') from exc
    if len(names) != 1000 or not all(names):
        raise RuntimeError(f'{CATEGORIES_FILE} holds {len(names)} lines, not the 1000 non-empty '
                           'ImageNet-1k class names. Reinstall mmcls_convnext.')
    return names


def _split_paths(data_root: str, split: str, data_prefix: Union[str, dict],
                 ann_file: str) -> Tuple[Union[str, dict], str]:
    """Default ``data_prefix`` and ``ann_file`` for ``split``: ``meta/{split}.txt`` if present."""
    if split not in SPLITS:
        raise DataConfigError(f'The split must be one of {SPLITS} (or "" with explicit '
                              f'data_prefix / ann_file); got {split!r}.')
    if not ann_file and osp.isfile(osp.join(data_root, 'meta', f'{split}.txt')):
        ann_file = osp.join('meta', f'{split}.txt')
    if not data_prefix:
        data_prefix = split
    return data_prefix, ann_file


@DATASETS.register_module()
class ImageNet(CustomDataset):
    """ImageNet-1k.

    Layout (``split='train'|'val'|'test'``)::

        data_root/
          train/n01440764/*.JPEG ...     one folder per wnid (1000)
          val/n01440764/*.JPEG ...       class folders, or flat files listed in meta/val.txt
          test/*.JPEG                    no labels
          meta/{train,val,test}.txt      optional "path label" lines, paths relative to split/

    ``meta/{split}.txt`` is used when it exists, otherwise ``data_root/split`` is scanned. The
    1000 sorted wnid folders map to the readable class names of ``imagenet_categories()``.
    The test split has no labels (``with_label=False``).

    Args:
        data_root: the dataset root.
        split: ``'train'``, ``'val'``, ``'test'``, or '' to give ``data_prefix``/``ann_file``.
        data_prefix: image folder; defaults to ``split``.
        ann_file: annotation file; defaults to ``meta/{split}.txt`` when present.
        classes: class names; defaults to the 1000 ImageNet-1k names.
        **kwargs: arguments of :class:`CustomDataset`.
    """

    def __init__(self, data_root: str = '', split: str = '', data_prefix: Union[str, dict] = '',
                 ann_file: str = '', classes: Union[str, Sequence[str], None] = None,
                 metainfo: Optional[dict] = None, **kwargs) -> None:
        self.split = split
        if split:
            data_prefix, ann_file = _split_paths(data_root, split, data_prefix, ann_file)
            if split == 'test':
                if kwargs.get('with_label'):
                    raise ValueError('The ImageNet test split has no labels; with_label=True '
                                     'is not possible for split="test".')
                kwargs['with_label'] = False
                MMLogger.get_current_instance().info(
                    'Since the ImageNet1k test set does not provide label annotations, '
                    '`with_label` is set to False.')
        if classes is None and not (metainfo or {}).get('classes'):
            classes = self.default_classes()
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file,
                         classes=classes, metainfo=metainfo, **kwargs)

    def default_classes(self) -> Optional[Tuple[str, ...]]:
        return imagenet_categories()

    def extra_repr(self) -> list:
        return [f'Root of dataset: \t{self.data_root}'] + super().extra_repr()


@DATASETS.register_module()
class ImageNet21k(ImageNet):
    """ImageNet-21k (21,841 classes in the ConvNeXt releases), same layouts as :class:`ImageNet`.

    No class-name list ships offline: classes are the (sorted) wnid folder names, or the
    ``classes`` argument (a list or a text file), which an annotation file needs for names
    (a warning says so). Scanning 21k folders is slow: without ``ann_file`` a warning suggests
    one.
    """

    def __init__(self, *args, multi_label: bool = False, **kwargs) -> None:
        if multi_label:
            raise NotImplementedError('ImageNet21k(multi_label=True) is not supported: the '
                                      'ConvNeXt recipes train single-label.')
        self.multi_label = multi_label
        super().__init__(*args, **kwargs)
        logger = MMLogger.get_current_instance()
        if not self.ann_file:
            logger.warning(f'ImageNet21k: no ann_file, so the class folders under '
                           f'"{self.img_prefix}" are scanned, which is slow for 21k classes; '
                           'specify the `ann_file` ("path label" lines, e.g. meta/train.txt) '
                           'to start faster.')
        if self._fully_initialized and self.CLASSES is None:
            logger.warning('ImageNet21k: no class names, so predictions are plain indices; '
                           'specify the `classes` argument (a list or a text file with one '
                           'name per line) to name them.')

    def default_classes(self) -> Optional[Tuple[str, ...]]:
        return None
