"""RandAugment: policy format, hparams merging, op draws, and timm's RandAugment reproduced.

The reference for ``backend='pillow'`` is timm itself (``timm.data.auto_augment.AugmentOp``,
the op the ConvNeXt recipe's ``rand-m9-mstd0.5-inc1`` applies), run on the same pixels.
"""
import copy
import inspect
import random
from pathlib import Path
from unittest import mock

import numpy as np
import pytest
import timm.data.auto_augment as timm_aa
from mmengine.config import Config
from PIL import Image

from mmcls_convnext.datasets.errors import DataConfigError
from mmcls_convnext.datasets.transforms import POLICIES, RandAugment
from mmcls_convnext.registry import TRANSFORMS

ROOT = Path(__file__).resolve().parents[3]
TIMM_NAMES = ['AutoContrast', 'Equalize', 'Invert', 'Rotate', 'PosterizeIncreasing',
              'SolarizeIncreasing', 'SolarizeAdd', 'ColorIncreasing', 'ContrastIncreasing',
              'BrightnessIncreasing', 'SharpnessIncreasing', 'ShearX', 'ShearY',
              'TranslateXRel', 'TranslateYRel']
# timm's positive angle/shear/shift moves content the other way than mmcv's (and ours)
SIGN_FLIPPED = {'Rotate', 'ShearX', 'ShearY', 'TranslateXRel', 'TranslateYRel'}
FILL_RGB = (124, 116, 104)
PILLOW = dict(pad_val=list(FILL_RGB[::-1]), interpolation='bicubic', backend='pillow')


@pytest.fixture
def rgb():
    """A smooth RGB image (random walks along rows), odd sizes to catch centre conventions."""
    rng = np.random.default_rng(0)
    return (np.cumsum(rng.integers(-6, 7, (37, 53, 3)), axis=1) % 256).astype(np.uint8)


def _single_op(policy: dict, level: float, negate: bool):
    """One op of the set, always applied, at ``level``, with a fixed sign."""
    cfg = dict(policy, prob=1.0, magnitude_level=level, total_level=10)
    params = inspect.signature(TRANSFORMS.get(cfg['type']).__init__).parameters
    cfg.update({k: v for k, v in PILLOW.items() if k in params})
    if 'random_negative_prob' in params:
        cfg['random_negative_prob'] = 1.0 if negate else 0.0
    return TRANSFORMS.build(cfg)


def _timm_op(name: str, img: np.ndarray, level: float, negate: bool) -> np.ndarray:
    op = timm_aa.AugmentOp(name, prob=1.0, magnitude=level,
                           hparams=dict(img_mean=FILL_RGB, interpolation=Image.BICUBIC))
    # timm negates when random.random() > 0.5
    with mock.patch('random.random', return_value=0.9 if negate else 0.1):
        return np.asarray(op(Image.fromarray(img)))


def test_timm_increasing_is_timms_op_set():
    assert [p['type'] for p in POLICIES['timm_increasing']] == [
        'AutoContrast', 'Equalize', 'Invert', 'Rotate', 'Posterize', 'Solarize', 'SolarizeAdd',
        'ColorTransform', 'Contrast', 'Brightness', 'Sharpness', 'Shear', 'Shear', 'Translate',
        'Translate']
    assert TIMM_NAMES == list(timm_aa._RAND_INCREASING_TRANSFORMS)


@pytest.mark.parametrize('index', range(15), ids=TIMM_NAMES)
@pytest.mark.parametrize('level', [0, 2.5, 3, 7.3, 9, 10])
@pytest.mark.parametrize('negate', [False, True])
def test_pillow_op_equals_timm_pixel_for_pixel(rgb, index, level, negate):
    name = TIMM_NAMES[index]
    if name == 'PosterizeIncreasing' and level == 10:
        pytest.skip('timm asks PIL for 0 bits, which Pillow >= 11 refuses (ours: all black)')
    op = _single_op(POLICIES['timm_increasing'][index], level, negate)
    ours = op(dict(img=rgb[..., ::-1].copy()))['img'][..., ::-1]  # ops work on BGR
    timm_negate = (not negate) if name in SIGN_FLIPPED else negate
    np.testing.assert_array_equal(ours, _timm_op(name, rgb, level, timm_negate))


def test_posterize_level_10_keeps_no_bit(rgb):
    op = _single_op(POLICIES['timm_increasing'][4], 10, False)
    np.testing.assert_array_equal(op(dict(img=rgb))['img'], np.zeros_like(rgb))


