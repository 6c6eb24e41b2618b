"""RandomErasing: one rectangle of the right area and aspect, filled as configured.

Both samplers are checked: ``'mmpretrain'`` (the default) against the draw sequence its
documented behaviour defines, replayed here on a seeded generator; ``'timm'`` against timm's
own ``RandomErasing`` box draw, run on the same Python ``random`` seed.
"""
import math
import random

import numpy as np
import pytest
import torch
from timm.data.random_erasing import RandomErasing as TimmRandomErasing

from mmcls_convnext.datasets.transforms import RandomErasing

SAMPLERS = ('mmpretrain', 'timm')


@pytest.fixture(autouse=True)
def _seed_generators():
    random.seed(0)
    np.random.seed(0)


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


@pytest.mark.parametrize('sampler', SAMPLERS)
def test_const_fill_area_and_aspect(sampler, img):
    t = RandomErasing(sampler=sampler, erase_prob=1.0, min_area_ratio=0.1, max_area_ratio=0.2,
                      aspect_range=(0.5, 2.0), mode='const', fill_color=(1, 2, 3))
    for _ in range(50):
        out = t(dict(img=img))['img']
        top, left, h, w = erased_box(img, out)
        assert (out[top:top + h, left:left + w] == (1, 2, 3)).all()
        assert 0.1 * 0.9 <= h * w / img[..., 0].size <= 0.2 * 1.1
        assert 0.5 * 0.85 <= w / h <= 2.0 * 1.15
    assert (img == 7).all()  # the input array is not modified


@pytest.mark.parametrize('sampler', SAMPLERS)
def test_rand_mode_uses_mean_and_std(sampler, img):
    t = RandomErasing(sampler=sampler, erase_prob=1.0, min_area_ratio=0.3, max_area_ratio=0.3,
                      mode='rand', fill_color=(100, 120, 140), fill_std=(10, 10, 10))
    out = t(dict(img=img))['img']
    top, left, h, w = erased_box(img, out)
    patch = out[top:top + h, left:left + w].reshape(-1, 3).astype(float)
    np.testing.assert_allclose(patch.mean(0), (100, 120, 140), atol=2)
    np.testing.assert_allclose(patch.std(0), 10, atol=1.5)


@pytest.mark.parametrize('sampler', SAMPLERS)
def test_rand_mode_without_std_is_uniform(sampler, img):
    t = RandomErasing(sampler=sampler, erase_prob=1.0, min_area_ratio=0.3, max_area_ratio=0.3,
                      mode='rand')
    out = t(dict(img=img))['img']
    top, left, h, w = erased_box(img, out)
    patch = out[top:top + h, left:left + w].astype(float)
    assert abs(patch.mean() - 127.5) < 10 and patch.min() < 10 and patch.max() > 245


@pytest.mark.parametrize('sampler', SAMPLERS)
def test_probability(sampler, img):
    t = RandomErasing(sampler=sampler, erase_prob=0.25)
    hits = sum(erased_box(img, t(dict(img=img))['img']) is not None for _ in range(800))
    assert 0.2 < hits / 800 < 0.3
    assert RandomErasing(sampler=sampler, erase_prob=0.)(dict(img=img))['img'] is img


@pytest.mark.parametrize('sampler', SAMPLERS)
def test_grey_image(sampler):
    grey = np.zeros((30, 30), np.uint8)
    out = RandomErasing(sampler=sampler, erase_prob=1.0, fill_color=200)(dict(img=grey))['img']
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


@pytest.mark.parametrize('sampler', SAMPLERS)
def test_aspect_is_height_over_width(sampler, img):
    t = RandomErasing(sampler=sampler, erase_prob=1.0, min_area_ratio=0.1, max_area_ratio=0.1,
                      aspect_range=(2.0, 2.0), fill_color=0)
    top, left, h, w = erased_box(img, t(dict(img=img))['img'])
    assert h / w == pytest.approx(2.0, rel=0.15)


