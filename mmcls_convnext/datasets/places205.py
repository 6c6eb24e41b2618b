"""Places205 as class folders or a ``path label`` list, with its 205 category names."""
from typing import Optional, Sequence, Union

from mmcls_convnext.registry import DATASETS

from .categories import PLACES205_CATEGORIES
from .custom import CustomDataset


@DATASETS.register_module()
class Places205(CustomDataset):
    """Places205: the layouts of :class:`CustomDataset` with ``PLACES205_CATEGORIES``.

    E.g. ``data_root/`` holding the extracted ``images/`` class folders (``a/abbey/...``) and
    the published ``trainvalsplit_places205/{train,val}_places205.csv`` lists ("path label"
    lines) as ``ann_file``. The class folders (or labels) must match the 205 categories (or
    give ``classes``).

    Args:
        data_root, data_prefix, ann_file, metainfo: as :class:`CustomDataset`.
        extensions: accepted image extensions (MMPretrain's set for Places205).
        **kwargs: other arguments of :class:`CustomDataset`.
    """

    IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif')
    METAINFO = {'classes': PLACES205_CATEGORIES}

    def __init__(self, data_root: str = '', data_prefix: Union[str, dict] = '',
                 ann_file: str = '', metainfo: Optional[dict] = None,
                 extensions: Sequence[str] = IMG_EXTENSIONS, **kwargs) -> None:
        super().__init__(data_root=data_root, data_prefix=data_prefix, ann_file=ann_file,
                         metainfo=metainfo, extensions=extensions, **kwargs)
