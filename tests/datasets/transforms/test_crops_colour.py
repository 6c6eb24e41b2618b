"""RandomCrop, the EfficientNet crops, ColorJitter and Lighting: positions, ranges and pixels
against independent numpy / PIL / OpenCV computations."""
from unittest.mock import patch

import cv2
import numpy as np
import pytest
from PIL import Image, ImageEnhance

from mmcls_convnext.datasets import DataConfigError
from mmcls_convnext.registry import TRANSFORMS

RNG = np.random.RandomState(7)
IMG = RNG.randint(0, 256, (30, 40, 3), np.uint8)


def build(**cfg):
    return TRANSFORMS.build(cfg)


def run(transform, img, seed=None):
    if seed is None:
        return transform(dict(img=img.copy()))
    with patch('numpy.random', np.random.RandomState(seed)):
        return transform(dict(img=img.copy()))


# ------------------------------------------------------------------ RandomCrop
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_random_crop_window_is_the_seeded_draw(seed):
    out = run(build(type='RandomCrop', crop_size=(10, 15)), IMG, seed)['img']
    draws = np.random.RandomState(seed)
    top, left = draws.randint(0, 30 - 10 + 1), draws.randint(0, 40 - 15 + 1)
    np.testing.assert_array_equal(out, IMG[top:top + 10, left:left + 15])


def test_random_crop_positions_are_uniform():
    transform = build(type='RandomCrop', crop_size=2)
    img = np.arange(16, dtype=np.uint8).reshape(4, 4)
    counts = {}
    np.random.seed(0)
    for _ in range(4500):
        corner = int(transform(dict(img=img))['img'][0, 0])
        counts[corner] = counts.get(corner, 0) + 1
    # 9 positions (corners 0,1,2,4,5,6,8,9,10), 500 expected each; 5 sigma is ~ +-110
    assert sorted(counts) == [0, 1, 2, 4, 5, 6, 8, 9, 10]
    assert all(abs(c - 500) < 110 for c in counts.values()), counts


@pytest.mark.parametrize('mode', ['constant', 'edge', 'reflect', 'symmetric'])
def test_random_crop_padding_is_numpy_pad(mode):
    # left 2, top 3, right 4, bottom 5; the window covers the whole padded image
    transform = build(type='RandomCrop', crop_size=(30 + 8, 40 + 6), padding=(2, 3, 4, 5),
                      pad_val=(1, 2, 3), padding_mode=mode)
    out = run(transform, IMG)['img']
    widths = ((3, 5), (2, 4), (0, 0))
    if mode == 'constant':
        expected = np.stack([np.pad(IMG[..., c], widths[:2], constant_values=c + 1)
                             for c in range(3)], axis=-1)
    else:
        expected = np.pad(IMG, widths, mode=mode)
    np.testing.assert_array_equal(out, expected)


def test_random_crop_pad_if_needed_and_oversized_window():
    out = run(build(type='RandomCrop', crop_size=50, pad_if_needed=True), IMG, 0)['img']
    assert out.shape == (50, 50, 3)
    # 50 rows needed: 10 per side; 50 columns: 5 per side -> the image sits at (10, 5)
    np.testing.assert_array_equal(out[10:40, 5:45], IMG)
    assert out[:10].max() == 0
    out = run(build(type='RandomCrop', crop_size=50), IMG, 0)
    assert out['img'].shape == (30, 40, 3) and out['img_shape'] == (30, 40)


@pytest.mark.parametrize('cfg, match', [
    (dict(crop_size=0), 'must be positive'),
    (dict(crop_size=4, padding=(1, 2, 3)), 'padding must be None'),
    (dict(crop_size=4, padding_mode='wrap'), "padding_mode must be one of"),
    (dict(crop_size=4, pad_val=(1, 2)), 'pad_val must be'),
])
def test_random_crop_errors(cfg, match):
    with pytest.raises((DataConfigError, TypeError), match=match):
        build(type='RandomCrop', **cfg)