@pytest.mark.parametrize('index,expected', [
    (3, lambda m: 30 * m), (4, lambda m: 4 - 4 * m), (5, lambda m: 256 - 256 * m),
    (6, lambda m: 110 * m), (7, lambda m: 0.9 * m), (11, lambda m: 0.3 * m),
    (13, lambda m: 0.45 * m)])
def test_level_to_argument(index, expected):
    op = TRANSFORMS.build(dict(POLICIES['timm_increasing'][index], magnitude_level=7,
                               total_level=10))
    assert op.random_magnitude() == pytest.approx(expected(0.7))


def _draws(op, n=4000):
    np.random.seed(1)
    return np.array([op.random_magnitude() for _ in range(n)])


def test_magnitude_noise_normal_clipped_and_uniform():
    cfg = dict(type='Rotate', magnitude_range=(0, 10), magnitude_level=9, total_level=10)
    levels = _draws(TRANSFORMS.build(dict(cfg, magnitude_std=0.5)))
    assert levels.max() <= 10 and (levels == 10).mean() == pytest.approx(0.023, abs=0.01)
    assert levels.mean() == pytest.approx(8.98, abs=0.03)  # N(9, 0.5) clipped at 10
    uniform = _draws(TRANSFORMS.build(dict(cfg, magnitude_level=6, magnitude_std='inf')))
    assert 0 <= uniform.min() < 0.1 and 5.9 < uniform.max() <= 6
    assert uniform.mean() == pytest.approx(3, abs=0.1)
    assert set(_draws(TRANSFORMS.build(cfg), 10)) == {9.0}


def test_prob_and_sign_frequencies():
    op = TRANSFORMS.build(dict(type='Rotate', angle=10.))
    np.random.seed(0)
    with mock.patch.object(type(op), '_cv2', lambda self, img, angle: np.full(1, angle)):
        outs = [op(dict(img=np.zeros(1)))['img'][0] for _ in range(4000)]
    outs = np.array(outs)
    assert np.mean(outs == 0) == pytest.approx(0.5, abs=0.03)  # prob 0.5: image untouched
    assert np.mean(outs == 10) == pytest.approx(0.25, abs=0.03)
    assert np.mean(outs == -10) == pytest.approx(0.25, abs=0.03)


def test_ops_are_drawn_uniformly_with_replacement():
    t = RandAugment(num_policies=2)
    np.random.seed(0)
    picks = np.array([t.random_policy_indices() for _ in range(6000)])
    counts = np.bincount(picks.ravel(), minlength=15) / picks.size
    assert np.allclose(counts, 1 / 15, atol=0.01)
    assert np.mean(picks[:, 0] == picks[:, 1]) == pytest.approx(1 / 15, abs=0.01)


def test_transform_applies_the_drawn_ops_in_order(rgb):
    t = RandAugment(policies=[dict(type='Invert', prob=1.), dict(type='Solarize', thr=0,
                                                                   prob=1.)], num_policies=3)
    np.random.seed(3)
    expected = t.random_policy_indices()
    np.random.seed(3)
    out = t(dict(img=rgb))['img']
    # both ops invert every pixel: an odd count of ops inverts the image
    np.testing.assert_array_equal(out, rgb if len(expected) % 2 == 0 else 255 - rgb)
    assert len(expected) == 3


def test_recipe_config_is_timm_with_pillow_and_opencv_affine_kernels():
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/datasets/imagenet_convnext_224.py'))
    (step,) = [s for s in cfg.train_pipeline if s['type'] == 'RandAugment']
    t = TRANSFORMS.build(copy.deepcopy(step))
    assert (t.num_policies, t.magnitude_level, t.magnitude_std) == (2, 9, 0.5)
    assert len(t.transforms) == 15
    assert all(op.prob == 0.5 for op in t.transforms)
    geometric = [op for op in t.transforms if hasattr(op, 'pad_val')]
    assert len(geometric) == 5
    assert all(op.backend == ('cv2' if op in geometric else 'pillow') for op in t.transforms)
    assert all(op.interpolation == 'bicubic' and op.pad_val == (104, 116, 124)
               for op in geometric)
    assert all(op.random_negative_prob == 0.5 for op in t.transforms if op.NEGATES)


