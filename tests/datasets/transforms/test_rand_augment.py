"""RandAugment: each timm-"increasing" op at a known magnitude vs an independent computation."""
import numpy as np
import pytest
from PIL import Image, ImageOps

from mmcls_convnext.datasets.transforms import OPS, POLICIES, RandAugment, apply_op
from mmcls_convnext.registry import TRANSFORMS

HP = dict(resample=Image.NEAREST, fill=(10, 20, 30), translate_pct=0.45)
TIMM_INCREASING = ['AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing',
                   'SolarizeIncreasing', 'SolarizeAdd', 'ColorIncreasing', 'ContrastIncreasing',
                   'BrightnessIncreasing', 'SharpnessIncreasing', 'ShearX', 'ShearY',
                   'TranslateXRel', 'TranslateYRel']


@pytest.fixture
def rgb():
    rng = np.random.default_rng(0)
    img = rng.integers(40, 200, (20, 40, 3)).astype(np.uint8)
    img[0, 0] = (5, 9, 13)  # widen the range for autocontrast
    return img


def run(name, img, magnitude=9., negate=False, hp=HP):
    return np.asarray(apply_op(Image.fromarray(img), name, magnitude, hp, negate=negate))


def test_policy_is_timms_increasing_set():
    assert list(POLICIES['timm_increasing']) == TIMM_INCREASING
    assert set(TIMM_INCREASING) <= set(OPS)


def test_invert(rgb):
    np.testing.assert_array_equal(run('Invert', rgb), 255 - rgb)


def test_autocontrast_stretches_each_channel(rgb):
    out = run('AutoContrast', rgb).astype(float)
    for c in range(3):
        ch = rgb[..., c].astype(float)
        expected = (ch - ch.min()) * 255 / (ch.max() - ch.min())
        assert np.abs(out[..., c] - expected).max() <= 1.0
        assert out[..., c].min() == 0 and out[..., c].max() == 255


def test_equalize_flattens_histogram(rgb):
    out = run('Equalize', rgb)
    np.testing.assert_array_equal(out, np.asarray(ImageOps.equalize(Image.fromarray(rgb))))
    assert out.std() > rgb.std()


def test_posterize_level9_keeps_one_bit(rgb):
    # timm: bits = 4 - int(9 / 10 * 4) = 1
    np.testing.assert_array_equal(run('PosterizeIncreasing', rgb), rgb & 0b10000000)


def test_posterize_level10_keeps_zero_bits(rgb):
    np.testing.assert_array_equal(run('PosterizeIncreasing', rgb, 10.), np.zeros_like(rgb))


def test_solarize_level9(rgb):
    thr = 256 - int(0.9 * 256)  # 26
    np.testing.assert_array_equal(run('SolarizeIncreasing', rgb),
                                  np.where(rgb >= thr, 255 - rgb, rgb))


def test_solarize_add_level9(rgb):
    add = int(0.9 * 110)  # 99
    expected = np.where(rgb < 128, np.minimum(rgb.astype(int) + add, 255), rgb)
    np.testing.assert_array_equal(run('SolarizeAdd', rgb), expected)


@pytest.mark.parametrize('negate,factor', [(False, 1.81), (True, 0.19)])
def test_brightness(rgb, negate, factor):
    expected = np.clip(rgb.astype(float) * factor, 0, 255)
    out = run('BrightnessIncreasing', rgb, negate=negate)
    assert np.abs(out - expected).max() <= 1.0


@pytest.mark.parametrize('negate,factor', [(False, 1.81), (True, 0.19)])
def test_contrast_uses_rgb_grey_mean(rgb, negate, factor):
    r, g, b = (rgb[..., i].astype(float) for i in range(3))
    mean = int((r * 299 / 1000 + g * 587 / 1000 + b * 114 / 1000).mean() + 0.5)
    expected = np.clip(mean + factor * (rgb.astype(float) - mean), 0, 255)
    assert np.abs(run('ContrastIncreasing', rgb, negate=negate) - expected).max() <= 1.5


@pytest.mark.parametrize('negate,factor', [(False, 1.81), (True, 0.19)])
def test_color_blends_with_grey(rgb, negate, factor):
    r, g, b = (rgb[..., i].astype(float) for i in range(3))
    grey = (r * 299 + g * 587 + b * 114) / 1000
    expected = np.clip(grey[..., None] + factor * (rgb - grey[..., None]), 0, 255)
    assert np.abs(run('ColorIncreasing', rgb, negate=negate) - expected).max() <= 1.5


def test_sharpness_changes_interior_only(rgb):
    out = run('SharpnessIncreasing', rgb).astype(int)
    np.testing.assert_array_equal(out[0], rgb[0])  # PIL keeps the border
    assert np.abs(out[1:-1, 1:-1] - rgb[1:-1, 1:-1]).mean() > 1


@pytest.mark.parametrize('negate', [False, True])
def test_translate_x_shifts_by_pct_of_width(rgb, negate):
    shift = round(0.9 * 0.45 * 40)  # 16 px
    out = run('TranslateXRel', rgb, negate=negate)
    if not negate:  # content moves left
        np.testing.assert_array_equal(out[:, :40 - shift], rgb[:, shift:])
        assert (out[:, 40 - shift:] == HP['fill']).all()
    else:
        np.testing.assert_array_equal(out[:, shift:], rgb[:, :40 - shift])
        assert (out[:, :shift] == HP['fill']).all()


