"""Tiny datasets written in their publishers' formats, for the tests that run configs through
the tools: CIFAR-10/100 ("python version" pickled batches), CUB-200-2011 (images + the three
id lists), (Fashion-)MNIST (gzipped idx files), DeepFashion In-shop (images + the partition
list) and ImageNet-21k (the ImageNet layout, via
:func:`tool_runs.make_tiny_imagenet`).

The CIFAR classes check each batch against the published md5; test-made batches cannot have
it, so a run on them imports :mod:`made_cifar_md5` (``custom_imports``), which replaces the
published md5s by those of the files written here (read from ``MMCLS_TEST_CIFAR_MD5``).
"""
import gzip
import hashlib
import json
import pickle
from pathlib import Path
from typing import Dict

import numpy as np
from PIL import Image

CIFAR_LAYOUT = {  # base folder, train files, test files, meta file, meta key, label key
    'CIFAR10': ('cifar-10-batches-py', ['data_batch_1', 'data_batch_2', 'data_batch_3',
                                        'data_batch_4', 'data_batch_5'], ['test_batch'],
                'batches.meta', 'label_names', 'labels', 10),
    'CIFAR100': ('cifar-100-python', ['train'], ['test'], 'meta', 'fine_label_names',
                 'fine_labels', 100),
}


def _class_images(rng, labels, size):
    """One image per label: a colour that depends on the label, plus noise (uint8 HWC RGB)."""
    out = []
    for label in labels:
        colour = np.array([(label * 37) % 256, (label * 91) % 256, (label * 53) % 256], float)
        out.append(np.clip(colour + rng.normal(0, 20, (size, size, 3)), 0, 255)
                   .astype(np.uint8))
    return np.stack(out)


def make_cifar(root: Path, kind: str = 'CIFAR10', per_file: int = 2, seed: int = 0) -> Dict:
    """Write ``root/<base folder>/`` as in the published archive; returns {file: md5}."""
    folder, train, test, meta, meta_key, label_key, num_classes = CIFAR_LAYOUT[kind]
    rng = np.random.default_rng(seed)
    (root / folder).mkdir(parents=True, exist_ok=True)
    md5s = {}
    for i, name in enumerate(train + test):
        labels = [(i * per_file + j) % num_classes for j in range(per_file)]
        imgs = _class_images(rng, labels, 32)
        entry = {'batch_label': name, 'data': imgs.transpose(0, 3, 1, 2).reshape(per_file, -1),
                 label_key: labels, 'filenames': [f'{name}_{j}.png' for j in range(per_file)]}
        if kind == 'CIFAR100':
            entry['coarse_labels'] = [label // 5 for label in labels]
        with open(root / folder / name, 'wb') as f:
            pickle.dump(entry, f, protocol=2)
    with open(root / folder / meta, 'wb') as f:
        pickle.dump({meta_key: [f'class{c}' for c in range(num_classes)]}, f, protocol=2)
    for path in sorted((root / folder).iterdir()):
        md5s[path.name] = hashlib.md5(path.read_bytes()).hexdigest()
    return md5s


def cifar_md5_env(md5s_by_kind: Dict[str, Dict[str, str]]) -> Dict[str, str]:
    """The environment that tells :mod:`made_cifar_md5` the md5s of the written files."""
    return {'MMCLS_TEST_CIFAR_MD5': json.dumps(md5s_by_kind)}


def make_cub(root: Path, classes: int = 3, train_per_class: int = 1, test_per_class: int = 1,
             size=(40, 48), seed: int = 0) -> Path:
    """``root`` as the extracted CUB_200_2011 folder: images/<id>.<name>/*.jpg and the lists
    images.txt, image_class_labels.txt (1-based class ids), train_test_split.txt."""
    rng = np.random.default_rng(seed)
    images, labels, split = [], [], []
    image_id = 0
    for label in range(classes):
        folder = f'{label + 1:03d}.Bird_{label}'
        (root / 'images' / folder).mkdir(parents=True, exist_ok=True)
        for i in range(train_per_class + test_per_class):
            image_id += 1
            colour = np.array([(label * 37) % 256, (label * 91) % 256, (label * 53) % 256])
            img = np.clip(colour + rng.normal(0, 20, size + (3, )), 0, 255).astype(np.uint8)
            name = f'{folder}/Bird_{label}_{i}.jpg'
            Image.fromarray(img).save(root / 'images' / name, quality=90)
            images.append(f'{image_id} {name}')
            labels.append(f'{image_id} {label + 1}')
            split.append(f'{image_id} {1 if i < train_per_class else 0}')
    for fname, lines in (('images.txt', images), ('image_class_labels.txt', labels),
                         ('train_test_split.txt', split)):
        (root / fname).write_text('\n'.join(lines) + '\n')
    return root


def _idx(array: np.ndarray) -> bytes:
    """An idx file of a uint8 array: magic 0x0000 08 <ndim>, big-endian sizes, the bytes."""
    header = bytes([0, 0, 8, array.ndim]) + b''.join(int(d).to_bytes(4, 'big')
                                                      for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_mnist(root: Path, train: int = 4, test: int = 4, seed: int = 0) -> Path:
    """The four published ``.gz`` idx files of (Fashion-)MNIST in ``root``."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    for prefix, count in (('train', train), ('t10k', test)):
        labels = np.arange(count) % 10
        imgs = np.clip(labels[:, None, None] * 25 + rng.normal(0, 20, (count, 28, 28)), 0, 255)
        (root / f'{prefix}-images-idx3-ubyte.gz').write_bytes(gzip.compress(_idx(imgs)))
        (root / f'{prefix}-labels-idx1-ubyte.gz').write_bytes(gzip.compress(_idx(labels)))
    return root


def make_inshop(root: Path, items: int = 3, per_split=(1, 1, 1), size=(48, 40),
                seed: int = 0) -> Path:
    """``root`` as the In-shop Clothes Retrieval Benchmark: ``Img/img/<GENDER>/<category>/
    <item id>/<nn>_<view>.jpg`` and ``Eval/list_eval_partition.txt`` (a count line, a header
    line, then "<image> <item id> <train|query|gallery>"). Each item has ``per_split`` images
    (train, query, gallery); train items are numbered apart from the query/gallery ones, as in
    the published split (the benchmark's train and test items do not overlap)."""
    rng = np.random.default_rng(seed)
    rows = []
    for status, count in zip(('train', 'query', 'gallery'), per_split):
        for item in range(items):
            number = item if status == 'train' else items + item
            gender, category = ('MEN', 'Denim') if number % 2 else ('WOMEN', 'Dresses')
            folder = Path('img') / gender / category / f'id_{number:08d}'
            (root / 'Img' / folder).mkdir(parents=True, exist_ok=True)
            colour = np.array([(number * 37) % 256, (number * 91) % 256, (number * 53) % 256])
            for view in range(count):
                img = np.clip(colour + rng.normal(0, 20, size + (3, )), 0, 255).astype(np.uint8)
                name = folder / f'{len(rows) + 1:02d}_{view + 1}_{status}.jpg'
                Image.fromarray(img).save(root / 'Img' / name, quality=90)
                rows.append(f'{name.as_posix()} id_{number:08d} {status}')
    (root / 'Eval').mkdir(parents=True, exist_ok=True)
    (root / 'Eval' / 'list_eval_partition.txt').write_text(
        f'{len(rows)}\nimage_name item_id evaluation_status\n' + '\n'.join(rows) + '\n')
    return root