def test_seeded_runs_repeat(rgb):
    t = RandAugment(magnitude_std=0.5, hparams=PILLOW)
    runs = []
    for python_seed in (0, 1):  # numpy's generator alone decides the draws
        random.seed(python_seed)
        np.random.seed(5)
        runs.append([t(dict(img=rgb))['img'] for _ in range(8)])
    assert all(np.array_equal(x, y) for x, y in zip(*runs))
    assert sum(not np.array_equal(x, rgb) for x in runs[0]) >= 3


def test_mmpretrain_base_file_in_a_user_config(tmp_path, rgb):
    base = ROOT / 'configs/_base_/datasets/pipelines/rand_aug.py'
    cfg_file = tmp_path / 'cfg.py'
    cfg_file.write_text(f"""
_base_ = [{str(base)!r}]
train_pipeline = [
    dict(type='RandAugment', policies={{{{_base_.rand_increasing_policies}}}}, num_policies=2,
         total_level=10, magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic')),
    dict(type='PackInputs'),
]
""")
    cfg = Config.fromfile(str(cfg_file))
    t = TRANSFORMS.build(cfg.train_pipeline[0])
    same = RandAugment(policies='timm_increasing', magnitude_std=0.5,
                       hparams=dict(pad_val=[104, 116, 124], interpolation='bicubic'))
    assert t.policies == same.policies  # magnitude_key dropped; all else equal
    np.random.seed(2)
    out = TRANSFORMS.build(cfg.train_pipeline[1])(t(dict(img=rgb)))
    assert tuple(out['inputs'].shape) == (3, 37, 53)


def test_policies_as_built():
    t = RandAugment(policies=[dict(type='Equalize'), dict(type='Rotate', magnitude_range=(0, 30),
                                                          magnitude_level=2)],
                    num_policies=1, magnitude_level=7, magnitude_std=0.5,
                    hparams=dict(pad_val=[1, 2, 3], prob=0.8))
    equalize, rotate = t.policies
    assert equalize == dict(type='Equalize', prob=0.8)
    assert rotate == dict(type='Rotate', magnitude_range=(0, 30), magnitude_level=7,
                          magnitude_std=0.5, total_level=10, pad_val=[1, 2, 3], prob=0.8)
    assert [type(op).__name__ for op in t] == ['Equalize', 'Rotate']
    own = RandAugment(policies=[dict(type='Rotate', angle=5, pad_val=0)],
                      hparams=dict(pad_val=9))
    assert own.transforms[0].pad_val == 0  # the policy's own value wins



def test_backends_per_op_type():
    t = RandAugment(policies=[dict(type='Equalize'), dict(type='Rotate', magnitude_range=(0, 30)),
                              dict(type='Shear', magnitude_range=(0, 1), backend='pillow')],
                    hparams=dict(backend='pillow'), backends=dict(Rotate='cv2', Shear='cv2'))
    assert [op.backend for op in t] == ['pillow', 'cv2', 'pillow']  # a policy's own wins
    assert t.policies[1]['backend'] == 'cv2'


@pytest.mark.parametrize('backends,match', [
    (dict(Rotat='cv2'), r"'Rotat' is not an op type of the policies.*Did you mean"),
    (dict(Rotate='opencv'), r"Rotate='opencv'; the backends are"),
    ('cv2', 'backends must be a dict'),
])
def test_backends_errors(backends, match):
    with pytest.raises((DataConfigError, TypeError), match=match):
        RandAugment(backends=backends)


def _demo_rgb(size=(224, 224)) -> np.ndarray:
    with Image.open(ROOT / 'demo' / 'demo.JPEG') as im:
        return np.asarray(im.convert('RGB').resize(size, Image.BICUBIC))


def _psnr(a, b) -> float:
    err = np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)
    return 10 * np.log10(255 ** 2 / err)


@pytest.mark.parametrize('index', [3, 11, 12, 13, 14], ids=[TIMM_NAMES[i] for i in
                                                           (3, 11, 12, 13, 14)])