def test_translate_y_shifts_by_pct_of_height(rgb):
    shift = round(0.9 * 0.45 * 20)  # 8 px
    out = run('TranslateYRel', rgb)
    np.testing.assert_array_equal(out[:20 - shift], rgb[shift:])
    assert (out[20 - shift:] == HP['fill']).all()


@pytest.mark.parametrize('name,axis', [('ShearX', 1), ('ShearY', 0)])
def test_shear_maps_pixels_affinely(rgb, name, axis):
    s = 0.3 * 0.9
    out = run(name, rgb)
    h, w = rgb.shape[:2]
    for y in range(h):
        for x in range(w):
            # PIL samples the source at the output pixel centre, nearest neighbour
            if axis == 1:
                sx, sy = int(np.floor(x + 0.5 + s * (y + 0.5))), y
            else:
                sx, sy = x, int(np.floor(y + 0.5 + s * (x + 0.5)))
            expected = rgb[sy, sx] if 0 <= sx < w and 0 <= sy < h else HP['fill']
            np.testing.assert_array_equal(out[y, x], expected)


@pytest.mark.parametrize('negate,angle', [(False, 27.), (True, -27.)])
def test_rotate_level9_is_27_degrees(rgb, negate, angle):
    expected = Image.fromarray(rgb).rotate(angle, resample=Image.NEAREST, fillcolor=HP['fill'])
    out = run('Rotate', rgb, negate=negate)
    np.testing.assert_array_equal(out, np.asarray(expected))
    np.testing.assert_array_equal(out[0, 0], HP['fill'])  # a corner is filled


@pytest.mark.parametrize('name', TIMM_INCREASING)
def test_every_op_changes_the_image(rgb, name):
    assert not np.array_equal(run(name, rgb), rgb)


def test_transform_works_in_bgr_and_fills_with_pad_val(rgb):
    bgr = rgb[..., ::-1].copy()
    t = RandAugment(policies=['ContrastIncreasing'], num_policies=1, magnitude_level=9,
                    op_prob=1.0, hparams=dict(pad_val=128))
    out = t(dict(img=bgr))['img']
    candidates = [run('ContrastIncreasing', rgb, negate=n)[..., ::-1] for n in (False, True)]
    assert any(np.array_equal(out, c) for c in candidates)
    t = RandAugment(policies=['TranslateXRel'], num_policies=1, op_prob=1.0,
                    hparams=dict(pad_val=(1, 2, 3), interpolation='nearest'))
    out = t(dict(img=bgr))['img']
    assert ((out[:, 0] == (1, 2, 3)).all(axis=1).all() or
            (out[:, -1] == (1, 2, 3)).all(axis=1).all())  # BGR fill, either side


def test_grey_images_stay_grey(rgb):
    grey = rgb[..., 0].copy()
    t = RandAugment(num_policies=4, op_prob=1.0, magnitude_std=0.5)
    for _ in range(20):
        out = t(dict(img=grey))['img']
        assert out.shape == grey.shape and out.dtype == np.uint8


def test_op_prob_zero_and_magnitude_noise(rgb):
    assert RandAugment(op_prob=0.0)(dict(img=rgb))['img'] is rgb
    t = RandAugment(magnitude_level=9, magnitude_std=0.5)
    draws = [t._magnitude() for _ in range(2000)]
    assert max(draws) <= 10 and abs(np.mean(draws) - 9) < 0.1
    assert 0.35 < np.std(draws) < 0.5  # clipped at 10 above
    uniform = RandAugment(magnitude_level=6, magnitude_std='inf')
    draws = [uniform._magnitude() for _ in range(2000)]
    assert 0 <= min(draws) and max(draws) <= 6 and abs(np.mean(draws) - 3) < 0.2


def test_recipe_config_builds_and_is_seeded(rgb):
    cfg = dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10,
               magnitude_level=9, magnitude_std=0.5,
               hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic'))
    t = TRANSFORMS.build(cfg)
    import random
    random.seed(5)
    a = [t(dict(img=rgb))['img'] for _ in range(10)]
    random.seed(5)
    b = [t(dict(img=rgb))['img'] for _ in range(10)]
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert sum(not np.array_equal(x, rgb) for x in a) >= 5


@pytest.mark.parametrize('kwargs,error,match', [
    (dict(policies='timm_increasng'), ValueError, "Did you mean \\['timm_increasing'\\]"),
    (dict(policies=['Rotat']), KeyError, "Unknown RandAugment op 'Rotat'.*Did you mean"),
    (dict(policies=[]), ValueError, 'at least one op'),
    (dict(magnitude_level=11), ValueError, 'magnitude_level <= total_level'),
    (dict(hparams=dict(fill=3)), KeyError, "Unknown RandAugment hparams \\['fill'\\]"),
    (dict(hparams=dict(interpolation='area')), ValueError, "interpolation.*'area'"),
    (dict(hparams=dict(pad_val=(1, 2))), ValueError, 'pad_val'),
    (dict(op_prob=2.), ValueError, 'op_prob must be in'),
    (dict(magnitude_std='big'), ValueError, "magnitude_std must be a number >= 0 or 'inf'"),
])
def test_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        RandAugment(**kwargs)
