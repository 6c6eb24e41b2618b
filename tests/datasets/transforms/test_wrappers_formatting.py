"""AutoAugment, Cutout, GaussianBlur, the formatting helpers and the wrapping transforms
(MultiView, Albumentations, torchvision/*) against direct computations."""
import random

import numpy as np
import pytest
import torch
from PIL import Image, ImageFilter
from torchvision import transforms as tv

from mmcls_convnext.datasets import DataConfigError
from mmcls_convnext.datasets.transforms import AUTOAUG_POLICIES, VISION_TRANSFORMS
from mmcls_convnext.registry import TRANSFORMS

IMG = np.random.RandomState(3).randint(0, 256, (24, 32, 3), np.uint8)


def build(**cfg):
    return TRANSFORMS.build(cfg)


# --------------------------------------------------------------------- Cutout
def test_cutout_fills_one_clipped_box():
    out = build(type='Cutout', shape=(6, 9), prob=1., pad_val=(1, 2, 3))(dict(img=IMG.copy()))
    changed = np.argwhere((out['img'] != IMG).any(-1))
    rows, cols = np.unique(changed[:, 0]), np.unique(changed[:, 1])
    assert 0 < len(rows) <= 6 and 0 < len(cols) <= 9
    box = out['img'][rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    assert (box == np.array([1, 2, 3], np.uint8)).all()


def test_cutout_magnitude_and_errors():
    np.random.seed(0)
    out = build(type='Cutout', magnitude_range=(0, 10), magnitude_level=4, prob=1.,
                pad_val=0)(dict(img=np.full((40, 40, 3), 255, np.uint8)))['img']
    # side int(4 / 10 * 10) = 4: at most 16 pixels set to 0
    assert 0 < (out == 0).all(-1).sum() <= 16
    with pytest.raises(DataConfigError, match='only one of'):
        build(type='Cutout')
    with pytest.raises(TypeError, match='multiple values'):
        build(type='Cutout', shape=3, random_negative_prob=0.5)


# --------------------------------------------------------------- GaussianBlur
def test_gaussian_blur_is_pils_filter():
    out = build(type='GaussianBlur', radius=1.5, prob=1.)(dict(img=IMG.copy()))['img']
    expected = np.asarray(Image.fromarray(IMG).filter(ImageFilter.GaussianBlur(1.5)))
    np.testing.assert_array_equal(out, expected)
    pil = Image.fromarray(IMG)
    out = build(type='GaussianBlur', radius=1.5, prob=1.)(dict(img=pil))['img']
    assert isinstance(out, Image.Image)


def test_gaussian_blur_radius_law():
    transform = build(type='GaussianBlur', magnitude_range=(0.1, 2.0), magnitude_std='inf')
    np.random.seed(1)
    radii = np.array([transform.random_magnitude() for _ in range(4000)])
    assert 0.1 <= radii.min() and radii.max() <= 2.0
    # uniform on [0.1, 2.0]: mean 1.05, each fifth of the range ~ 800 draws
    assert abs(radii.mean() - 1.05) < 0.03
    counts = np.histogram(radii, bins=5, range=(0.1, 2.0))[0]
    assert (abs(counts - 800) < 120).all(), counts


# ---------------------------------------------------------------- AutoAugment
def test_autoaugment_imagenet_policy_and_hparams():
    policies = AUTOAUG_POLICIES['imagenet']
    assert len(policies) == 25 and all(len(sub) == 2 for sub in policies)
    transform = build(type='AutoAugment', policies='imagenet', hparams=dict(pad_val=0))
    # pad_val reaches the ops that take it (Rotate, Shear) only
    for sub in transform.policies:
        for op in sub:
            assert ('pad_val' in op) == (op['type'] in ('Rotate', 'Shear')), op
    assert transform.policies[0][1] == dict(type='Rotate', angle=30., prob=0.6, pad_val=0)


def test_autoaugment_draws_one_subpolicy_uniformly():
    policies = [[dict(type='Invert', prob=1.)], [dict(type='Solarize', thr=0, prob=1.)],
                [dict(type='Posterize', bits=0, prob=1.)]]
    transform = build(type='AutoAugment', policies=policies)
    img = np.full((2, 2, 3), 10, np.uint8)
    # Invert: 245; Solarize(thr=0): 245 as well, Posterize(0 bits): 0
    np.random.seed(0)
    outs = [int(transform(dict(img=img.copy()))['img'][0, 0, 0]) for _ in range(3000)]
    zeros = outs.count(0)
    assert set(outs) == {0, 245} and abs(zeros - 1000) < 90  # 1/3 of the draws, 5 sigma


def test_autoaugment_errors():
    with pytest.raises(DataConfigError, match='choose from'):
        build(type='AutoAugment', policies='imagenett')
    with pytest.raises(TypeError, match='sub-policies'):
        build(type='AutoAugment', policies=[dict(type='Invert')])
    with pytest.raises(DataConfigError, match='unknown op type'):
        build(type='AutoAugment', policies=[[dict(type='Invrt')]])
    with pytest.raises(DataConfigError, match='AutoAugment hparams'):
        build(type='AutoAugment', hparams=dict(pad_vall=0))


# ----------------------------------------------------------------- formatting
def test_pil_numpy_round_trip_and_channel_order():
    to_pil = build(type='ToPIL', to_rgb=True)
    pil = to_pil(dict(img=IMG.copy()))['img']
    np.testing.assert_array_equal(np.asarray(pil), IMG[..., ::-1])
    back = build(type='ToNumpy', to_bgr=True)(dict(img=pil))['img']
    np.testing.assert_array_equal(back, IMG)
    as_float = build(type='PILToNumpy', dtype='float32')(dict(img=pil))['img']
    assert as_float.dtype == np.float32
    with pytest.raises(TypeError, match='not a numpy dtype'):
        build(type='ToNumpy', dtype='floatt')


def test_transpose_and_collect():
    out = build(type='Transpose', keys=['img'], order=[2, 0, 1])(dict(img=IMG.copy()))
    np.testing.assert_array_equal(out['img'], IMG.transpose(2, 0, 1))
    with pytest.raises(DataConfigError, match='permutation'):
        build(type='Transpose', keys=['img'], order=[0, 0, 1])
    assert build(type='Collect', keys=['a'])(dict(a=1, b=2)) == dict(a=1)
    with pytest.raises(KeyError, match=r"keys \['c'\] are not in the results"):
        build(type='Collect', keys=['c'])(dict(a=1))


# ------------------------------------------------------------------- wrappers
def test_multiview_runs_each_pipeline_on_copies():
    transform = build(type='MultiView', num_views=[2, 1], transforms=[
        [dict(type='RandomCrop', crop_size=8)], [dict(type='Invert', prob=1.)]])
    np.random.seed(0)
    out = transform(dict(img=IMG.copy(), gt_label=3))
    assert len(out['img']) == 3 and out['gt_label'] == 3
    assert out['img'][0].shape == (8, 8, 3) and out['img'][1].shape == (8, 8, 3)
    np.testing.assert_array_equal(out['img'][2], 255 - IMG)
    with pytest.raises(DataConfigError, match='one number of views per pipeline'):
        build(type='MultiView', num_views=[1, 1], transforms=[[]])


def test_torchvision_wrappers_are_torchvision():
    assert 'torchvision/RandomResizedCrop' in VISION_TRANSFORMS
    assert all(name in TRANSFORMS for name in VISION_TRANSFORMS)
    pil = Image.fromarray(IMG)
    wrapped = build(type='torchvision/RandomResizedCrop', size=16, interpolation='bicubic')
    torch.manual_seed(0)
    out = wrapped(dict(img=pil))['img']
    torch.manual_seed(0)
    expected = tv.RandomResizedCrop(16, interpolation=tv.InterpolationMode.BICUBIC)(pil)
    np.testing.assert_array_equal(np.asarray(out), np.asarray(expected))
    assert repr(wrapped).startswith('TorchVisionRandomResizedCrop(size=(16, 16)')
    tensor = build(type='torchvision/ConvertImageDtype', dtype='float')(
        dict(img=torch.zeros(3, 2, 2, dtype=torch.uint8)))['img']
    assert tensor.dtype == torch.float32
    with pytest.raises(DataConfigError, match='not a torch dtype'):
        build(type='torchvision/ConvertImageDtype', dtype='flaot')
    with pytest.raises(DataConfigError, match="interpolation 'area'"):
        build(type='torchvision/Resize', size=8, interpolation='area')


def test_albumentations_is_reproducible_under_seeding():
    pytest.importorskip('albumentations')
    cfg = dict(type='Albu', transforms=[dict(type='HorizontalFlip', p=0.5),
                                        dict(type='RandomBrightnessContrast', p=0.5)])
    transform = build(**cfg)
    runs = []
    for _ in range(2):
        np.random.seed(4)  # what mmengine's seeding sets: numpy's and Python's generators
        random.seed(4)
        runs.append([transform(dict(img=IMG.copy()))['img'] for _ in range(6)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    flips = [np.array_equal(img, IMG[:, ::-1]) for img in runs[0]]
    assert len({img.tobytes() for img in runs[0]}) > 1 or any(flips)
    with pytest.raises(DataConfigError, match="has no transform 'HorizontalFlp'.*Did you mean"):
        build(type='Albumentations', transforms=[dict(type='HorizontalFlp')])
    out = build(type='Albumentations', transforms=[dict(type='HorizontalFlip', p=1.)],
                keymap=dict(img='image'))(dict(img=IMG.copy()))
    np.testing.assert_array_equal(out['img'], IMG[:, ::-1])
    assert out['img_shape'] == (24, 32)


def test_albumentations_in_a_pipeline_keeps_the_other_keys(tmp_path):
    # after LoadImageFromFile the results hold img_path, img_shape, ori_shape, gt_label...:
    # albumentations' strict Compose would refuse them as unknown targets
    pytest.importorskip('albumentations')
    from mmcv.transforms import Compose
    from PIL import Image
    path = tmp_path / 'a.png'
    Image.fromarray(IMG[..., ::-1]).save(path)
    pipeline = Compose([build(type='LoadImageFromFile'),
                        build(type='Albumentations', transforms=[dict(type='HorizontalFlip',
                                                                      p=1.)]),
                        build(type='PackInputs')])
    out = pipeline(dict(img_path=str(path), gt_label=3, sample_idx=7))
    np.testing.assert_array_equal(out['inputs'].permute(1, 2, 0).numpy(), IMG[:, ::-1])
    sample = out['data_samples']
    assert int(sample.gt_label) == 3 and sample.sample_idx == 7
    assert sample.img_path == str(path) and sample.ori_shape == (24, 32)
