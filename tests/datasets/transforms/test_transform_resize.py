"""RandomResizedCrop, ResizeEdge and the mmcv transforms registered under our scope."""
import mmcv.transforms
import numpy as np
import pytest
from PIL import Image
from torchvision.transforms import functional as TF

from mmcls_convnext.datasets.transforms import RandomResizedCrop, ResizeEdge
from mmcls_convnext.registry import TRANSFORMS


def image(height: int, width: int) -> np.ndarray:
    return np.random.default_rng(1).integers(0, 256, (height, width, 3), dtype=np.uint8)


@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
@pytest.mark.parametrize('scale,expected', [(24, (24, 24)), ((20, 12), (20, 12))])  # (h, w)
def test_random_resized_crop_output_size(backend, scale, expected):
    t = RandomResizedCrop(scale, backend=backend, interpolation='bicubic')
    for h, w in [(40, 60), (61, 17), (8, 8)]:
        out = t(dict(img=image(h, w)))
        assert out['img'].shape == expected + (3,)
        assert out['img_shape'] == expected
        assert out['img'].dtype == np.uint8


def test_random_resized_crop_scale_and_ratio_ranges():
    t = RandomResizedCrop(16, crop_ratio_range=(0.2, 0.5), aspect_ratio_range=(0.5, 2.0))
    h, w = 300, 400
    areas, ratios = [], []
    for _ in range(500):
        top, left, ch, cw = t.get_params(h, w)
        assert 0 <= top <= h - ch and 0 <= left <= w - cw
        areas.append(ch * cw / (h * w))
        ratios.append(cw / ch)
    # rounding of the side lengths moves the area by < 1 %
    assert 0.2 * 0.99 <= min(areas) and max(areas) <= 0.5 * 1.01
    assert 0.5 * 0.98 <= min(ratios) and max(ratios) <= 2.0 * 1.02
    assert max(areas) - min(areas) > 0.2  # really random


def test_random_resized_crop_fallback_is_central_and_clipped():
    t = RandomResizedCrop(8, crop_ratio_range=(1., 1.), aspect_ratio_range=(1., 1.),
                          max_attempts=0)
    assert t.get_params(10, 40) == (0, 15, 10, 10)  # too wide: central square crop


def test_random_resized_crop_full_crop_equals_pil_resize():
    img = image(30, 30)
    t = RandomResizedCrop(16, crop_ratio_range=(1., 1.), aspect_ratio_range=(1., 1.),
                          backend='pillow', interpolation='bicubic')
    expected = np.asarray(Image.fromarray(img).resize((16, 16), Image.BICUBIC))
    np.testing.assert_array_equal(t(dict(img=img))['img'], expected)


def test_random_resized_crop_crops_the_drawn_box():
    img = image(50, 70)
    t = RandomResizedCrop((50, 70), crop_ratio_range=(0.3, 0.3), interpolation='nearest',
                          backend='cv2')
    np.random.seed(3)
    import random
    random.seed(3)
    top, left, ch, cw = t.get_params(50, 70)
    random.seed(3)
    out = t(dict(img=img))['img']
    crop = img[top:top + ch, left:left + cw]
    # nearest upscaling keeps the crop's corner pixels in the output corners
    np.testing.assert_array_equal(out[0, 0], crop[0, 0])
    np.testing.assert_array_equal(out[-1, -1], crop[-1, -1])


@pytest.mark.parametrize('kwargs,match', [
    (dict(scale=0), 'must be positive'),
    (dict(scale='a'), 'must be an int or an \\(h, w\\) pair'),
    (dict(scale=(1, 2, 3)), 'must be an int or an \\(h, w\\) pair'),
    (dict(scale=8, max_attempts=-1), 'max_attempts must be a non-negative int'),
    (dict(scale=8, crop_ratio_range=(0.5, 0.1)), 'crop_ratio_range must be'),
    (dict(scale=8, backend='skimage'), "backend must be one of \\('cv2', 'pillow', 'torch'\\)"),
    (dict(scale=8, backend='torch', interpolation='lanczos'), 'not available with backend'),
    (dict(scale=8, backend='cv2', interpolation='hamming'), 'not available with backend'),
])
def test_random_resized_crop_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        RandomResizedCrop(**kwargs)
    with pytest.raises(AssertionError):  # what MMPretrain raises for these
        RandomResizedCrop(**kwargs)