def test_timm_boxes_reach_every_edge():
    # 3 x 4 image, a 1 x 1 box: every one of the 12 positions must occur (timm's draw)
    img = np.zeros((3, 4), np.uint8)
    t = RandomErasing(sampler='timm', erase_prob=1.0, min_area_ratio=1 / 12, max_area_ratio=1 / 12,
                      aspect_range=(1.0, 1.0), fill_color=9)
    seen = {tuple(np.argwhere(t(dict(img=img))['img'] == 9)[0]) for _ in range(600)}
    assert len(seen) == 12


def test_mmpretrain_boxes_never_touch_the_bottom_or_right_edge():
    # 3 x 4 image, a 1 x 1 box: the corner is drawn with an exclusive upper bound, so only the
    # 2 x 3 positions away from the last row and column occur, each about equally often
    img = np.zeros((3, 4), np.uint8)
    t = RandomErasing(erase_prob=1.0, min_area_ratio=1 / 12, max_area_ratio=1 / 12,
                      aspect_range=(1.0, 1.0), fill_color=9)
    seen = [tuple(np.argwhere(t(dict(img=img))['img'] == 9)[0]) for _ in range(1200)]
    counts = {pos: seen.count(pos) for pos in set(seen)}
    assert set(counts) == {(y, x) for y in range(2) for x in range(3)}
    assert all(abs(c / 1200 - 1 / 6) < 0.04 for c in counts.values())


def _replay_mmpretrain(seed, height, width, erase_prob, area_range, aspect_range):
    """The box MMPretrain's documented sampling gives for ``np.random.seed(seed)``."""
    rng = np.random.RandomState(seed)
    if rng.rand() > erase_prob:
        return None
    aspect = math.exp(rng.uniform(math.log(aspect_range[0]), math.log(aspect_range[1])))
    area = height * width * rng.uniform(*area_range)
    h = min(int(round(math.sqrt(area * aspect))), height)
    w = min(int(round(math.sqrt(area / aspect))), width)
    top = rng.randint(0, height - h) if h < height else 0
    left = rng.randint(0, width - w) if w < width else 0
    return top, left, h, w


@pytest.mark.parametrize('seed', range(40))
def test_mmpretrain_box_is_the_documented_draw(seed, img):
    t = RandomErasing(erase_prob=0.7, min_area_ratio=0.05, max_area_ratio=0.9,
                      aspect_range=(0.2, 5.0), fill_color=200)
    np.random.seed(seed)
    out = t(dict(img=img))['img']
    expected = _replay_mmpretrain(seed, 60, 80, 0.7, (0.05, 0.9), (0.2, 5.0))
    assert erased_box(img, out) == expected


def test_mmpretrain_clips_an_oversized_box_timm_redraws():
    img = np.zeros((20, 30), np.uint8)
    kwargs = dict(erase_prob=1.0, min_area_ratio=0.9, max_area_ratio=1.0,
                  aspect_range=(4.0, 4.0), fill_color=9)
    # h = sqrt(area * 4) > 20: MMPretrain erases full-height columns, timm finds no fit
    out = RandomErasing(**kwargs)(dict(img=img))['img']
    top, left, h, w = erased_box(img, out)
    assert (top, h) == (0, 20) and 11 <= w <= 12
    assert (RandomErasing(sampler='timm', **kwargs)(dict(img=img))['img'] == 0).all()


@pytest.mark.parametrize('sampler,expected_mean', [('mmpretrain', 99.5), ('timm', 100.0)])
def test_noise_truncated_or_rounded(sampler, expected_mean):
    # N(100, 10) noise: truncation lowers the mean by 0.5, rounding keeps it (sd of mean ~0.05)
    img = np.zeros((200, 200, 3), np.uint8)
    t = RandomErasing(sampler=sampler, erase_prob=1.0, min_area_ratio=0.9, max_area_ratio=0.9,
                      aspect_range=(1.0, 1.0), mode='rand', fill_color=100., fill_std=10.)
    out = t(dict(img=img))['img']
    top, left, h, w = erased_box(img, out)
    assert abs(out[top:top + h, left:left + w].mean() - expected_mean) < 0.2


