"""RandomErasing: one rectangle of the right area and aspect, filled as configured."""
import numpy as np
import pytest

from mmcls_convnext.datasets.transforms import RandomErasing


def erased_box(before, after):
    """Bounding box (top, left, h, w) of the changed pixels, or None."""
    changed = np.any(before != after, axis=-1) if before.ndim == 3 else before != after
    if not changed.any():
        return None
    ys, xs = np.nonzero(changed)
    return ys.min(), xs.min(), ys.max() - ys.min() + 1, xs.max() - xs.min() + 1


@pytest.fixture
def img():
    return np.full((60, 80, 3), 7, np.uint8)


def test_const_fill_area_and_aspect(img):
    t = RandomErasing(erase_prob=1.0, min_area_ratio=0.1, max_area_ratio=0.2,
                      aspect_range=(0.5, 2.0), mode='const', fill_color=(1, 2, 3))
    for _ in range(50):
        out = t(dict(img=img))['img']
        top, left, h, w = erased_box(img, out)
        assert (out[top:top + h, left:left + w] == (1, 2, 3)).all()
        assert 0.1 * 0.9 <= h * w / img[..., 0].size <= 0.2 * 1.1
        assert 0.5 * 0.85 <= w / h <= 2.0 * 1.15
    assert (img == 7).all()  # the input array is not modified


def test_rand_mode_uses_mean_and_std(img):
    t = RandomErasing(erase_prob=1.0, min_area_ratio=0.3, max_area_ratio=0.3, mode='rand',
                      fill_color=(100, 120, 140), fill_std=(10, 10, 10))
    out = t(dict(img=img))['img']
    top, left, h, w = erased_box(img, out)
    patch = out[top:top + h, left:left + w].reshape(-1, 3).astype(float)
    np.testing.assert_allclose(patch.mean(0), (100, 120, 140), atol=2)
    np.testing.assert_allclose(patch.std(0), 10, atol=1.5)


def test_rand_mode_without_std_is_uniform(img):
    t = RandomErasing(erase_prob=1.0, min_area_ratio=0.3, max_area_ratio=0.3, mode='rand')
    out = t(dict(img=img))['img']
    top, left, h, w = erased_box(img, out)
    patch = out[top:top + h, left:left + w].astype(float)
    assert abs(patch.mean() - 127.5) < 10 and patch.min() < 10 and patch.max() > 245


def test_probability(img):
    t = RandomErasing(erase_prob=0.25)
    hits = sum(erased_box(img, t(dict(img=img))['img']) is not None for _ in range(800))
    assert 0.2 < hits / 800 < 0.3
    assert RandomErasing(erase_prob=0.)(dict(img=img))['img'] is img


def test_grey_image():
    grey = np.zeros((30, 30), np.uint8)
    out = RandomErasing(erase_prob=1.0, fill_color=200)(dict(img=grey))['img']
    assert out.shape == grey.shape and set(np.unique(out)) == {0, 200}


@pytest.mark.parametrize('kwargs,match', [
    (dict(erase_prob=1.5), 'erase_prob must be a float in \\[0, 1\\]; got 1.5'),
    (dict(erase_prob=1), 'erase_prob must be a float in \\[0, 1\\]; got 1 \\(write 1.0\\)'),
    (dict(max_area_ratio=1), 'max_area_ratio must be a float'),
    (dict(min_area_ratio=0.5, max_area_ratio=0.1), 'min_area_ratio should be smaller than'),
    (dict(aspect_range=(2, 1)), 'aspect_range must be'),
    (dict(aspect_range=-1), 'aspect_range must be'),
    (dict(aspect_range='wide'), 'aspect_range must be'),
    (dict(mode='pixel'), "mode must be one of \\('const', 'rand'\\)"),
    (dict(fill_color=(1, 2)), 'fill_color must be a number or 3 numbers'),
    (dict(fill_std='unknown'), 'fill_std must be a number or 3 numbers'),
    (dict(fill_std=-1.), 'fill_std must be >= 0'),
])
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomErasing(**kwargs)
    with pytest.raises(AssertionError):  # MMPretrain asserts on the same arguments
        RandomErasing(**kwargs)


def test_grey_image_needs_one_fill_colour(img):
    with pytest.raises(ValueError, match='fill_color has 3 different values but the image has '
                                         '1 channel'):
        RandomErasing(erase_prob=1.0, fill_color=(1, 2, 3))(dict(img=img[..., 0].copy()))


def test_argument_forms_and_repr():
    t = RandomErasing(aspect_range=0.5, fill_color=15, fill_std=0.5)
    assert t.aspect_range == (0.5, 2.0)
    assert t.fill_color == [15, 15, 15] and t.fill_std == [0.5, 0.5, 0.5]
    assert RandomErasing(aspect_range=2.).aspect_range == (0.5, 2.0)
    t = RandomErasing(erase_prob=0.25, mode='rand', aspect_range=(0.3, 1.3),
                      fill_color=(255, 255, 255))
    assert repr(t) == ('RandomErasing(erase_prob=0.25, min_area_ratio=0.02, max_area_ratio=0.4, '
                       'aspect_range=(0.3, 1.3), mode=rand, fill_color=(255, 255, 255), '
                       'fill_std=None)')


def test_aspect_is_height_over_width(img):
    t = RandomErasing(erase_prob=1.0, min_area_ratio=0.1, max_area_ratio=0.1,
                      aspect_range=(2.0, 2.0), fill_color=0)
    top, left, h, w = erased_box(img, t(dict(img=img))['img'])
    assert h / w == pytest.approx(2.0, rel=0.15)


def test_boxes_reach_every_edge():
    # 3 x 4 image, a 1 x 1 box: every one of the 12 positions must occur (timm's draw)
    img = np.zeros((3, 4), np.uint8)
    t = RandomErasing(erase_prob=1.0, min_area_ratio=1 / 12, max_area_ratio=1 / 12,
                      aspect_range=(1.0, 1.0), fill_color=9)
    seen = {tuple(np.argwhere(t(dict(img=img))['img'] == 9)[0]) for _ in range(600)}
    assert len(seen) == 12
