"""The standard datasets read from files in their publishers' formats, written here; bad files
(truncated, wrong kind, a pickle carrying code) fail with one line naming the file; downloads
never hang offline and never leave a partial dataset."""
import gzip
import hashlib
import io
import os
import pickle
import tarfile
import urllib.error
from unittest.mock import patch

import numpy as np
import pytest

from mmcls_convnext.datasets import CIFAR10, CIFAR100, MNIST, FashionMNIST, Flowers102
from mmcls_convnext.datasets.categories import CIFAR10_CATEGORIES, FASHIONMNIST_CATEGORIES
from mmcls_convnext.datasets.utils import (
    DatasetDownloadError,
    DatasetFileError,
    check_integrity,
    download_and_extract_archive,
    read_image_file,
)

mat4py = pytest.importorskip('mat4py')


def md5_of(path):
    return hashlib.md5(open(path, 'rb').read()).hexdigest()


# ----------------------------------------------------------------------------- CIFAR
@pytest.fixture
def cifar_root(tmp_path):
    """A CIFAR-10 'python version' tree: 2 train batches, a test batch, batches.meta."""
    rng = np.random.default_rng(0)
    folder = tmp_path / 'cifar-10-batches-py'
    folder.mkdir()
    imgs = rng.integers(0, 256, size=(7, 3072), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7).tolist()
    batches = {'data_batch_1': (imgs[:3], labels[:3]), 'data_batch_2': (imgs[3:5], labels[3:5]),
               'test_batch': (imgs[5:], labels[5:])}
    for name, (data, labs) in batches.items():
        with open(folder / name, 'wb') as f:
            pickle.dump({'batch_label': name, 'data': data, 'labels': labs,
                         'filenames': [f'{i}.png' for i in range(len(labs))]}, f, protocol=2)
    with open(folder / 'batches.meta', 'wb') as f:
        pickle.dump({'label_names': [f'name{i}' for i in range(10)], 'num_vis': 3072}, f,
                    protocol=2)
    return tmp_path, imgs, labels


class SmallCIFAR10(CIFAR10):
    """CIFAR10 over the fixture's files, with their md5s (the class keeps the real ones)."""
    train_list = [['data_batch_1', None], ['data_batch_2', None]]
    test_list = [['test_batch', None]]
    meta = {'filename': 'batches.meta', 'key': 'label_names', 'md5': None}


def test_cifar10_reads_batches_as_hwc_rgb(cifar_root):
    root, imgs, labels = cifar_root
    ds = SmallCIFAR10(data_root=str(root), split='train', download=False)
    assert len(ds) == 5 and ds.CLASSES == CIFAR10_CATEGORIES
    for i in range(5):
        # independent: row = 1024 R, then 1024 G, then 1024 B, each row-major 32x32
        r, g, b = imgs[i][:1024], imgs[i][1024:2048], imgs[i][2048:]
        expected = np.stack([c.reshape(32, 32) for c in (r, g, b)], axis=-1)
        info = ds.get_data_info(i)
        np.testing.assert_array_equal(info['img'], expected)
        assert info['gt_label'] == labels[i]
    test = SmallCIFAR10(data_root=str(root), split='test', download=False)
    assert test.get_gt_labels().tolist() == labels[5:]


def test_cifar_class_names_from_meta_file_and_md5_checked(cifar_root, tmp_path):
    root, _, _ = cifar_root
    folder = root / 'cifar-10-batches-py'

    class Checked(SmallCIFAR10):
        METAINFO = {}
        train_list = [['data_batch_1', md5_of(folder / 'data_batch_1')],
                      ['data_batch_2', md5_of(folder / 'data_batch_2')]]
        test_list = [['test_batch', md5_of(folder / 'test_batch')]]
        meta = {'filename': 'batches.meta', 'key': 'label_names',
                'md5': md5_of(folder / 'batches.meta')}

    assert Checked(data_root=str(root), download=False).CLASSES[:2] == ['name0', 'name1']
    with open(folder / 'data_batch_2', 'ab') as f:
        f.write(b'x')  # damaged: md5 no longer matches
    with pytest.raises(RuntimeError, match=r'data_batch_2 is missing or damaged.*download=True'):
        Checked(data_root=str(root), download=False)


