"""Export Fashion-MNIST (idx files) to ImageNet-style class folders and annotation lists.

Reads the four idx files (gzipped or not) of Debian's ``dataset-fashion-mnist`` package
(``apt-get install -y dataset-fashion-mnist`` -> ``/usr/share/datasets/fashion-mnist/``) or of
any folder holding them, and writes::

    OUT/train/<class>/<index>.png     60,000 training images (or --train-per-class each)
    OUT/val/<class>/<index>.png       the 10,000 test images (or --val-per-class each)
    OUT/meta/{train,val}.txt          "<class>/<index>.png <label>" lines, paths relative to split
    OUT/meta/classes.txt              class folder names, one per line, in label order
    OUT/meta/export.json              the settings of the finished export

Labels are positions in the sorted class-folder names, so scanning the folders and reading
``meta/*.txt`` give the same class map. Re-running with the same settings does nothing;
different settings replace the earlier export. Usage::

    python tools/dataset_converters/fashion_mnist.py data/fashion_mnist [--size 32]
        [--src /usr/share/datasets/fashion-mnist] [--train-per-class N] [--val-per-class N]
"""
import argparse
import gzip
import json
import os
import os.path as osp
import shutil
import struct
import sys
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

DEFAULT_SRC = '/usr/share/datasets/fashion-mnist'
# Fashion-MNIST label order (https://github.com/zalandoresearch/fashion-mnist).
CLASS_NAMES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
               'Sneaker', 'Bag', 'Ankle boot')
