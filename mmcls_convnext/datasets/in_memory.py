"""The shared constructor of the standard datasets that are read into memory (CIFAR, MNIST)."""
from typing import Optional, Union

from .base_dataset import BaseDataset, check_split, expanduser, warn_train_in_test_mode
from .decoded_cache import DecodedCacheMixin
from .errors import DataConfigError


class InMemorySplitDataset(DecodedCacheMixin, BaseDataset):
    """A dataset of a ``'train'`` / ``'test'`` split held in memory, with the decoded cache.

    Subclasses name what ``data_root`` must hold in :meth:`_data_root_hint` and load their
    files in ``load_data_list``; the arguments are those of :class:`~.CIFAR10` /
    :class:`~.MNIST`.
    """

    def __init__(self, data_root: str = '', split: str = 'train',
                 metainfo: Optional[dict] = None, download: bool = True,
                 data_prefix: str = '', test_mode: bool = False,
                 cache_steps: Union[int, str, None] = None, max_cache_bytes: int = 2 * 1024**3,
                 **kwargs) -> None:
        self._init_cache(cache_steps, max_cache_bytes)
        check_split(split, ('train', 'test'), type(self).__name__)
        self.split = split
        warn_train_in_test_mode(split, test_mode)
        if not data_root and not data_prefix:
            raise RuntimeError('Please set ``data_root`` to specify the dataset path (the '
                               f'folder holding {self._data_root_hint()}).')
        if not isinstance(data_prefix, str):
            raise DataConfigError(f'{type(self).__name__}: data_prefix must be a folder name; '
                                  f'got {data_prefix!r}.')
        self.download = download
        super().__init__(ann_file='', metainfo=metainfo, data_root=data_root,
                         data_prefix=dict(root=expanduser(data_prefix)), test_mode=test_mode,
                         **kwargs)
        self._split_pipeline()  # validates cache_steps even when lazy

    def _data_root_hint(self) -> str:
        raise NotImplementedError