class _Gadget:
    """Unpickling this runs ``os.system`` (a REDUCE of a global) - if the reader allowed it."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


@pytest.mark.parametrize('payload', ['system', 'eval'])
def test_cifar_pickle_carrying_code_is_refused_and_nothing_runs(cifar_root, tmp_path, payload):
    root, imgs, labels = cifar_root
    marker = tmp_path / 'PWNED'
    if payload == 'system':
        evil = {'data': imgs[:3], 'labels': labels[:3], 'x': _Gadget(marker)}
        blob = pickle.dumps(evil, protocol=2)
    else:  # builtins.eval on an expression that would create the marker
        blob = (b'\x80\x02cbuiltins\neval\nX' + len(f'open("{marker}","w")').to_bytes(4, 'little')
                + f'open("{marker}","w")'.encode() + b'\x85R.')
    (root / 'cifar-10-batches-py' / 'data_batch_1').write_bytes(blob)
    with pytest.raises(DatasetFileError) as info:
        SmallCIFAR10(data_root=str(root), download=False)
    msg = str(info.value)
    assert 'data_batch_1' in msg and 'Refusing' in msg and '\n' not in msg
    assert ('system' in msg) if payload == 'system' else ('builtins.eval' in msg)
    assert not marker.exists()


def test_cifar_truncated_and_wrong_kind_batches_name_the_file(cifar_root):
    root, _, _ = cifar_root
    folder = root / 'cifar-10-batches-py'
    good = (folder / 'data_batch_2').read_bytes()
    (folder / 'data_batch_2').write_bytes(good[:len(good) // 2])
    with pytest.raises(DatasetFileError, match=r'data_batch_2.*truncated') as info:
        SmallCIFAR10(data_root=str(root), download=False)
    assert '\n' not in str(info.value)
    # the meta file where a data batch belongs
    (folder / 'data_batch_2').write_bytes((folder / 'batches.meta').read_bytes())
    with pytest.raises(DatasetFileError, match=r'data_batch_2 is not a CIFAR image batch'):
        SmallCIFAR10(data_root=str(root), download=False)
    (folder / 'data_batch_2').write_bytes(pickle.dumps([1, 2, 3], protocol=2))
    with pytest.raises(DatasetFileError, match=r'data_batch_2 is not a CIFAR batch'):
        SmallCIFAR10(data_root=str(root), download=False)


def test_cifar_offline_download_fails_at_once_naming_the_missing_file(tmp_path):
    with patch('urllib.request.urlopen',
               side_effect=urllib.error.URLError('Name or service not known')) as urlopen:
        with pytest.raises(DatasetDownloadError) as info:
            CIFAR100(data_root=str(tmp_path / 'c100'), split='train')
    msg = str(info.value)
    assert urlopen.call_args.kwargs['timeout'] > 0
    assert 'cifar-100-python.tar.gz is missing' in msg and 'put cifar-100-python.tar.gz in' in msg
    assert str(tmp_path / 'c100') in msg and '\n' not in msg
    assert os.listdir(tmp_path / 'c100') == []  # no partial download left


def test_cifar_download_extracts_checked_archive(cifar_root, tmp_path):
    src_root, imgs, labels = cifar_root
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w:gz') as tar:
        tar.add(src_root / 'cifar-10-batches-py', arcname='cifar-10-batches-py')
    archive = buf.getvalue()

    class Downloaded(SmallCIFAR10):
        tgz_md5 = hashlib.md5(archive).hexdigest()

    dest = tmp_path / 'fresh'
    with patch('urllib.request.urlopen', return_value=io.BytesIO(archive)):
        ds = Downloaded(data_root=str(dest), split='test')
    np.testing.assert_array_equal(ds.get_data_info(0)['img'][..., 0],
                                  imgs[5][:1024].reshape(32, 32))
    assert sorted(os.listdir(dest)) == ['cifar-10-batches-py', 'cifar-10-python.tar.gz']
    # a wrong archive md5 is refused and leaves nothing behind
    dest2 = tmp_path / 'fresh2'
    with patch('urllib.request.urlopen', return_value=io.BytesIO(archive[:-10])):
        with pytest.raises(DatasetDownloadError, match='wrong md5'):
            Downloaded(data_root=str(dest2), split='test')
    assert os.listdir(dest2) == []


def test_truncated_archive_is_one_line(tmp_path):
    bad = tmp_path / 'x.tar.gz'
    bad.write_bytes(gzip.compress(b'not a tar' * 100)[:50])
    with pytest.raises(DatasetFileError, match=r'Cannot extract .*x\.tar\.gz'):
        download_and_extract_archive('http://example.invalid/x.tar.gz', str(tmp_path))


# ----------------------------------------------------------------------------- idx files
def idx_bytes(array, type_byte=8):
    header = bytes([0, 0, type_byte, array.ndim]) + b''.join(
        int(d).to_bytes(4, 'big') for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


@pytest.fixture
def mnist_root(tmp_path):
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=5).astype(np.uint8)
    for prefix in ('train', 't10k'):
        (tmp_path / f'{prefix}-images-idx3-ubyte.gz').write_bytes(gzip.compress(idx_bytes(imgs)))
        (tmp_path / f'{prefix}-labels-idx1-ubyte.gz').write_bytes(
            gzip.compress(idx_bytes(labels)))
    return tmp_path, imgs, labels


def test_mnist_reads_published_gz_files(mnist_root):
    root, imgs, labels = mnist_root
    ds = MNIST(data_root=str(root), split='test', download=False)
    assert len(ds) == 5
    for i in range(5):
        np.testing.assert_array_equal(ds.get_data_info(i)['img'], imgs[i])
        assert int(ds.get_data_info(i)['gt_label']) == labels[i]
    # an extracted file is preferred to its .gz
    other = np.zeros((2, 28, 28), np.uint8)
    (root / 't10k-images-idx3-ubyte').write_bytes(idx_bytes(other))
    (root / 't10k-labels-idx1-ubyte').write_bytes(idx_bytes(np.array([3, 4], np.uint8)))
    ds = MNIST(data_root=str(root), split='test', download=False)
    assert ds.get_gt_labels().tolist() == [3, 4]


def test_idx_truncated_or_wrong_kind_names_the_file(mnist_root):
    root, imgs, labels = mnist_root
    path = root / 'train-images-idx3-ubyte.gz'
    raw = idx_bytes(imgs)
    path.write_bytes(gzip.compress(raw[:-100]))
    with pytest.raises(DatasetFileError, match=r'train-images-idx3-ubyte\.gz is truncated'):
        MNIST(data_root=str(root), split='train', download=False)
    path.write_bytes(gzip.compress(raw)[:200])  # the gzip stream itself cut short
    with pytest.raises(DatasetFileError, match=r'Cannot read .*train-images-idx3-ubyte\.gz'):
        MNIST(data_root=str(root), split='train', download=False)
    path.write_bytes(gzip.compress(idx_bytes(labels)))  # a labels file where images belong
    with pytest.raises(DatasetFileError, match=r'train-images-idx3-ubyte\.gz is not an images'):
        MNIST(data_root=str(root), split='train', download=False)
    path.write_bytes(gzip.compress(b'\x89PNG\r\n\x1a\n' + b'\0' * 50))
    with pytest.raises(DatasetFileError, match=r'is not an idx \(MNIST-format\) file') as info:
        MNIST(data_root=str(root), split='train', download=False)
    assert '\n' not in str(info.value)


def test_mnist_offline_download_names_missing_file(mnist_root):
    root, _, _ = mnist_root
    os.remove(root / 't10k-labels-idx1-ubyte.gz')
    with pytest.raises(RuntimeError, match=r't10k-labels-idx1-ubyte\.gz .*missing.*download=True'):
        MNIST(data_root=str(root), split='train', download=False)
    with patch('urllib.request.urlopen', side_effect=urllib.error.URLError('offline')):
        with pytest.raises(DatasetDownloadError,
                           match=r't10k-labels-idx1-ubyte\.gz is missing.*put t10k-labels-'):
            MNIST(data_root=str(root), split='train')


DEBIAN_FASHION_MNIST = '/usr/share/datasets/fashion-mnist'


@pytest.mark.skipif(not os.path.isfile(f'{DEBIAN_FASHION_MNIST}/t10k-labels-idx1-ubyte.gz'),
                    reason='Debian package dataset-fashion-mnist is not installed')
def test_fashion_mnist_reads_debian_files_in_place():
    ds = FashionMNIST(data_root=DEBIAN_FASHION_MNIST, split='test', download=False)
    assert len(ds) == 10000 and ds.CLASSES == FASHIONMNIST_CATEGORIES
    # the published test set has 1,000 images of each class
    assert np.bincount(ds.get_gt_labels(), minlength=10).tolist() == [1000] * 10
    images = read_image_file(f'{DEBIAN_FASHION_MNIST}/t10k-images-idx3-ubyte.gz')
    np.testing.assert_array_equal(ds.get_data_info(9999)['img'], images[9999])


# ----------------------------------------------------------------------------- .mat
def test_flowers_mat_truncated_or_wrong_kind_names_the_file(tmp_path):
    mat4py.savemat(str(tmp_path / 'imagelabels.mat'), {'labels': [1, 2, 2, 1]})
    mat4py.savemat(str(tmp_path / 'setid.mat'), {'trnid': [1, 2], 'valid': [3], 'tstid': [4]})
    ds = Flowers102(data_root=str(tmp_path), split='trainval')
    assert ds.get_gt_labels().tolist() == [0, 1, 1]
    good = (tmp_path / 'setid.mat').read_bytes()
    (tmp_path / 'setid.mat').write_bytes(good[:len(good) // 2])
    with pytest.raises(ValueError, match=r'cannot read .*setid\.mat as a MATLAB') as info:
        Flowers102(data_root=str(tmp_path), split='train')
    assert '\n' not in str(info.value)
    mat4py.savemat(str(tmp_path / 'setid.mat'), {'labels': [1]})  # the wrong .mat file
    with pytest.raises(ValueError, match=r'setid\.mat has no "trnid"'):
        Flowers102(data_root=str(tmp_path), split='train')
    mat4py.savemat(str(tmp_path / 'setid.mat'), {'trnid': [9], 'valid': [], 'tstid': []})
    with pytest.raises(ValueError, match=r'lists image id 9.*1\.\.4'):
        Flowers102(data_root=str(tmp_path), split='train')
    os.remove(tmp_path / 'imagelabels.mat')
    with pytest.raises(FileNotFoundError, match=r'imagelabels\.mat does not exist.*layout'):
        Flowers102(data_root=str(tmp_path), split='train')


def test_check_integrity_against_hashlib(tmp_path):
    path = tmp_path / 'f.bin'
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 7))  # several read chunks
    assert check_integrity(str(path), md5_of(path))
    assert check_integrity(str(path)) and not check_integrity(str(tmp_path / 'missing'))
    assert not check_integrity(str(path), '0' * 32)


# ----------------------------------------------------------------------------- in memory
def test_in_memory_cache_gives_what_the_plain_pipeline_gives(mnist_root):
    root, imgs, _ = mnist_root
    pipeline = [dict(type='LoadImageFromNDArray'),
                dict(type='Resize', scale=(32, 32), interpolation='bicubic'),
                dict(type='PackInputs')]
    plain = MNIST(data_root=str(root), split='test', download=False, pipeline=pipeline)
    cached = MNIST(data_root=str(root), split='test', download=False, pipeline=pipeline,
                   cache_steps='auto')
    assert cached.cache_summary() == (5, 5 * 32 * 32 * 3)
    import cv2
    for i in range(5):
        a, b = plain[i], cached[i]
        assert a['data_samples'].gt_label.tolist() == b['data_samples'].gt_label.tolist()
        assert b['inputs'].shape == (3, 32, 32) and bool((a['inputs'] == b['inputs']).all())
        # independent: OpenCV's bicubic resize of the grey image, in all 3 channels
        ref = cv2.resize(imgs[i], (32, 32), interpolation=cv2.INTER_CUBIC)
        for c in range(3):
            np.testing.assert_array_equal(b['inputs'][c].numpy(), ref)
    with pytest.raises(ValueError, match='would cache the random transform'):
        MNIST(data_root=str(root), split='test', download=False, cache_steps=2,
              pipeline=[dict(type='RandomFlip', prob=0.5), dict(type='PackInputs')])


def test_load_image_from_ndarray():
    from mmcls_convnext.registry import TRANSFORMS
    load = TRANSFORMS.build(dict(type='LoadImageFromNDArray'))
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    out = load(dict(img=grey))
    assert out['img'].shape == (3, 4, 3) and out['img_shape'] == (3, 4) == out['ori_shape']
    assert all((out['img'][..., c] == grey).all() for c in range(3))
    rgba = np.zeros((2, 2, 4), np.uint8)
    rgba[..., 3] = 255
    assert load(dict(img=rgba))['img'].shape == (2, 2, 3)
    with pytest.raises(ValueError, match=r'uint8 image array .*float32'):
        load(dict(img=np.zeros((2, 2), np.float32)))
    with pytest.raises(ValueError, match='got NoneType'):
        load(dict(img_path='a.png'))


def test_inference_pipeline_reads_files_for_in_memory_configs(tmp_path):
    import cv2

    from mmcls_convnext.apis.pipeline import InferencePipeline
    pipe = InferencePipeline([dict(type='LoadImageFromNDArray'),
                              dict(type='Resize', scale=(8, 8)), dict(type='PackInputs')])
    img = np.full((5, 6), 77, np.uint8)
    cv2.imwrite(str(tmp_path / 'g.png'), img)
    from_file = pipe(str(tmp_path / 'g.png'))['inputs']
    from_array = pipe(img)['inputs']
    assert from_file.shape == (3, 8, 8) and bool((from_file == from_array).all())