SPLIT_FILES = {'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
               'val': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')}
IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
FORMAT_VERSION = 1
PROGRESS_EVERY = 10000  # images between progress lines


def safe_name(name: str) -> str:
    """A folder name without path separators or spaces: 'T-shirt/top' -> 'T-shirt_top'."""
    return ''.join(c if c.isalnum() or c in '-_.' else '_' for c in name)


def find_idx_file(src: str, stem: str) -> str:
    """``src/stem`` or ``src/stem.gz``; FileNotFoundError naming both and the apt package."""
    for candidate in (osp.join(src, stem), osp.join(src, stem + '.gz')):
        if osp.isfile(candidate):
            return candidate
    raise FileNotFoundError(
        f'Neither "{osp.join(src, stem)}" nor "{osp.join(src, stem)}.gz" exists. Install the '
        'files with `apt-get install -y dataset-fashion-mnist` (they go to '
        f'{DEFAULT_SRC}) or pass --src with a folder holding the four idx files.')


def read_idx(path: str, expected_magic: int) -> np.ndarray:
    """Read an idx file (images: (N, rows, cols) uint8; labels: (N,) uint8)."""
    opener = gzip.open if path.endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            data = f.read()
    except (OSError, EOFError) as err:
        raise ValueError(f'Cannot read "{path}": {err}. The file is corrupt or truncated.') from err
    if len(data) < 8:
        raise ValueError(f'"{path}" is too short ({len(data)} bytes) to be an idx file.')
    magic, count = struct.unpack('>II', data[:8])
    if magic != expected_magic:
        raise ValueError(f'"{path}" has magic number {magic}; expected {expected_magic} '
                         f'({"images" if expected_magic == IMAGE_MAGIC else "labels"} idx file).')
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    shape = (count,) + struct.unpack(f'>{ndim - 1}I', data[8:header])
    need = int(np.prod(shape))
    if len(data) - header != need:
        raise ValueError(f'"{path}" holds {len(data) - header} data bytes; its header '
                         f'{shape} needs {need}. The file is truncated or corrupt.')
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_split(src: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """Images (N, 28, 28) and labels (N,) of ``split`` ('train' or 'val')."""
    images_stem, labels_stem = SPLIT_FILES[split]
    images = read_idx(find_idx_file(src, images_stem), IMAGE_MAGIC)
    labels = read_idx(find_idx_file(src, labels_stem), LABEL_MAGIC)
    if len(images) != len(labels):
        raise ValueError(f'{split}: {len(images)} images but {len(labels)} labels in "{src}".')
    if labels.size and int(labels.max()) >= len(CLASS_NAMES):
        raise ValueError(f'{split}: label {int(labels.max())} found; Fashion-MNIST has '
                         f'{len(CLASS_NAMES)} classes.')
    return images, labels


def select(labels: np.ndarray, per_class: Optional[int]) -> np.ndarray:
    """Indices of the first ``per_class`` samples of each class (all when None), in file order."""
    if per_class is None:
        return np.arange(len(labels))
    keep = np.zeros(len(labels), dtype=bool)
    for label in np.unique(labels):
        keep[np.flatnonzero(labels == label)[:per_class]] = True
    return np.flatnonzero(keep)


def export_split(images: np.ndarray, labels: np.ndarray, indices: np.ndarray, split_dir: str,
                 folders: Sequence[str], label_map: Dict[int, int], size: Optional[int],
                 progress: Optional[Callable[[str], None]] = None) -> List[str]:
    """Write the PNGs of one split; returns the annotation lines.

    ``progress`` (if given) hears ``'<split>: N/M images'`` every :data:`PROGRESS_EVERY` images.
    """
    for folder in folders:
        os.makedirs(osp.join(split_dir, folder), exist_ok=True)
    lines = []
    split = osp.basename(split_dir.rstrip('/'))
    for count, idx in enumerate(indices, 1):
        img = images[idx]
        if size is not None and size != img.shape[0]:
            img = cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC)
        label = label_map[int(labels[idx])]
        rel = f'{folders[label]}/{idx:05d}.png'
        ok, buf = cv2.imencode('.png', img, [cv2.IMWRITE_PNG_COMPRESSION, 1])
        if not ok:
            raise RuntimeError(f'PNG encoding failed for {split_dir}/{rel}.')
        buf.tofile(osp.join(split_dir, rel))
        lines.append(f'{rel} {label}')
        if progress and (count % PROGRESS_EVERY == 0 or count == len(indices)):
            progress(f'{split}: {count}/{len(indices)} images written')
    return lines


def _export_intact(out_dir: str, record: dict) -> bool:
    """Do the split folders still hold as many PNGs as the record says?"""
    for split, count in record.get('counts', {}).items():
        split_dir = osp.join(out_dir, split)
        if not osp.isfile(osp.join(out_dir, 'meta', f'{split}.txt')) or not osp.isdir(split_dir):
            return False
        found = sum(len(os.listdir(osp.join(split_dir, d))) for d in os.listdir(split_dir))
        if found != count:
            return False
    return True


def convert(out_dir: str, src: str = DEFAULT_SRC, size: Optional[int] = None,
            train_per_class: Optional[int] = None, val_per_class: Optional[int] = None,
            force: bool = False, progress: Optional[Callable[[str], None]] = None) -> dict:
    """Export Fashion-MNIST to ``out_dir``; returns the export record (also meta/export.json).

    ``progress`` (e.g. ``print``) hears what is being done while the 70,000 files are written.

    Raises:
        FileNotFoundError: an idx file is missing.
        ValueError: a corrupt idx file, bad arguments, or ``out_dir`` holding other data.
    """
    for name, value in (('size', size), ('train_per_class', train_per_class),
                        ('val_per_class', val_per_class)):
        if value is not None and (not isinstance(value, int) or value < 1):
            raise ValueError(f'{name} must be a positive int or None; got {value!r}.')
    folders = sorted(safe_name(n) for n in CLASS_NAMES)
    label_map = {i: folders.index(safe_name(n)) for i, n in enumerate(CLASS_NAMES)}
    settings = dict(version=FORMAT_VERSION, size=size, train_per_class=train_per_class,
                    val_per_class=val_per_class)
    marker = osp.join(out_dir, 'meta', 'export.json')
    if osp.isfile(marker):
        with open(marker, encoding='utf-8') as f:
            previous = json.load(f)
        if (previous.get('settings') == settings and previous.get('complete') and not force
                and _export_intact(out_dir, previous)):
            return previous
    elif osp.isdir(out_dir) and os.listdir(out_dir) and not force:
        raise ValueError(f'"{out_dir}" is not empty and holds no earlier Fashion-MNIST export '
                         '(meta/export.json). Choose another folder or pass --force to write '
                         'into it (its train/, val/ and meta/ are replaced).')
    for sub in ('train', 'val', 'meta'):
        shutil.rmtree(osp.join(out_dir, sub), ignore_errors=True)
    os.makedirs(osp.join(out_dir, 'meta'))
    record = dict(settings=settings, complete=False, source=osp.abspath(src), counts={})
    with open(marker, 'w', encoding='utf-8') as f:
        json.dump(record, f)
    for split, per_class in (('train', train_per_class), ('val', val_per_class)):
        if progress:
            progress(f'{split}: reading the idx files in {src}')
        images, labels = load_split(src, split)
        indices = select(labels, per_class)
        if progress:
            progress(f'{split}: writing {len(indices)} PNGs to {osp.join(out_dir, split)}')
        lines = export_split(images, labels, indices, osp.join(out_dir, split), folders,
                             label_map, size, progress)
        with open(osp.join(out_dir, 'meta', f'{split}.txt'), 'w', encoding='utf-8') as f:
            f.write('\n'.join(lines) + '\n')
        record['counts'][split] = len(lines)
    with open(osp.join(out_dir, 'meta', 'classes.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(folders) + '\n')
    record['complete'] = True
    record['classes'] = folders
    with open(marker + '.tmp', 'w', encoding='utf-8') as f:
        json.dump(record, f, indent=2)
    os.replace(marker + '.tmp', marker)
    return record


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='output folder, e.g. data/fashion_mnist')
    parser.add_argument('--src', default=DEFAULT_SRC,
                        help=f'folder with the idx files (default: {DEFAULT_SRC})')
    parser.add_argument('--size', type=int, default=None,
                        help='resize the 28x28 images to SIZE x SIZE (bicubic)')
    parser.add_argument('--train-per-class', type=int, default=None,
                        help='keep the first N training images of each class')
    parser.add_argument('--val-per-class', type=int, default=None,
                        help='keep the first N test images of each class')
    parser.add_argument('--force', action='store_true',
                        help='re-export even if done, or write into a non-empty folder')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    start = time.perf_counter()

    def progress(message: str) -> None:
        print(f'[+{time.perf_counter() - start:5.1f} s] {message}', flush=True)
    try:
        record = convert(args.out_dir, args.src, args.size, args.train_per_class,
                         args.val_per_class, args.force, progress)
    except (FileNotFoundError, ValueError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    counts = record['counts']
    print(f'Fashion-MNIST in {args.out_dir}: {counts.get("train")} train / {counts.get("val")} '
          f'val images, {len(record["classes"])} classes ({time.perf_counter() - start:.1f} s).')
    return 0


if __name__ == '__main__':
    sys.exit(main())
