"""The RandAugment ops as transforms: their maths on both backends, checks and reprs.

References are written here with numpy (or a plain PIL call where PIL is the definition);
the op is always applied (prob=1) with a fixed sign.
"""
import numpy as np
import pytest
from PIL import Image, ImageOps

from mmcls_convnext.datasets.errors import DataConfigError
from mmcls_convnext.datasets.transforms.backends import OP_BACKENDS
from mmcls_convnext.registry import TRANSFORMS

BACKENDS = list(OP_BACKENDS)


@pytest.fixture
def bgr():
    rng = np.random.default_rng(0)
    img = rng.integers(40, 200, (20, 40, 3)).astype(np.uint8)
    img[0, 0] = (5, 9, 13)
    return img


def apply(cfg, img):
    return TRANSFORMS.build(dict(cfg, prob=1.0))(dict(img=img.copy()))['img']


def fixed(cfg):
    """The op with its sign fixed (ops without a sign take no random_negative_prob)."""
    return dict(cfg, random_negative_prob=0.0)


@pytest.mark.parametrize('backend', BACKENDS)
def test_invert_solarize_posterize_are_exact_integer_maths(bgr, backend):
    np.testing.assert_array_equal(apply(dict(type='Invert', backend=backend), bgr), 255 - bgr)
    out = apply(dict(type='Solarize', thr=102.4, backend=backend), bgr)
    np.testing.assert_array_equal(out, np.where(bgr >= 103, 255 - bgr, bgr))
    out = apply(dict(type='Posterize', bits=1.6, backend=backend), bgr)  # rounded up to 2
    np.testing.assert_array_equal(out, bgr & 0b11000000)
    out = apply(dict(type='Posterize', bits=0, backend=backend), bgr)
    np.testing.assert_array_equal(out, np.zeros_like(bgr))


def test_solarize_add_floors_and_clips(bgr):
    img = bgr.copy()
    img[0, 1] = (120, 127, 128)
    out = apply(dict(type='SolarizeAdd', magnitude=40.6, thr=128), img)
    expected = np.where(img < 128, np.minimum(img.astype(int) + 40, 255), img)
    assert out.dtype == np.uint8 and (out[0, 1] == (160, 167, 128)).all()
    np.testing.assert_array_equal(out, expected)
    out = apply(dict(type='SolarizeAdd', magnitude=40.6, thr=128), img.astype(np.float32))
    assert out.dtype == np.float32  # float images keep the fraction
    np.testing.assert_allclose(out, np.where(img < 128, np.minimum(img + 40.6, 255), img))
    # a threshold above 128 with an int magnitude must not wrap around 255
    img = np.full((2, 2, 3), 200, np.uint8)
    assert (apply(dict(type='SolarizeAdd', magnitude=100, thr=250), img) == 255).all()


@pytest.mark.parametrize('backend', BACKENDS)
def test_autocontrast_stretches_each_channel(bgr, backend):
    out = apply(dict(type='AutoContrast', backend=backend), bgr).astype(float)
    for c in range(3):
        ch = bgr[..., c].astype(float)
        expected = (ch - ch.min()) * 255 / (ch.max() - ch.min())
        assert np.abs(out[..., c] - expected).max() <= 1.0
        assert out[..., c].min() == 0 and out[..., c].max() == 255


def test_equalize_backends_agree_and_flatten(bgr):
    outs = [apply(dict(type='Equalize', backend=b), bgr) for b in BACKENDS]
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(outs[1], np.asarray(ImageOps.equalize(Image.fromarray(bgr))))
    assert outs[0].std() > bgr.std()


def _grey(bgr):
    b, g, r = (bgr[..., i].astype(float) for i in range(3))
    return (r * 299 + g * 587 + b * 114) / 1000


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('magnitude', [0.81, -0.81])
def test_brightness_contrast_color(bgr, backend, magnitude):
    factor = 1 + magnitude
    cfg = fixed(dict(magnitude=magnitude, backend=backend))
    out = apply(dict(cfg, type='Brightness'), bgr)
    assert np.abs(out - np.clip(bgr * factor, 0, 255)).max() <= 1.0
    mean = int(_grey(bgr).mean() + 0.5)  # the grey mean weighs R, G, B (the image is BGR)
    out = apply(dict(cfg, type='Contrast'), bgr)
    expected = np.clip(mean + factor * (bgr.astype(float) - mean), 0, 255)
    assert np.abs(out - expected).max() <= 1.5
    grey = _grey(bgr)[..., None]
    out = apply(dict(cfg, type='ColorTransform'), bgr)
    assert np.abs(out - np.clip(grey + factor * (bgr - grey), 0, 255)).max() <= 1.5


@pytest.mark.parametrize('backend', BACKENDS)
def test_sharpness_changes_the_interior(bgr, backend):
    out = apply(fixed(dict(type='Sharpness', magnitude=0.9, backend=backend)), bgr).astype(int)
    assert np.abs(out[1:-1, 1:-1] - bgr[1:-1, 1:-1]).mean() > 1
    if backend == 'pillow':
        np.testing.assert_array_equal(out[0], bgr[0])  # PIL keeps the border


