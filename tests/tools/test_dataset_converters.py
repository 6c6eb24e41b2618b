"""tools/dataset_converters/fashion_mnist.py on tiny idx files written by the tests."""
import gzip
import importlib.util
import os
import struct
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location(
    'fashion_mnist_converter', ROOT / 'tools' / 'dataset_converters' / 'fashion_mnist.py')
fm = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fm)


def write_idx(path: Path, array: np.ndarray, magic: int, gz: bool) -> None:
    header = struct.pack('>II', magic, len(array)) + b''.join(
        struct.pack('>I', d) for d in array.shape[1:])
    data = header + array.astype(np.uint8).tobytes()
    if gz:
        with gzip.open(str(path) + '.gz', 'wb') as f:
            f.write(data)
    else:
        path.write_bytes(data)


def make_source(folder: Path, n_train: int = 30, n_val: int = 20, gz: bool = True):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    out = {}
    for split, n in (('train', n_train), ('val', n_val)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        img_stem, lab_stem = fm.SPLIT_FILES[split]
        write_idx(folder / img_stem, images, fm.IMAGE_MAGIC, gz)
        write_idx(folder / lab_stem, labels, fm.LABEL_MAGIC, gz)
        out[split] = (images, labels)
    return out


@pytest.mark.parametrize('gz', [True, False])
def test_export_layout_pixels_and_labels(tmp_path, gz):
    data = make_source(tmp_path / 'src', gz=gz)
    record = fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'))
    assert record['counts'] == {'train': 30, 'val': 20} and record['complete']
    classes = (tmp_path / 'out' / 'meta' / 'classes.txt').read_text().split()
    assert classes == sorted(classes) and 'T-shirt_top' in classes and 'Ankle_boot' in classes
    lines = (tmp_path / 'out' / 'meta' / 'val.txt').read_text().splitlines()
    assert len(lines) == 20
    from PIL import Image
    images, labels = data['val']
    for line in lines:
        rel, label = line.rsplit(' ', 1)
        idx = int(rel.split('/')[1][:-4])
        assert rel.split('/')[0] == classes[int(label)]
        assert classes[int(label)] == fm.safe_name(fm.CLASS_NAMES[labels[idx]])
        pixels = np.asarray(Image.open(tmp_path / 'out' / 'val' / rel))
        np.testing.assert_array_equal(pixels, images[idx])


def test_folder_and_annotation_class_maps_agree(tmp_path):
    from mmcls_convnext.datasets import CustomDataset, check_class_maps
    make_source(tmp_path / 'src')
    fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'))
    by_folder = CustomDataset(data_root=str(tmp_path / 'out'), data_prefix='train')
    by_list = CustomDataset(data_root=str(tmp_path / 'out'), data_prefix='train',
                            ann_file='meta/train.txt', classes='meta/classes.txt')
    check_class_maps(by_folder, by_list)
    def samples(ds):
        return sorted((ds.get_data_info(i)['img_path'], ds.get_data_info(i)['gt_label'])
                      for i in range(len(ds)))

    assert samples(by_folder) == samples(by_list)


def test_resize_and_per_class_limit(tmp_path):
    make_source(tmp_path / 'src')
    record = fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'), size=32,
                        train_per_class=2, val_per_class=1)
    assert record['counts'] == {'train': 20, 'val': 10}
    from PIL import Image
    first = next((tmp_path / 'out' / 'train').rglob('*.png'))
    assert Image.open(first).size == (32, 32)


def test_idempotent_and_settings_change(tmp_path):
    make_source(tmp_path / 'src')
    fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'), train_per_class=2)
    some = next((tmp_path / 'out' / 'train').rglob('*.png'))
    os.utime(some, (1, 1))
    fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'), train_per_class=2)
    assert some.stat().st_mtime == 1  # nothing rewritten
    some.unlink()  # a damaged export is redone
    fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'), train_per_class=2)
    assert some.exists()
    record = fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'), train_per_class=1)
    assert record['counts']['train'] == 10
    assert len(list((tmp_path / 'out' / 'train').rglob('*.png'))) == 10  # old files gone


def test_refuses_foreign_folder(tmp_path):
    make_source(tmp_path / 'src')
    (tmp_path / 'out').mkdir()
    (tmp_path / 'out' / 'precious.txt').write_text('x')
    with pytest.raises(ValueError, match='is not empty and holds no earlier Fashion-MNIST'):
        fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'))
    fm.convert(str(tmp_path / 'out'), str(tmp_path / 'src'), force=True)
    assert (tmp_path / 'out' / 'precious.txt').exists()


def test_missing_and_corrupt_files(tmp_path):
    with pytest.raises(FileNotFoundError, match='train-images-idx3-ubyte.gz" exists.*apt-get'):
        fm.convert(str(tmp_path / 'out'), str(tmp_path / 'nothing'))
    make_source(tmp_path / 'src', gz=False)
    labels = tmp_path / 'src' / 'train-labels-idx1-ubyte'
    labels.write_bytes(labels.read_bytes()[:-3])
    with pytest.raises(ValueError, match='train-labels-idx1-ubyte" holds 27 data bytes'):
        fm.load_split(str(tmp_path / 'src'), 'train')
    images = tmp_path / 'src' / 't10k-images-idx3-ubyte'
    write_idx(images, np.zeros((2, 3)), fm.LABEL_MAGIC, gz=False)
    with pytest.raises(ValueError, match='has magic number 2049; expected 2051'):
        fm.load_split(str(tmp_path / 'src'), 'val')


def test_cli(tmp_path, capsys):
    make_source(tmp_path / 'src')
    assert fm.main([str(tmp_path / 'out'), '--src', str(tmp_path / 'src'), '--size', '32']) == 0
    assert '30 train / 20 val images, 10 classes' in capsys.readouterr().out
    assert fm.main([str(tmp_path / 'out2'), '--src', str(tmp_path / 'none')]) == 1
    assert 'error: Neither' in capsys.readouterr().err
    assert fm.main([str(tmp_path / 'out3'), '--src', str(tmp_path / 'src'), '--size', '0']) == 1
    assert 'size must be a positive int' in capsys.readouterr().err


def test_cli_prints_progress(tmp_path, capsys, monkeypatch):
    make_source(tmp_path / 'src')
    monkeypatch.setattr(fm, 'PROGRESS_EVERY', 10)
    assert fm.main([str(tmp_path / 'out'), '--src', str(tmp_path / 'src')]) == 0
    lines = capsys.readouterr().out.splitlines()
    steps = [line.split('] ', 1)[1] for line in lines if line.startswith('[+')]
    assert steps == [
        f'train: reading the idx files in {tmp_path / "src"}',
        f'train: writing 30 PNGs to {tmp_path / "out" / "train"}',
        'train: 10/30 images written', 'train: 20/30 images written',
        'train: 30/30 images written',
        f'val: reading the idx files in {tmp_path / "src"}',
        f'val: writing 20 PNGs to {tmp_path / "out" / "val"}',
        'val: 10/20 images written', 'val: 20/20 images written']


@pytest.mark.skipif(not os.path.isdir(fm.DEFAULT_SRC), reason='dataset-fashion-mnist not installed')
def test_real_package_headers():
    images, labels = fm.load_split(fm.DEFAULT_SRC, 'val')
    assert images.shape == (10000, 28, 28) and np.bincount(labels).tolist() == [1000] * 10