def test_uniform_noise_covers_every_value_equally():
    img = np.zeros((200, 200), np.uint8)
    for sampler in SAMPLERS:
        t = RandomErasing(sampler=sampler, erase_prob=1.0, min_area_ratio=0.9,
                          max_area_ratio=0.9, aspect_range=(1.0, 1.0), mode='rand')
        out = t(dict(img=img))['img']
        top, left, h, w = erased_box(img, out)
        counts = np.bincount(out[top:top + h, left:left + w].ravel(), minlength=256)
        expected = h * w / 256
        assert np.abs(counts - expected).max() < 5 * math.sqrt(expected)  # 5 sigma


def test_const_with_std_mmpretrain_ignores_it_timm_draws_one_colour(img):
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    with pytest.MonkeyPatch.context() as mp:
        messages = []
        mp.setattr(logger, 'warning', messages.append)
        t = RandomErasing(erase_prob=1.0, fill_color=(10.7, 20, 30), fill_std=5.)
    assert messages and "fill_std=5.0 has no effect with mode='const'" in messages[0]
    out = t(dict(img=img))['img']
    top, left, h, w = erased_box(img, out)
    assert (out[top:top + h, left:left + w] == (10, 20, 30)).all()  # truncated, as MMPretrain
    colours = set()
    t = RandomErasing(sampler='timm', erase_prob=1.0, fill_color=(100, 100, 100), fill_std=5.)
    for _ in range(20):
        out = t(dict(img=img))['img']
        top, left, h, w = erased_box(img, out)
        patch = out[top:top + h, left:left + w].reshape(-1, 3)
        assert (patch == patch[0]).all()  # one colour per box
        colours.add(tuple(patch[0]))
    assert len(colours) > 10


@pytest.mark.parametrize('seed', range(40))
def test_timm_box_equals_timms_random_erasing(seed):
    # timm erases a CHW tensor with zeros in 'const' mode; ours erases with fill 0
    height, width = 45, 70
    timm_t = TimmRandomErasing(probability=0.6, min_area=0.05, max_area=0.6, min_aspect=0.25,
                               mode='const', device='cpu')
    random.seed(seed)
    expected_img = torch.ones(3, height, width)
    timm_t(expected_img)
    random.seed(seed)
    ours = RandomErasing(sampler='timm', erase_prob=0.6, min_area_ratio=0.05,
                         max_area_ratio=0.6, aspect_range=0.25, fill_color=0)
    out = ours(dict(img=np.ones((height, width, 3), np.uint8)))['img']
    np.testing.assert_array_equal(out.transpose(2, 0, 1), expected_img.numpy())


def test_peer_sampler_is_the_default_and_recipes_use_timm():
    from pathlib import Path

    from mmengine.config import Config
    assert RandomErasing().sampler == 'mmpretrain'
    root = Path(__file__).resolve().parents[3]
    for name in ('imagenet_convnext_224', 'imagenet21k_convnext_224'):
        cfg = Config.fromfile(str(root / f'configs/_base_/datasets/{name}.py'))
        (step,) = [s for s in cfg.train_pipeline if s['type'] == 'RandomErasing']
        assert step['sampler'] == 'timm'


def test_sampler_error_and_repr():
    with pytest.raises(ValueError, match=r"sampler must be one of \('mmpretrain', 'timm'\); "
                                         r"got 'tim'. Did you mean 'timm'\?"):
        RandomErasing(sampler='tim')
    assert repr(RandomErasing(sampler='timm')).endswith('fill_std=None, sampler=timm)')