def test_pillow_enhancement_factor_floor_is_timms(bgr):
    # factor 1 - 0.95 = 0.05 is raised to 0.1: 10 % of the pixel value is left
    out = apply(fixed(dict(type='Brightness', magnitude=-0.95, backend='pillow')), bgr)
    np.testing.assert_array_equal(out, (bgr * 0.1).astype(np.uint8))


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('sign', [1, -1])
def test_translate_moves_content_right_for_positive(bgr, backend, sign):
    out = apply(fixed(dict(type='Translate', magnitude=sign * 0.25, pad_val=(1, 2, 3),
                           interpolation='nearest', backend=backend)), bgr)
    shift = 10  # 0.25 of the width 40
    if sign > 0:
        np.testing.assert_array_equal(out[:, shift:], bgr[:, :-shift])
        assert (out[:, :shift] == (1, 2, 3)).all()  # fill in the image's (BGR) order
    else:
        np.testing.assert_array_equal(out[:, :-shift], bgr[:, shift:])
        assert (out[:, -shift:] == (1, 2, 3)).all()
    out = apply(fixed(dict(type='Translate', magnitude=0.5, direction='vertical', pad_val=0,
                           interpolation='nearest', backend=backend)), bgr)
    np.testing.assert_array_equal(out[10:], bgr[:10])
    assert (out[:10] == 0).all()


def _marker(height=31, width=41, y=10, x=30):
    img = np.zeros((height, width, 3), np.uint8)
    img[y - 1:y + 2, x - 1:x + 2] = 255
    return img


def _centroid(img):
    ys, xs = np.nonzero(img[..., 0] > 127)
    return ys.mean(), xs.mean()


@pytest.mark.parametrize('backend', BACKENDS)
def test_shear_moves_row_y_by_magnitude_times_y(backend):
    img = _marker(y=20, x=10)
    out = apply(fixed(dict(type='Shear', magnitude=0.5, pad_val=0, interpolation='nearest',
                           backend=backend)), img)
    y, x = _centroid(out)
    assert y == pytest.approx(20, abs=0.6) and x == pytest.approx(10 + 0.5 * 20, abs=1)
    out = apply(fixed(dict(type='Shear', magnitude=0.5, direction='vertical', pad_val=0,
                           interpolation='nearest', backend=backend)), _marker(y=5, x=20))
    y, x = _centroid(out)
    assert x == pytest.approx(20, abs=0.6) and y == pytest.approx(5 + 0.5 * 20, abs=1)


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('center', [None, (25., 12.)])
def test_rotate_is_clockwise_about_the_centre(backend, center):
    img = _marker(y=10, x=30)
    cx, cy = (20., 15.) if center is None else center  # ((w - 1) / 2, (h - 1) / 2)
    out = apply(fixed(dict(type='Rotate', angle=90., center=center, pad_val=0,
                           interpolation='nearest', backend=backend)), img)
    # clockwise on screen (y down): (dx, dy) -> (-dy, dx)
    y, x = _centroid(out)
    dx, dy = 30 - cx, 10 - cy
    assert (x, y) == pytest.approx((cx - dy, cy + dx), abs=0.6)


def test_rotate_pillow_is_pil_rotate(bgr):
    out = apply(fixed(dict(type='Rotate', angle=27., pad_val=(10, 20, 30),
                           interpolation='bilinear', backend='pillow')), bgr)
    expected = Image.fromarray(bgr).rotate(-27., resample=Image.BILINEAR, fillcolor=(10, 20, 30))
    np.testing.assert_array_equal(out, np.asarray(expected))


@pytest.mark.parametrize('shape', [(20, 40), (20, 40, 1)])
@pytest.mark.parametrize('name', ['AutoContrast', 'Equalize', 'Invert', 'Solarize',
                                  'SolarizeAdd', 'Posterize', 'Contrast', 'ColorTransform',
                                  'Brightness', 'Sharpness', 'Rotate', 'Shear', 'Translate'])
def test_grey_images_stay_grey_with_pillow(bgr, shape, name):
    cfg = dict(type=name, backend='pillow', magnitude_range=(0, 1), magnitude_level=5)
    if name in ('AutoContrast', 'Equalize', 'Invert'):
        cfg.pop('magnitude_range')
    grey = bgr[..., 0].reshape(shape).copy()
    out = apply(cfg, grey)
    assert out.shape == grey.shape and out.dtype == np.uint8


@pytest.mark.parametrize('name', ['Contrast', 'ColorTransform', 'AutoContrast', 'Equalize'])
def test_cv2_colour_ops_need_three_channels(bgr, name):
    cfg = dict(type=name) if name in ('AutoContrast', 'Equalize') else dict(type=name,
                                                                            magnitude=0.5)
    with pytest.raises(ValueError, match=f"{name} with backend='cv2' needs a 3-channel"):
        apply(cfg, bgr[..., 0].copy())


