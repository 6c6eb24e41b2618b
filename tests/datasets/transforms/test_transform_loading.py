"""LoadImageFromFile: every image kind decodes to 3-channel uint8 BGR; bad files name the path."""
import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from mmcls_convnext.datasets.transforms import ImageDecodeError, LoadImageFromFile
from mmcls_convnext.registry import TRANSFORMS


def load(path) -> np.ndarray:
    results = LoadImageFromFile()(dict(img_path=str(path)))
    img = results['img']
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    assert results['ori_shape'] == results['img_shape'] == img.shape[:2]
    return img


@pytest.fixture
def rgb():
    return np.random.default_rng(0).integers(0, 256, (10, 14, 3), dtype=np.uint8)


def test_registered():
    assert TRANSFORMS.get('LoadImageFromFile') is LoadImageFromFile


def test_rgb_png_is_bgr(tmp_path, rgb):
    Image.fromarray(rgb).save(tmp_path / 'a.png')
    np.testing.assert_array_equal(load(tmp_path / 'a.png'), rgb[..., ::-1])


def test_grey_gives_three_equal_channels(tmp_path, rgb):
    Image.fromarray(rgb[..., 0]).save(tmp_path / 'g.png')
    img = load(tmp_path / 'g.png')
    for c in range(3):
        np.testing.assert_array_equal(img[..., c], rgb[..., 0])


def test_rgba_drops_alpha(tmp_path, rgb):
    alpha = np.full(rgb.shape[:2], 77, np.uint8)
    Image.fromarray(np.dstack([rgb, alpha])).save(tmp_path / 'a.png')
    np.testing.assert_array_equal(load(tmp_path / 'a.png'), rgb[..., ::-1])


def test_palette_matches_pil_rgb(tmp_path, rgb):
    Image.fromarray(rgb).convert('P').save(tmp_path / 'p.png')
    expected = np.asarray(Image.open(tmp_path / 'p.png').convert('RGB'))
    np.testing.assert_array_equal(load(tmp_path / 'p.png'), expected[..., ::-1])


def test_16bit_grey_png_scales_to_8bit(tmp_path, rgb):
    Image.fromarray(rgb[..., 1].astype(np.uint16) * 257).save(tmp_path / 'g16.png')
    assert Image.open(tmp_path / 'g16.png').mode.startswith('I;16')
    img = load(tmp_path / 'g16.png')
    np.testing.assert_array_equal(img[..., 0], rgb[..., 1])


def test_16bit_colour_png(tmp_path, rgb):
    cv2.imwrite(str(tmp_path / 'c16.png'), rgb.astype(np.uint16) * 257)  # written as BGR
    np.testing.assert_array_equal(load(tmp_path / 'c16.png'), rgb)


@pytest.mark.parametrize('orientation', [3, 6, 8])
def test_exif_orientation_applied(tmp_path, orientation):
    # Big flat blocks survive JPEG compression, so orientation is checkable exactly.
    img = np.zeros((16, 32, 3), np.uint8)
    img[:8, :16] = (255, 0, 0)
    img[8:, 16:] = (0, 0, 255)
    pil = Image.fromarray(img)
    exif = pil.getexif()
    exif[0x0112] = orientation
    pil.save(tmp_path / 'e.jpg', exif=exif, quality=95)
    expected = np.asarray(ImageOps.exif_transpose(Image.open(tmp_path / 'e.jpg')))
    out = load(tmp_path / 'e.jpg')
    assert out.shape == expected.shape
    assert np.abs(out.astype(int) - expected[..., ::-1]).max() <= 2


def test_missing_file_names_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'nope\.jpg" does not exist'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'nope.jpg')))


def test_zero_byte_file(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    with pytest.raises(ImageDecodeError, match=r'empty\.jpg".*empty \(0 bytes\)'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'empty.jpg')))


@pytest.mark.parametrize('ext', ['.jpg', '.png'])
def test_truncated_file(tmp_path, rgb, ext):
    big = np.kron(rgb, np.ones((8, 8, 1), np.uint8))
    Image.fromarray(big).save(tmp_path / f'full{ext}')
    data = (tmp_path / f'full{ext}').read_bytes()
    (tmp_path / f'cut{ext}').write_bytes(data[:len(data) // 2])
    with pytest.raises(ImageDecodeError, match=r'cut\.(jpg|png)".*corrupt, truncated'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / f'cut{ext}')))


def test_text_file_with_image_extension(tmp_path):
    (tmp_path / 'fake.png').write_text('this is not a png')
    with pytest.raises(ValueError, match=r'Cannot decode image ".*fake\.png".*skip_bad_images'):
        LoadImageFromFile()(dict(img_path=str(tmp_path / 'fake.png')))


def test_ignore_empty_returns_none(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    assert LoadImageFromFile(ignore_empty=True)(dict(img_path=str(tmp_path / 'empty.jpg'))) is None