def test_random_resized_crop_repr():
    assert repr(RandomResizedCrop((20, 30), interpolation='bicubic', backend='pillow')) == (
        'RandomResizedCrop(scale=(20, 30), crop_ratio_range=(0.08, 1.0), aspect_ratio_range='
        '(0.75, 1.3333), max_attempts=10, interpolation=bicubic, backend=pillow)')


@pytest.mark.parametrize('h,w', [(375, 500), (500, 375), (100, 100), (33, 90)])
def test_resize_edge_short_matches_torchvision(h, w):
    img = image(h, w)
    out = ResizeEdge(64, edge='short', backend='pillow', interpolation='bicubic')(
        dict(img=img))['img']
    expected = np.asarray(TF.resize(Image.fromarray(img), 64,
                                    interpolation=TF.InterpolationMode.BICUBIC))
    assert out.shape == expected.shape
    np.testing.assert_array_equal(out, expected)
    assert min(out.shape[:2]) == 64
    assert abs(out.shape[1] / out.shape[0] - w / h) < 2 / 64  # aspect ratio kept


@pytest.mark.parametrize('edge,expected', [('short', (48, 64)), ('long', (36, 48)),
                                           ('width', (36, 48)), ('height', (48, 64))])
def test_resize_edge_other_edges(edge, expected):
    out = ResizeEdge(48, edge=edge)(dict(img=image(30, 40)))  # (h, w) = (30, 40)
    assert out['img'].shape[:2] == expected
    assert out['img_shape'] == expected
    assert out['scale_factor'] == (expected[1] / 40, expected[0] / 30)
    assert out['scale'] == expected[::-1]  # (w, h), as mmcv's Resize


def test_resize_edge_errors_and_repr():
    with pytest.raises(ValueError, match="Invalid edge \"diagonal\".*edge must be one of"):
        ResizeEdge(8, edge='diagonal')
    with pytest.raises(AssertionError, match='Invalid edge'):
        ResizeEdge(8, edge='diagonal')
    assert repr(ResizeEdge(8, edge='long', backend='pillow', interpolation='bicubic')) == (
        'ResizeEdge(scale=8, edge=long, backend=pillow, interpolation=bicubic)')
    with pytest.raises(ValueError, match='positive int'):
        ResizeEdge(-1)


def test_eval_pipeline_gives_224():
    pipeline = [TRANSFORMS.build(dict(type='ResizeEdge', scale=256, edge='short',
                                      backend='pillow', interpolation='bicubic')),
                TRANSFORMS.build(dict(type='CenterCrop', crop_size=224))]
    results = dict(img=image(300, 451))
    for t in pipeline:
        results = t(results)
    assert results['img'].shape == (224, 224, 3)
    # equals torchvision's Resize(256, bicubic) + CenterCrop(224) on the same PIL image
    ref = TF.center_crop(TF.resize(Image.fromarray(image(300, 451)), 256,
                                   interpolation=TF.InterpolationMode.BICUBIC), 224)
    np.testing.assert_array_equal(results['img'], np.asarray(ref))


@pytest.mark.parametrize('name', ['Resize', 'CenterCrop'])
def test_mmcv_transforms_registered(name):
    # mmcv's classes, which only convert a PIL / encoded image to its BGR array first
    cls = TRANSFORMS.get(name)
    assert issubclass(cls, getattr(mmcv.transforms, name)) and cls.__name__ == name


def test_random_flip_is_mmcv_compatible():
    flip = TRANSFORMS.get('RandomFlip')
    assert issubclass(flip, mmcv.transforms.RandomFlip)
    img = image(4, 6)
    out = flip(prob=1.0, direction='horizontal')(dict(img=img))
    np.testing.assert_array_equal(out['img'], img[:, ::-1])
    assert out['flip'] and out['flip_direction'] == 'horizontal'
    assert flip(prob=0.0, direction='horizontal')(dict(img=img))['flip'] is False
    flips = [flip(prob=0.3, direction='vertical')(dict(img=img))['flip'] for _ in range(2000)]
    assert abs(np.mean(flips) - 0.3) < 0.05
    out = flip(prob=[0.0, 1.0], direction=['horizontal', 'vertical'])(dict(img=img))
    assert out['flip_direction'] == 'vertical'