# ------------------------------------------------------------ EfficientNet crops
def efficientnet_box(h, w, size=224, padding=32):
    side = size / (size + padding) * min(h, w)
    top, left = int(round((h - side) / 2)), int(round((w - side) / 2))
    return top, left, int(side)


def test_efficientnet_center_crop_is_crop_then_resize():
    img = np.random.RandomState(1).randint(0, 256, (300, 400, 3), np.uint8)
    top, left, side = efficientnet_box(300, 400)
    assert (top, left, side) == (19, 69, 262)  # 224 / 256 * 300 = 262.5
    expected = cv2.resize(img[top:top + side, left:left + side], (224, 224),
                          interpolation=cv2.INTER_CUBIC)
    out = run(build(type='EfficientNetCenterCrop', crop_size=224), img)
    np.testing.assert_array_equal(out['img'], expected)
    assert out['img_shape'] == (224, 224)
    # 256 x 256 with the defaults: the 224 centre, no resampling
    img = np.random.RandomState(2).randint(0, 256, (256, 256, 3), np.uint8)
    out = run(build(type='EfficientNetCenterCrop', crop_size=224, backend='pillow'), img)
    np.testing.assert_array_equal(out['img'], img[16:240, 16:240])


def test_efficientnet_random_crop_falls_back_to_the_center_crop():
    img = np.random.RandomState(1).randint(0, 256, (300, 400, 3), np.uint8)
    random_crop = build(type='EfficientNetRandomCrop', scale=224, max_attempts=0)
    center = build(type='EfficientNetCenterCrop', crop_size=224)
    np.testing.assert_array_equal(run(random_crop, img)['img'], run(center, img)['img'])


def test_efficientnet_random_crop_obeys_its_bounds():
    transform = build(type='EfficientNetRandomCrop', scale=32, crop_ratio_range=(0.2, 0.6),
                      aspect_ratio_range=(0.5, 2.0), min_covered=0.3)
    h, w = 120, 160
    np.random.seed(3)
    top_c, left_c, side_c = efficientnet_box(h, w, 32, 32)
    areas = []
    for _ in range(400):
        top, left, ch, cw = transform.get_params(h, w)
        assert 0 <= top <= h - ch and 0 <= left <= w - cw
        area = ch * cw / (h * w)
        if (top, left, ch, cw) == (top_c, left_c, side_c, side_c):  # fallback: no draw fit
            continue
        assert 0.3 - 1e-9 <= area <= 0.6 + 1e-9  # min_covered raises the lower bound
        assert 0.5 - 0.05 <= cw / ch <= 2.0 + 0.05  # the ratio up to pixel rounding
        areas.append(area)
    assert len(areas) > 350 and max(areas) > 0.55 and min(areas) < 0.35


@pytest.mark.parametrize('cfg', [dict(type='EfficientNetRandomCrop', scale=(4, 4)),
                                 dict(type='EfficientNetRandomCrop', scale=4, min_covered=-1),
                                 dict(type='EfficientNetCenterCrop', crop_size=4,
                                      crop_padding=-1)])
def test_efficientnet_errors(cfg):
    with pytest.raises((DataConfigError, TypeError), match='scale must be an int|no less'):
        TRANSFORMS.build(cfg)


# ------------------------------------------------------------------ ColorJitter
def test_color_jitter_ranges_and_order():
    transform = build(type='ColorJitter', brightness=0.4, contrast=(0.5, 0.9), saturation=0,
                      hue=0.1)
    assert transform.brightness == (0.6, 1.4) and transform.saturation is None
    assert transform.hue == (-0.1, 0.1)
    np.random.seed(0)
    draws = [transform._rand_params.__wrapped__(transform) for _ in range(3000)]
    for order, factors in draws[:20]:
        assert sorted(order) == [0, 1, 2, 3] and factors[2] is None
    b = np.array([f[0] for _, f in draws])
    c = np.array([f[1] for _, f in draws])
    h = np.array([f[3] for _, f in draws])
    assert 0.6 <= b.min() and b.max() <= 1.4 and abs(b.mean() - 1.0) < 0.02
    assert 0.5 <= c.min() and c.max() <= 0.9 and abs(c.mean() - 0.7) < 0.01
    assert -0.1 <= h.min() and h.max() <= 0.1 and abs(h.mean()) < 0.005