def test_opencv_affine_kernels_give_timms_images(index):
    """The recipe's cv2 affine ops against timm's PIL op on a real photo: the same geometry,
    fill and magnitude (the image of a 10 % larger argument is much further away), only the
    cubic kernel differs (grey-level means within 1: OpenCV blends the fill into the edge)."""
    rgb = _demo_rgb()
    name = TIMM_NAMES[index]
    for level, negate in ((3, False), (7.3, True), (9, False), (9, True)):
        cfg = dict(POLICIES['timm_increasing'][index], prob=1.0, magnitude_level=level,
                   total_level=10, pad_val=list(FILL_RGB[::-1]), interpolation='bicubic',
                   backend='cv2', random_negative_prob=1.0 if negate else 0.0)
        ours = TRANSFORMS.build(cfg)(dict(img=rgb[..., ::-1].copy()))['img'][..., ::-1]
        timm_negate = not negate  # every affine op's sign is flipped in timm
        ref = _timm_op(name, rgb, level, timm_negate)
        assert _psnr(ours, ref) > 40
        assert np.abs(ours.astype(float) - ref).mean() < 1.5
        assert abs(ours.mean() - ref.mean()) < 1 and abs(ours.std() - ref.std()) < 1
        off = _timm_op(name, rgb, level + 1, timm_negate)  # a 10 % larger argument
        assert _psnr(ours, ref) > _psnr(ours, off) + 3

def test_repr_lists_the_policies():
    t = RandAugment(policies=[dict(type='Posterize', magnitude_range=(4, 0)),
                              dict(type='Equalize')], num_policies=1, magnitude_level=7)
    assert repr(t) == ('RandAugment(num_policies=1, magnitude_level=7, total_level=10, '
                       'policies:\n    Posterize (4, 0)\n    Equalize\n)')


@pytest.mark.parametrize('kwargs,match', [
    (dict(policies='timm_increasng'),
     r"choose from \['timm_increasing', 'simple_increasing'\].*Did you mean"),
    (dict(policies=[]), 'non-empty list of op dicts'),
    (dict(policies=['Rotate']), 'policy 0 must be a dict with a "type" key'),
    (dict(policies=[dict(type='Rotat', magnitude_range=(0, 1))]),
     r"unknown op type 'Rotat'.*Did you mean \['Rotate'"),
    (dict(policies=[dict(type='mmpretrain.Rotat', magnitude_range=(0, 1))]),
     r"unknown op type 'mmpretrain.Rotat'.*Did you mean \['Rotate'"),
    (dict(policies=[dict(type='Rotate', magnitude_key='magnitude', magnitude_range=(0, 30))]),
     "magnitude_key='magnitude', but magnitude_range sets its 'angle'"),
    (dict(policies=[dict(type='Rotate', magnitude_key='angle')]),
     'magnitude_key without magnitude_range'),
    (dict(hparams=dict(interpolaton='bicubic')),
     r"hparams \['interpolaton'\]: no op takes.*Did you mean \['interpolation'\]"),
    (dict(magnitude_level=11), 'magnitude_level <= total_level'),
    (dict(magnitude_std='big'), 'got "big" instead'),
    (dict(num_policies=-1), 'num_policies must be an int >= 0'),
])
def test_errors(kwargs, match):
    with pytest.raises((DataConfigError, TypeError), match=match):
        RandAugment(**kwargs)


def test_errors_are_also_assertion_errors():
    with pytest.raises(AssertionError, match='choose from'):
        RandAugment(policies='unknown')
    with pytest.raises(ValueError, match='choose from'):
        RandAugment(policies='unknown')


def test_recipe_backends_change_kernels_not_draws():
    """The recipe's RandAugment against the same one with Pillow kernels throughout: the same
    seeded draws give the same images from the non-affine ops and images within the affine
    kernels' bound from the affine ones (op choice, sign, magnitude and skips unchanged)."""
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/datasets/imagenet_convnext_224.py'))
    (step,) = [s for s in cfg.train_pipeline if s['type'] == 'RandAugment']
    recipe = TRANSFORMS.build(copy.deepcopy(step))
    all_pillow = TRANSFORMS.build({k: v for k, v in copy.deepcopy(step).items()
                                   if k != 'backends'})
    bgr = _demo_rgb()[..., ::-1].copy()
    affine = {'Rotate', 'Shear', 'Translate'}
    for seed in range(40):
        outs = []
        for t in (recipe, all_pillow):
            np.random.seed(seed)
            picked = [t.policies[i]['type'] for i in t.random_policy_indices()]
            np.random.seed(seed)
            outs.append(np.asarray(t(dict(img=bgr.copy()))['img'], dtype=float))
        if not affine & set(picked):
            np.testing.assert_array_equal(outs[0], outs[1])
        elif not np.array_equal(outs[0], outs[1]):
            assert _psnr(outs[0], outs[1]) > 30  # two ops may compound the kernel difference
