"""The 'torch' resize backend: Pillow's antialiased filters on torch's uint8 kernels.

Reference: Pillow's own ``Image.resize`` (what timm's RandomResizedCrop calls) on the same crop.
"""
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from mmcls_convnext.datasets.transforms import (
    ImageDecodeError,
    LoadImageFromFile,
    RandomResizedCrop,
    ResizeEdge,
)
from mmcls_convnext.datasets.transforms.lazy_image import EncodedImage
from mmcls_convnext.datasets.transforms.torch_resize import decode_bgr, resize_hwc

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / 'demo' / 'demo.JPEG'


@pytest.fixture(scope='module')
def rgb() -> np.ndarray:
    with Image.open(DEMO) as im:
        return np.asarray(im.convert('RGB'))


def pil_reference(rgb, box, size, interpolation='bicubic') -> np.ndarray:
    resample = dict(bicubic=Image.BICUBIC, bilinear=Image.BILINEAR)[interpolation]
    return np.asarray(Image.fromarray(rgb).crop(box).resize(size, resample)).astype(int)


@pytest.mark.parametrize('interpolation', ['bicubic', 'bilinear'])
@pytest.mark.parametrize('box,size', [
    ((0, 0, 451, 300), (224, 224)),  # whole photo, shrunk
    ((40, 30, 370, 280), (224, 224)),  # a typical crop of the recipe
    ((5, 7, 230, 300), (224, 224)),  # ~identity in x, shrink in y
    ((10, 10, 110, 90), (224, 224)),  # enlarged
    ((100, 20, 160, 290), (32, 48)),  # tall crop, strong reduction
])
def test_torch_resize_is_pillows_within_rounding(rgb, box, size, interpolation):
    ours = resize_hwc(rgb, size, interpolation, box).astype(int)
    ref = pil_reference(rgb, box, size, interpolation)
    diff = np.abs(ours - ref)
    assert ours.shape == ref.shape
    assert diff.max() <= 2 and diff.mean() < 0.25
    # the check sees a misplaced crop: the same box one pixel to the right
    shifted = pil_reference(rgb, (box[0] + 1, box[1], box[2] + 1, box[3]), size, interpolation)
    assert np.abs(ours - shifted).mean() > 2 * diff.mean()


def test_full_decode_is_pillows_and_the_loaders(tmp_path):
    for name, img in [('colour.jpg', cv2.imread(str(DEMO))),
                      ('grey.jpg', cv2.imread(str(DEMO), cv2.IMREAD_GRAYSCALE))]:
        path = str(tmp_path / name)
        cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        encoded = LoadImageFromFile(lazy_decode=True)(dict(img_path=path))['img']
        assert isinstance(encoded, EncodedImage)
        with Image.open(path) as im:
            ref = np.asarray(im.convert('RGB'))
        np.testing.assert_array_equal(decode_bgr(encoded)[..., ::-1], ref)


def test_corrupt_jpeg_names_the_file(tmp_path):
    data = (tmp_path / 'ok.jpg')
    cv2.imwrite(str(data), cv2.imread(str(DEMO)))
    raw = data.read_bytes()
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(raw[:400] + b'\x00' * 64 + raw[400:2000])
    encoded = LoadImageFromFile(lazy_decode=True)(dict(img_path=str(bad)))['img']
    with pytest.raises(ImageDecodeError, match='bad.jpg'):
        RandomResizedCrop(32, backend='torch', interpolation='bicubic')(dict(img=encoded))


@pytest.mark.parametrize('kind', ['array', 'pil', 'encoded'])
def test_input_kinds_give_the_same_pixels(tmp_path, kind):
    path = str(tmp_path / 'p.jpg')
    cv2.imwrite(path, cv2.resize(cv2.imread(str(DEMO)), (300, 200)),
                [cv2.IMWRITE_JPEG_QUALITY, 90])
    bgr = LoadImageFromFile()(dict(img_path=path))['img']
    img = dict(array=bgr, pil=Image.fromarray(bgr[..., ::-1].copy()),
               encoded=LoadImageFromFile(lazy_decode=True)(dict(img_path=path))['img'])[kind]
    # no reduced-scale decode here (that takes Pillow's kernel: test_lazy_decode.py)
    t = RandomResizedCrop(56, backend='torch', interpolation='bicubic', reduced_decode=False)
    random.seed(4)
    out = t(dict(img=img))['img']
    random.seed(4)
    ref = t(dict(img=bgr))['img']  # arrays stay BGR arrays
    assert isinstance(ref, np.ndarray) and ref.shape == (56, 56, 3)
    if kind == 'pil':  # a PIL image stays one; an encoded image decodes to a BGR array
        assert isinstance(out, Image.Image) and out.mode == 'RGB'
        out = np.asarray(out)[..., ::-1]
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, ref)


def test_grey_arrays_and_resize_edge():
    grey = np.arange(40 * 30, dtype=np.uint8).reshape(30, 40)
    assert resize_hwc(grey, (20, 15), 'bilinear').shape == (15, 20)
    assert resize_hwc(grey[..., None], (20, 15), 'bilinear').shape == (15, 20, 1)
    out = ResizeEdge(16, backend='torch', interpolation='bicubic')(dict(img=grey))
    assert out['img'].shape == (16, 21) and out['img_shape'] == (16, 21)


def test_non_uint8_is_refused():
    with pytest.raises(TypeError, match="backend='torch' resizes uint8 images; got float32"):
        resize_hwc(np.zeros((8, 8, 3), np.float32), (4, 4), 'bicubic')


def test_reduced_decode_only_from_a_quarter_scale(tmp_path):
    """1/2-scale decodes do not pay with torch's resize (see MIN_DRAFT_SCALE); from 1/4 on the
    JPEG is decoded small and resized by Pillow: the same region at a bounded loss."""
    path = str(tmp_path / 'big.jpg')
    big = cv2.resize(cv2.imread(str(DEMO)), (1800, 1200), interpolation=cv2.INTER_CUBIC)
    cv2.imwrite(path, big, [cv2.IMWRITE_JPEG_QUALITY, 90])
    bgr = LoadImageFromFile()(dict(img_path=path))['img']
    for box, reduced in (((0, 0, 1800, 1200), True), ((100, 50, 700, 550), False)):
        crop = RandomResizedCrop(224, backend='torch', interpolation='bicubic')
        crop.get_params = lambda h, w, box=box: (box[1], box[0], box[3] - box[1], box[2] - box[0])
        encoded = LoadImageFromFile(lazy_decode=True)(dict(img_path=path))['img']
        out = crop(dict(img=encoded))['img']
        ref = resize_hwc(bgr, (224, 224), 'bicubic', box)
        assert isinstance(out, Image.Image) == reduced
        out = np.asarray(out)[..., ::-1] if reduced else out
        if reduced:
            err = np.mean((out.astype(float) - ref) ** 2)
            assert 10 * np.log10(255 ** 2 / err) > 38
        else:
            np.testing.assert_array_equal(out, ref)
