"""MNIST and Fashion-MNIST from their idx files (plain or ``.gz``), decoded once into memory."""
from typing import List, Optional

import numpy as np
from mmengine import dist
from mmengine.fileio import LocalBackend, exists, get_file_backend, join_path

from mmcls_convnext.registry import DATASETS

from .categories import FASHIONMNIST_CATEGORIES, MNIST_CATEGORIES
from .in_memory import InMemorySplitDataset
from .utils import (
    DatasetFileError,
    DatasetIncompleteError,
    download_and_extract_archive,
    read_image_file,
    read_label_file,
    rm_suffix,
)


@DATASETS.register_module()
class MNIST(InMemorySplitDataset):
    """MNIST: 60,000 train and 10,000 test 28x28 grey digits, 10 classes.

    Layout: the four idx files in ``data_root`` (``data_prefix`` joined to it), each either
    extracted or as published (``.gz``)::

        train-images-idx3-ubyte[.gz]  train-labels-idx1-ubyte[.gz]
        t10k-images-idx3-ubyte[.gz]   t10k-labels-idx1-ubyte[.gz]

    An extracted file is preferred to its ``.gz``. With ``download=True`` (the default) the
    missing files are fetched from ``url_prefix`` (md5 checked) and extracted; offline this
    fails at once with one line naming the missing file and where to put it. A truncated file
    or one of the wrong kind (a labels file where images belong) fails with one line naming it.
    Samples are ``dict(img=HxW uint8 array, gt_label=int64 array)``, decoded once when the
    dataset is built (47 MB for the 60,000 training images).

    Args:
        data_root: folder holding the idx files.
        split: ``'train'`` or ``'test'``.
        metainfo, classes: class names (default ``'0 - zero'`` ... ``'9 - nine'``).
        download: fetch missing files.
        data_prefix: sub-folder of ``data_root`` holding the files.
        test_mode: evaluation mode (a warning if used with the train split).
        cache_steps: off (None, MMPretrain's behaviour) or the leading pipeline steps to run
            once per image when the dataset is built (``'auto'``: the leading deterministic
            steps, e.g. ``LoadImageFromNDArray`` and ``Resize``; see ``CachedCustomDataset``);
            per sample only the rest (flip, packing...) then runs.
        max_cache_bytes: upper bound of the cache memory (default 2 GiB).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    url_prefix = 'http://yann.lecun.com/exdb/mnist/'
    train_list = [
        ['train-images-idx3-ubyte.gz', 'f68b3c2dcbeaaa9fbdd348bbdeb94873'],
        ['train-labels-idx1-ubyte.gz', 'd53e105ee54ea40749a09fcbcd1e9432'],
    ]
    test_list = [
        ['t10k-images-idx3-ubyte.gz', '9fb629c4189551a2d022fa330f9573f3'],
        ['t10k-labels-idx1-ubyte.gz', 'ec29112dd5afa0611ce80d1b7f02629c'],
    ]
    METAINFO = {'classes': MNIST_CATEGORIES}

    def _data_root_hint(self) -> str:
        return 'the idx files'

    def _find(self, filename: str) -> Optional[str]:
        """The extracted file, else the published (compressed) one, else None."""
        root = self.data_prefix['root']
        for name in (rm_suffix(filename), filename):
            path = join_path(root, name)
            if exists(path):
                return path
        return None

    def _missing(self) -> List[str]:
        return [name for name, _ in self.train_list + self.test_list if self._find(name) is None]

    def _check_exists(self) -> bool:
        return not self._missing()

    def _download(self) -> None:
        root = self.data_prefix['root']
        for filename, md5 in self.train_list + self.test_list:
            if self._find(filename) is None:
                download_and_extract_archive(f"{self.url_prefix.rstrip('/')}/{filename}",
                                             download_root=root, filename=filename, md5=md5)

    def load_data_list(self) -> List[dict]:
        """Read the split's two idx files: ``dict(img=HxW uint8, gt_label=int64)`` per image."""
        root = self.data_prefix['root']
        name = type(self).__name__
        if dist.is_main_process() and not self._check_exists():
            if not isinstance(get_file_backend(root, enable_singleton=True), LocalBackend):
                raise RuntimeError(f'The dataset on {root} is not integrated, please manually '
                                   'handle it.')
            if not self.download:
                missing = (self._missing() or ['?'])[0]
                raise RuntimeError(
                    f'Cannot find {name} dataset in {root}: {missing} (or its extracted '
                    f'{rm_suffix(missing)}) is missing. Put it there (from {self.url_prefix}), '
                    'or specify `download=True` to download automatically.')
            self._download()
        dist.barrier()
        if not self._check_exists():
            missing = (self._missing() or ['?'])[0]
            raise DatasetIncompleteError(
                f'Download failed or shared storage is unavailable: {missing} is still missing '
                f'in {root}. Please download it manually from {self.url_prefix}.')
        files = self.train_list if self.split == 'train' else self.test_list
        img_path, label_path = self._find(files[0][0]), self._find(files[1][0])
        imgs = read_image_file(img_path)
        labels = read_label_file(label_path)
        if len(imgs) != len(labels):
            raise DatasetFileError(f'{img_path} holds {len(imgs)} images but {label_path} holds '
                                   f'{len(labels)} labels; re-download the pair.')
        return [{'img': img, 'gt_label': np.array(label, dtype=np.int64)}
                for img, label in zip(imgs, labels)]

    def extra_repr(self) -> List[str]:
        return [f"Prefix of data: \t{self.data_prefix['root']}"]


@DATASETS.register_module()
class FashionMNIST(MNIST):
    """Fashion-MNIST: the MNIST layout and idx format, 10 clothing classes.

    Debian's ``dataset-fashion-mnist`` package installs the four ``.gz`` files in
    ``/usr/share/datasets/fashion-mnist``: ``data_root='/usr/share/datasets/fashion-mnist'``
    reads them as they are (with ``download=False`` nothing is ever written there).
    """

    url_prefix = 'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/'
    train_list = [
        ['train-images-idx3-ubyte.gz', '8d4fb7e6c68d591d4c3dfef9ec88bf0d'],
        ['train-labels-idx1-ubyte.gz', '25c81989df183df01b3e8a0aad5dffbe'],
    ]
    test_list = [
        ['t10k-images-idx3-ubyte.gz', 'bef4ecab320f06d8554ea6380940ec79'],
        ['t10k-labels-idx1-ubyte.gz', 'bb300cfdad3c16e7a12a480ee83cd310'],
    ]
    METAINFO = {'classes': FASHIONMNIST_CATEGORIES}
