"""CIFAR-10 and CIFAR-100 from their "python version" batches, decoded once into memory."""
from typing import List

import numpy as np
from mmengine import dist
from mmengine.fileio import LocalBackend, exists, get, get_file_backend, join_path

from mmcls_convnext.registry import DATASETS

from .categories import CIFAR10_CATEGORIES, CIFAR100_CATEGORIES
from .in_memory import InMemorySplitDataset
from .utils import (
    DatasetFileError,
    DatasetIncompleteError,
    check_md5,
    download_and_extract_archive,
    restricted_unpickle,
)


@DATASETS.register_module()
class CIFAR10(InMemorySplitDataset):
    """CIFAR-10: 50,000 train and 10,000 test 32x32 RGB images, 10 classes.

    Layout: ``data_root/cifar-10-batches-py/`` holding ``data_batch_1`` ... ``data_batch_5``,
    ``test_batch`` and ``batches.meta``, i.e. ``cifar-10-python.tar.gz`` from
    https://www.cs.toronto.edu/~kriz/cifar.html extracted in ``data_root``. With
    ``download=True`` (the default) a missing or damaged file triggers the download of that
    archive (its md5 checked); offline this fails at once with one line naming the missing file
    and where to put it. Every batch file's md5 is checked against the published one.

    The batches are pickles; they are read by an unpickler that builds only numpy arrays and
    plain values and refuses anything else, so no code in a file can run. Samples are
    ``dict(img=HxWx3 uint8 RGB array, gt_label=int)``, decoded once when the dataset is built.

    Args:
        data_root: folder holding ``cifar-10-batches-py`` (``data_prefix`` is joined to it).
        split: ``'train'`` or ``'test'``.
        metainfo, classes: class names (default the 10 CIFAR-10 names; without them the
            names of ``batches.meta`` are read).
        download: fetch the archive when files are missing.
        data_prefix: sub-folder of ``data_root`` holding ``base_folder``.
        test_mode: evaluation mode (a warning if used with the train split).
        cache_steps: off (None, MMPretrain's behaviour) or the leading pipeline steps to run
            once per image when the dataset is built (``'auto'``: the leading deterministic
            steps, e.g. ``LoadImageFromNDArray`` and ``Resize``; see ``CachedCustomDataset``);
            per sample only the rest (flip, packing...) then runs.
        max_cache_bytes: upper bound of the cache memory (default 2 GiB).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    base_folder = 'cifar-10-batches-py'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz'
    filename = 'cifar-10-python.tar.gz'
    tgz_md5 = 'c58f30108f718f92721af3b95e74349a'
    train_list = [
        ['data_batch_1', 'c99cafc152244af753f735de768cd75f'],
        ['data_batch_2', 'd4bba439e000b95fd0a9bffe97cbabec'],
        ['data_batch_3', '54ebc095f3ab1f0389bbae665268c751'],
        ['data_batch_4', '634d18415352ddfa80567beed471001a'],
        ['data_batch_5', '482c414d41f54cd18b22e5b47cb7c3cb'],
    ]
    test_list = [['test_batch', '40351d587109b95175f43aff81a1287e']]
    meta = {'filename': 'batches.meta', 'key': 'label_names',
            'md5': '5ff9c542aee3614f3951f8cda6e48888'}
    METAINFO = {'classes': CIFAR10_CATEGORIES}

    def _data_root_hint(self) -> str:
        return f'{self.base_folder}/'

    # ------------------------------------------------------------------ files
    def _path(self, filename: str) -> str:
        return join_path(self.data_prefix['root'], self.base_folder, filename)

    def _missing(self) -> List[str]:
        """Files of both splits that are absent or fail their md5."""
        missing = []
        for filename, md5 in self.train_list + self.test_list:
            path = self._path(filename)
            if not exists(path) or (md5 is not None and not check_md5(path, md5)):
                missing.append(path)
        return missing

    def _check_integrity(self) -> bool:
        return not self._missing()

    def _ensure_files(self) -> None:
        root = self.data_prefix['root']
        name = type(self).__name__
        if dist.is_main_process() and not self._check_integrity():
            if not isinstance(get_file_backend(root, enable_singleton=True), LocalBackend):
                raise RuntimeError(f'The dataset on {root} is not integrated, please manually '
                                   'handle it.')
            if not self.download:
                first = (self._missing() or [self._path('?')])[0]
                raise RuntimeError(
                    f'Cannot find {name} dataset in {root}: {first} is missing or damaged. Put '
                    f'{self.filename} (from {self.url}) extracted there, or specify '
                    '`download=True` to download automatically.')
            download_and_extract_archive(self.url, root, filename=self.filename,
                                         md5=self.tgz_md5)
        dist.barrier()
        if not self._check_integrity():
            raise DatasetIncompleteError(
                f'Download failed or shared storage is unavailable: {self._missing()[0]} is '
                f'still missing or damaged. Please download {self.url} manually and extract it '
                f'in {root}.')

    def _unpickle(self, path: str) -> dict:
        entry = restricted_unpickle(get(path), path)
        if not isinstance(entry, dict):
            raise DatasetFileError(f'{path} is not a CIFAR batch: it holds a '
                                   f'{type(entry).__name__}, expected a dict.')
        return entry

    def _read_batch(self, path: str):
        entry = self._unpickle(path)
        data = entry.get('data')
        labels = entry.get('labels', entry.get('fine_labels'))
        if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 \
                or data.shape[1] != 3 * 32 * 32:
            shape = getattr(data, 'shape', None)
            raise DatasetFileError(
                f'{path} is not a CIFAR image batch: "data" is {type(data).__name__} '
                f'{shape if shape is not None else ""}, expected a uint8 array of shape '
                f'(N, 3072) (keys found: {sorted(map(str, entry))[:6]}).')
        if not isinstance(labels, (list, np.ndarray)) or len(labels) != len(data):
            raise DatasetFileError(
                f'{path} is not a CIFAR image batch: {len(data)} images but labels '
                f'{"missing" if labels is None else f"of length {len(labels)}"} (keys found: '
                f'{sorted(map(str, entry))[:6]}).')
        labels = np.asarray(labels)
        if labels.size and (labels.dtype.kind not in 'iu' or labels.min() < 0):
            raise DatasetFileError(f'{path}: labels must be non-negative integers; got '
                                   f'{labels[:5].tolist()}...')
        return data, labels

    def load_data_list(self) -> List[dict]:
        """Read the split's batches: ``dict(img=HWC uint8, gt_label=int)`` per image."""
        self._ensure_files()
        files = self.train_list if self.split == 'train' else self.test_list
        imgs, gt_labels = [], []
        for filename, _ in files:
            data, labels = self._read_batch(self._path(filename))
            imgs.append(data)
            gt_labels.append(labels)
        imgs = np.vstack(imgs).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        if self.CLASSES is None:
            self._load_meta()
        return [{'img': img, 'gt_label': int(label)}
                for img, label in zip(imgs, np.concatenate(gt_labels))]

    def _load_meta(self) -> None:
        path = self._path(self.meta['filename'])
        md5 = self.meta.get('md5')
        if not exists(path) or (md5 is not None and not check_md5(path, md5)):
            raise RuntimeError(f'Dataset metadata file not found or corrupted: {path}. You can '
                               'use `download=True` to download it.')
        entry = self._unpickle(path)
        names = entry.get(self.meta['key'])
        if not isinstance(names, (list, tuple)):
            raise DatasetFileError(f'{path} has no list "{self.meta["key"]}" of class names '
                                   f'(keys found: {sorted(map(str, entry))[:6]}).')
        self._metainfo.setdefault('classes', names)

    def extra_repr(self) -> List[str]:
        return [f"Prefix of data: \t{self.data_prefix['root']}"]


@DATASETS.register_module()
class CIFAR100(CIFAR10):
    """CIFAR-100: as :class:`CIFAR10` with 100 fine classes (labels ``fine_labels``).

    Layout: ``data_root/cifar-100-python/{train,test,meta}`` (``cifar-100-python.tar.gz``
    extracted in ``data_root``).
    """

    base_folder = 'cifar-100-python'
    url = 'https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz'
    filename = 'cifar-100-python.tar.gz'
    tgz_md5 = 'eb9058c3a382ffc7106e4002c42a8d85'
    train_list = [['train', '16019d7e3df5f24257cddd939b257f8d']]
    test_list = [['test', 'f0ef6b0ae62326f3e7ffdfab6717acfc']]
    meta = {'filename': 'meta', 'key': 'fine_label_names',
            'md5': '7973b15100ade9c7d40fb424638fde48'}
    METAINFO = {'classes': CIFAR100_CATEGORIES}