def test_color_jitter_brightness_is_pil_enhance():
    transform = build(type='ColorJitter', brightness=0.5)
    out = run(transform, IMG, seed=5)['img']
    draws = np.random.RandomState(5)
    draws.permutation(4)
    factor = draws.uniform(0.5, 1.5)
    rgb = Image.fromarray(np.ascontiguousarray(IMG[..., ::-1]))
    expected = np.asarray(ImageEnhance.Brightness(rgb).enhance(factor))[..., ::-1]
    np.testing.assert_array_equal(out, expected)


def test_color_jitter_errors():
    with pytest.raises(DataConfigError, match='min <= max'):
        build(type='ColorJitter', brightness=(1.5, 0.5))
    with pytest.raises(ValueError, match='single number, it must be non negative'):
        build(type='ColorJitter', contrast=-1)
    with pytest.raises(DataConfigError, match="backend must be one of \\('cv2', 'pillow'\\)"):
        build(type='ColorJitter', brightness=0.1, backend='torch')


# --------------------------------------------------------------------- Lighting
EIGVAL = [0.2175, 0.0188, 0.0045]
EIGVEC = [[-0.5836, -0.6948, 0.4203], [-0.5808, -0.0045, -0.814], [-0.5675, 0.7192, 0.4009]]


@pytest.mark.parametrize('to_rgb', [False, True])
def test_lighting_adds_the_pca_shift(to_rgb):
    img = np.random.RandomState(0).uniform(50, 200, (4, 5, 3)).astype(np.float32)
    out = run(build(type='Lighting', eigval=EIGVAL, eigvec=EIGVEC, alphastd=25.5,
                    to_rgb=to_rgb), img, seed=3)['img']
    alpha = np.random.RandomState(3).normal(0, 25.5, 3)
    shift = np.array([sum(EIGVEC[c][j] * alpha[j] * EIGVAL[j] for j in range(3))
                      for c in range(3)])
    if to_rgb:  # RGB statistics, BGR image: channel c of the image is RGB channel 2 - c
        shift = shift[::-1]
    np.testing.assert_allclose(out, img + shift, rtol=0, atol=1e-4)


def test_lighting_clips_uint8():
    img = np.full((2, 2, 3), 250, np.uint8)
    out = run(build(type='Lighting', eigval=[100., 0., 0.], eigvec=[[1., 0., 0.]] * 3,
                    alphastd=1.0), img, seed=0)['img']
    alpha = np.random.RandomState(0).normal(0, 1.0, 3)[0]  # 1.76: +176
    assert alpha > 0.1 and out.dtype == np.uint8 and (out == 255).all()


def test_lighting_errors():
    with pytest.raises(DataConfigError, match='3 rows'):
        build(type='Lighting', eigval=EIGVAL, eigvec=EIGVEC[:2])
    with pytest.raises(KeyError, match='No `img` field'):
        build(type='Lighting', eigval=EIGVAL, eigvec=EIGVEC)(dict())


@pytest.mark.parametrize('hue', [-0.21, -0.03, 0.1])  # hue * 255 not an integer
def test_color_jitter_hue_is_a_modular_shift_of_pils_hue(hue):
    transform = build(type='ColorJitter', hue=(hue, hue + 1e-9))
    out = transform(dict(img=IMG.copy()))['img']
    h, s, v = Image.fromarray(np.ascontiguousarray(IMG[..., ::-1])).convert('HSV').split()
    shift = int(hue * 255) % 256  # truncated toward zero, then wrapped round the circle
    h = Image.fromarray(((np.asarray(h).astype(np.int32) + shift) % 256).astype(np.uint8))
    expected = np.asarray(Image.merge('HSV', (h, s, v)).convert('RGB'))[..., ::-1]
    np.testing.assert_array_equal(out, expected)