@pytest.mark.parametrize('h,w', [(375, 500), (500, 375), (40, 400), (300, 300)])
def test_random_resized_crop_draws_timms_boxes(h, w):
    # the ImageNet recipe's crop: box for box what timm's RandomResizedCropAndInterpolation
    # draws from the same Python random seed (fallback included, for the 40 x 400 image)
    import random

    from timm.data.transforms import RandomResizedCropAndInterpolation as TimmRRC
    ours = RandomResizedCrop(224, backend='pillow', interpolation='bicubic')
    pil = Image.new('RGB', (w, h))
    for seed in range(200):
        random.seed(seed)
        expected = TimmRRC.get_params(pil, (0.08, 1.0), (3 / 4, 4 / 3))
        random.seed(seed)
        assert ours.get_params(h, w) == expected


def test_random_resized_crop_scale_and_ratio_histograms():
    # 20,000 draws against an independent vectorised computation of the same law: area
    # fraction uniform in the range and log-uniform aspect, redrawn (up to 10 times) until the
    # rounded box fits; histograms agree within 4 standard errors per bin
    import random
    random.seed(0)
    h, w, n = 375, 500, 20000
    t = RandomResizedCrop(224)
    ours = np.array([t.get_params(h, w) for _ in range(n)])
    rng = np.random.default_rng(0)
    pending, boxes = np.arange(n), np.zeros((n, 2))
    for _ in range(10):
        area = rng.uniform(0.08, 1.0, pending.size) * h * w
        aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3), pending.size))
        cw, ch = np.round(np.sqrt(area * aspect)), np.round(np.sqrt(area / aspect))
        fits = (cw <= w) & (ch <= h)
        boxes[pending[fits]] = np.stack([ch[fits], cw[fits]], 1)
        pending = pending[~fits]
    boxes[pending] = (h, w)  # 500 / 375 is within the ratio range: the whole image
    for values, reference, bins in [
            (ours[:, 2] * ours[:, 3] / (h * w), boxes[:, 0] * boxes[:, 1] / (h * w),
             np.linspace(0, 1, 21)),
            (np.log(ours[:, 3] / ours[:, 2]), np.log(boxes[:, 1] / boxes[:, 0]),
             np.linspace(-0.3, 0.3, 21))]:
        a, _ = np.histogram(values, bins)
        b, _ = np.histogram(reference, bins)
        assert np.all(np.abs(a - b) <= 4 * np.sqrt(a + b + 1)), (a, b)
    # the top-left corner is uniform over the positions the box allows
    slack = (h - ours[:, 2]) > 0
    rel = ours[slack, 0] / (h - ours[slack, 2])
    assert abs(rel.mean() - 0.5) < 0.01 and rel.min() == 0 and rel.max() == 1


def test_random_resized_crop_pillow_is_timms_pixel_for_pixel():
    # crop, then resize: timm's (torchvision's resized_crop) pixels, border pixels included
    import random
    from pathlib import Path

    from timm.data.transforms import RandomResizedCropAndInterpolation as TimmRRC
    demo = Path(__file__).resolve().parents[3] / 'demo' / 'demo.JPEG'
    rgb = Image.open(demo).convert('RGB')
    bgr = np.asarray(rgb)[..., ::-1].copy()
    timm_t = TimmRRC(64, interpolation='bicubic')
    ours = RandomResizedCrop(64, backend='pillow', interpolation='bicubic')
    for seed in range(20):
        random.seed(seed)
        expected = np.asarray(timm_t(rgb))
        for img in (bgr, rgb):
            random.seed(seed)
            out = np.asarray(ours(dict(img=img))['img'])
            np.testing.assert_array_equal(out[..., ::-1] if img is bgr else out, expected)
