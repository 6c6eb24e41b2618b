"""Helpers for dataset and transform tests: tiny image files written under tmp_path."""
import os
import os.path as osp
import random

import numpy as np
import pytest
from PIL import Image


def write_image(path: str, height: int = 12, width: int = 16, seed: int = 0,
                mode: str = 'RGB') -> np.ndarray:
    """Write a random image file (format from the extension); returns its RGB/L pixels."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    rng = np.random.default_rng(seed)
    channels = {'RGB': 3, 'L': 1}[mode]
    pixels = rng.integers(0, 256, (height, width, channels), dtype=np.uint8)
    pixels = pixels[..., 0] if channels == 1 else pixels
    Image.fromarray(pixels).save(path)
    return pixels


@pytest.fixture(autouse=True)
def _seed_random():
    random.seed(0)
    np.random.seed(0)


@pytest.fixture
def class_tree(tmp_path):
    """root/{cat,dog,bird}/...: 2 images each, one nested; plus files that must be ignored."""
    root = tmp_path / 'data'
    write_image(str(root / 'cat' / 'a.jpg'), seed=1)
    write_image(str(root / 'cat' / 'nested' / 'deeper' / 'b.png'), seed=2)
    write_image(str(root / 'dog' / 'c.JPEG'), seed=3)
    write_image(str(root / 'dog' / 'd.png'), seed=4)
    write_image(str(root / 'bird' / 'e.png'), seed=5)
    write_image(str(root / 'bird' / 'f.bmp'), seed=6)
    (root / 'cat' / '.DS_Store').write_bytes(b'\x00\x01junk')
    (root / 'dog' / 'notes.txt').write_text('not an image')
    (root / '.DS_Store').write_bytes(b'junk')
    write_image(str(root / '.hidden' / 'x.png'), seed=7)
    write_image(str(root / 'cat' / '._a.jpg'), seed=8)  # macOS resource fork: hidden
    return root


@pytest.fixture
def image_writer():
    """The ``write_image`` helper, for test modules in sub-folders."""
    return write_image