def test_pillow_needs_uint8(bgr):
    with pytest.raises(ValueError, match="Rotate with backend='pillow' needs a uint8 image"):
        apply(dict(type='Rotate', angle=3., backend='pillow'), bgr.astype(np.float32))


def test_prob_zero_keeps_the_image_object(bgr):
    results = dict(img=bgr)
    assert TRANSFORMS.build(dict(type='Rotate', angle=3., prob=0.))(results)['img'] is bgr


@pytest.mark.parametrize('cfg,error,match', [
    (dict(type='Rotate'), DataConfigError, 'only one of `angle` and `magnitude_range`'),
    (dict(type='Shear', magnitude=1, magnitude_range=(0, 1)), DataConfigError, 'only one of'),
    (dict(type='Shear', magnitude=1, direction='diagonal'), DataConfigError,
     'got "diagonal" instead'),
    (dict(type='Translate', magnitude='1'), TypeError, 'magnitude must be a number'),
    (dict(type='Posterize', bits=9), DataConfigError, 'bits must be in \\[0, 8\\], got 9'),
    (dict(type='Posterize', magnitude_range=(10, 0)), DataConfigError, 'got 10 instead'),
    (dict(type='SolarizeAdd', magnitude=1, thr='hi'), TypeError, 'got str'),
    (dict(type='Solarize', thr=1, random_negative_prob=0.5), TypeError,
     "multiple values for keyword argument 'random_negative_prob': its argument has no sign"),
    (dict(type='Solarize', thr=1, thrshold=3), TypeError, "unexpected keyword arguments"),
    (dict(type='Rotate', angle=1, backend='skimage'), DataConfigError,
     "backend must be one of \\('cv2', 'pillow'\\)"),
    (dict(type='Rotate', angle=1, backend='pillow', interpolation='area'), DataConfigError,
     "'area' is not available with backend='pillow'"),
    (dict(type='Rotate', angle=1, scale=2., backend='pillow'), DataConfigError,
     "scale=2.0 needs backend='cv2'"),
    (dict(type='Rotate', angle=1, center=(1,)), DataConfigError, 'center must be None or'),
    (dict(type='Shear', magnitude=1, pad_val=(1, 2)), DataConfigError, 'pad_val must be'),
    (dict(type='Contrast', magnitude=1, prob=1.5), DataConfigError, 'prob must be a number'),
    (dict(type='Contrast', magnitude_range=(0, 1), magnitude_std=-1), DataConfigError,
     '`magnitude_std` must be a number >= 0 or "inf"'),
    (dict(type='Contrast', magnitude_range=(0, 1), magnitude_level=12), DataConfigError,
     'magnitude_level must be in \\[0, total_level=10\\]'),
    (dict(type='Contrast', magnitude_range=(0,)), DataConfigError,
     'magnitude_range must be two numbers'),
])
def test_errors(cfg, error, match):
    with pytest.raises(error, match=match):
        TRANSFORMS.build(cfg)


def test_errors_are_assertion_errors_too():
    with pytest.raises(AssertionError, match='only one of'):
        TRANSFORMS.build(dict(type='Brightness'))


@pytest.mark.parametrize('cfg,expected', [
    (dict(type='Shear', magnitude=0.1),
     'Shear(magnitude=0.1, pad_val=128, prob=0.5, direction=horizontal, '
     'random_negative_prob=0.5, interpolation=bicubic)'),
    (dict(type='Translate', magnitude_range=(0, 0.45), backend='pillow', pad_val=[1, 2, 3]),
     'Translate(magnitude=None, pad_val=(1, 2, 3), prob=0.5, direction=horizontal, '
     'random_negative_prob=0.5, interpolation=nearest, magnitude_level=10, '
     "magnitude_range=(0, 0.45), magnitude_std=0.0, total_level=10, backend='pillow')"),
    (dict(type='Rotate', angle=30), 'Rotate(angle=30, center=None, scale=1.0, pad_val=128, '
     'prob=0.5, random_negative_prob=0.5, interpolation=nearest)'),
    (dict(type='Equalize', prob=0.3), 'Equalize(prob=0.3)'),
    (dict(type='Solarize', thr=128), 'Solarize(thr=128, prob=0.5)'),
    (dict(type='SolarizeAdd', magnitude=10), 'SolarizeAdd(magnitude=10, thr=128, prob=0.5)'),
    (dict(type='Posterize', bits=4), 'Posterize(bits=4, prob=0.5)'),
    (dict(type='ColorTransform', magnitude=0.2),
     'ColorTransform(magnitude=0.2, prob=0.5, random_negative_prob=0.5)'),
])
def test_repr(cfg, expected):
    assert repr(TRANSFORMS.build(cfg)) == expected


def test_no_argument_op_warns_about_a_useless_range(caplog):
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    with pytest.MonkeyPatch.context() as mp:
        messages = []
        mp.setattr(logger, 'warning', messages.append)
        TRANSFORMS.build(dict(type='Invert', magnitude_range=(0, 1)))
    assert messages == ['Invert has no argument: magnitude_range=(0, 1) has no effect.']
