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
    (dict(erase_prob=1.5), 'erase_prob must be in'),
    (dict(min_area_ratio=0.5, max_area_ratio=0.1), 'min_area_ratio <= max_area_ratio'),
    (dict(aspect_range=(2, 1)), 'aspect_range must be'),
    (dict(mode='pixel'), "mode must be one of \\('const', 'rand'\\)"),
])
def test_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        RandomErasing(**kwargs)


def test_fill_color_channel_mismatch(img):
    t = RandomErasing(erase_prob=1.0, fill_color=(1, 2))
    with pytest.raises(ValueError, match='fill_color has 2 values but the image has 3'):
        t(dict(img=img))
