"""LoadImageFromFile(lazy_decode=True): JPEGs decoded by the first transform that needs them.

Pinned: without reduced decoding the lazy pipeline gives the pixels of the array pipeline
exactly (same draws, same kernels); with it, the same crop region at a bounded loss.
"""
import copy
import random
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from PIL import Image

from mmcls_convnext.datasets.transforms import (
    POLICIES,
    ImageDecodeError,
    LoadImageFromFile,
    PackInputs,
    RandomErasing,
    RandomResizedCrop,
)
from mmcls_convnext.datasets.transforms.lazy_image import EncodedImage, draft_scale
from mmcls_convnext.registry import TRANSFORMS

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / 'demo' / 'demo.JPEG'


def photo(tmp_path, size, name='p.jpg') -> str:
    """The demo photo resized to ``size=(w, h)`` and written as a JPEG (quality 90)."""
    img = cv2.resize(cv2.imread(str(DEMO)), size, interpolation=cv2.INTER_AREA)
    path = str(tmp_path / name)
    cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def lazy_load(path):
    return LoadImageFromFile(lazy_decode=True)(dict(img_path=path))


def psnr(a, b) -> float:
    err = np.mean((np.asarray(a, float) - np.asarray(b, float)) ** 2)
    return 10 * np.log10(255 ** 2 / err)


@pytest.mark.parametrize('box,size,expected', [
    ((0, 0, 100, 100), (64, 64), 1), ((0, 0, 128, 200), (64, 64), 2),
    ((10, 10, 138, 137), (64, 64), 1),  # 127 rows < 2 * 64
    ((0, 0, 300, 256), (64, 64), 4), ((0, 0, 1024, 600), (64, 64), 8),
    ((0, 0, 4000, 4000), (64, 64), 8), ((0, 0, 448, 448), (224, 224), 2),
    ((0, 0, 500, 375), (224, 224), 1), ((0, 0, 512, 100), (64, 50), 2)])
def test_draft_scale_keeps_the_output_resolution(box, size, expected):
    assert draft_scale(box, size) == expected


def test_lazy_load_reads_the_header_only(tmp_path):
    path = photo(tmp_path, (500, 375))
    results = lazy_load(path)
    assert isinstance(results['img'], EncodedImage)
    assert results['img_shape'] == results['ori_shape'] == (375, 500)
    assert repr(LoadImageFromFile(lazy_decode=True)).endswith(", lazy_decode=True)")
    eager = LoadImageFromFile()(dict(img_path=path))['img']
    np.testing.assert_array_equal(PackInputs.format_input(results['img']).permute(1, 2, 0),
                                  eager)  # decoded as the eager path decodes


def test_other_files_are_decoded_at_once(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (12, 9, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(tmp_path / 'a.png')
    out = lazy_load(str(tmp_path / 'a.png'))['img']
    np.testing.assert_array_equal(out, rgb[..., ::-1])
    # a JPEG with an EXIF rotation: decoded (and rotated) at once, as without lazy_decode
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).save(tmp_path / 'r.jpg', exif=exif.tobytes())
    out = lazy_load(str(tmp_path / 'r.jpg'))
    eager = LoadImageFromFile()(dict(img_path=str(tmp_path / 'r.jpg')))
    np.testing.assert_array_equal(out['img'], eager['img'])
    assert out['ori_shape'] == (9, 12)
    # CMYK and grey JPEGs decode as without lazy_decode (CMYK at once, grey lazily)
    for mode in ('CMYK', 'L'):
        Image.fromarray(rgb).convert(mode).save(tmp_path / f'{mode}.jpg')
        path = str(tmp_path / f'{mode}.jpg')
        out = lazy_load(path)['img']
        assert isinstance(out, EncodedImage) == (mode == 'L')
        np.testing.assert_array_equal(PackInputs.format_input(out).permute(1, 2, 0),
                                      LoadImageFromFile()(dict(img_path=path))['img'])


def test_bad_files_name_the_path(tmp_path):
    (tmp_path / 'empty.jpg').write_bytes(b'')
    with pytest.raises(ImageDecodeError, match='empty.jpg.*empty'):
        lazy_load(str(tmp_path / 'empty.jpg'))
    (tmp_path / 'junk.jpg').write_bytes(b'not an image at all')
    with pytest.raises(ImageDecodeError, match='junk.jpg'):
        lazy_load(str(tmp_path / 'junk.jpg'))
    data = Path(photo(tmp_path, (200, 150))).read_bytes()
    (tmp_path / 'cut.jpg').write_bytes(data[:len(data) // 2])
    results = lazy_load(str(tmp_path / 'cut.jpg'))  # the header is intact
    with pytest.raises(ImageDecodeError, match='cut.jpg.*corrupt or truncated'):
        RandomResizedCrop(32, backend='pillow')(results)


@pytest.mark.parametrize('kwargs,match', [
    (dict(lazy_decode='yes'), 'lazy_decode must be True or False'),
    (dict(lazy_decode=True, to_float32=True), 'cannot be combined with to_float32=True'),
    (dict(lazy_decode=True, color_type='grayscale'), "color_type='grayscale'"),
])
def test_lazy_decode_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LoadImageFromFile(**kwargs)


def _train_pipelines(lazy_first: bool = True):
    cfg = Config.fromfile(str(ROOT / 'configs/_base_/datasets/imagenet_convnext_224.py'))
    steps = copy.deepcopy(cfg.train_pipeline)
    assert steps[0] == dict(type='LoadImageFromFile', lazy_decode=True)
    eager = [dict(type='LoadImageFromFile')] + steps[1:]
    return (Compose([TRANSFORMS.build(copy.deepcopy(s)) for s in steps]),
            Compose([TRANSFORMS.build(copy.deepcopy(s)) for s in eager]))


@pytest.mark.parametrize('size', [(500, 375), (375, 500)])
def test_recipe_lazy_pipeline_equals_the_array_pipeline(tmp_path, size):
    # a 500 x 375 photo never allows a reduced decode at 224: the same pixels, draw for draw
    path = photo(tmp_path, size)
    lazy, eager = _train_pipelines()
    for seed in range(12):
        outs = []
        for pipeline in (lazy, eager):
            random.seed(seed)
            np.random.seed(seed)
            torch.manual_seed(seed)
            outs.append(pipeline(dict(img_path=path, gt_label=1))['inputs'])
        assert outs[0].dtype == outs[1].dtype and outs[0].shape == (3, 224, 224)
        np.testing.assert_array_equal(outs[0].numpy(), outs[1].numpy())


@pytest.mark.parametrize('box,size', [((0, 0, 451, 300), (56, 56)), ((20, 10, 420, 290),
                                      (64, 64)), ((100, 50, 350, 290), (56, 56)),
                                      ((5, 7, 240, 250), (100, 100))])
def test_reduced_decode_same_region_bounded_loss(box, size):
    data = DEMO.read_bytes()
    encoded = EncodedImage.open(str(DEMO), data)
    scale = draft_scale(box, size)
    assert scale > 1
    pil, mapped = encoded.decode(box, size)
    assert pil.size == (-(-451 // scale), -(-300 // scale))  # ceil(W / s) x ceil(H / s)
    assert mapped == pytest.approx(tuple(v / scale for v in box))
    out = pil.resize(size, Image.BICUBIC, box=mapped)
    full = Image.open(DEMO).convert('RGB')
    ref = full.resize(size, Image.BICUBIC, box=box)
    assert psnr(out, ref) > 38
    assert np.abs(np.asarray(out, float) - np.asarray(ref, float)).mean() < 2.5
    # the test sees a misplaced region: the crop with its top-left corner one pixel off
    shifted = full.resize(size, Image.BICUBIC, box=(box[0] + 1, box[1] + 1) + box[2:])
    assert psnr(out, shifted) < psnr(out, ref) - 3


def test_random_resized_crop_reduced_decode_on_and_off(tmp_path):
    path = photo(tmp_path, (900, 600))
    kwargs = dict(scale=64, crop_ratio_range=(0.5, 1.0), backend='pillow',
                  interpolation='bicubic')
    eager = LoadImageFromFile()(dict(img_path=path))
    for seed in range(5):
        outs = []
        for t, results in [(RandomResizedCrop(**kwargs), lazy_load(path)),
                           (RandomResizedCrop(**kwargs, reduced_decode=False), lazy_load(path)),
                           (RandomResizedCrop(**kwargs), dict(eager))]:
            random.seed(seed)
            out = t(results)
            assert out['img_shape'] == (64, 64)
            outs.append(PackInputs.format_input(out['img']).permute(1, 2, 0).numpy())
        np.testing.assert_array_equal(outs[1], outs[2])  # full decode: exactly the array path
        assert psnr(outs[0], outs[2]) > 38 and not np.array_equal(outs[0], outs[2])
    assert repr(RandomResizedCrop(8, reduced_decode=False)).endswith(', reduced_decode=False)')
    with pytest.raises(ValueError, match='reduced_decode must be True or False'):
        RandomResizedCrop(8, reduced_decode=1)


def _op(policy: dict, backend: str, negate: bool):
    cfg = dict(policy, prob=1.0, magnitude_level=7, backend=backend)
    if cfg['type'] in ('Rotate', 'Shear', 'Translate'):
        cfg.update(pad_val=(104, 116, 124), interpolation='bicubic')
    if cfg['type'] not in ('Solarize', 'SolarizeAdd', 'Posterize', 'AutoContrast', 'Equalize',
                           'Invert'):
        cfg['random_negative_prob'] = 1.0 if negate else 0.0
    return TRANSFORMS.build(cfg)


@pytest.mark.parametrize('index', range(15))
@pytest.mark.parametrize('backend', ['pillow', 'cv2'])
def test_ops_on_pil_images_equal_ops_on_arrays(index, backend):
    bgr = cv2.resize(cv2.imread(str(DEMO)), (61, 47), interpolation=cv2.INTER_AREA)
    pil = Image.fromarray(bgr[..., ::-1].copy())
    for negate in (False, True):
        op = _op(POLICIES['timm_increasing'][index], backend, negate)
        from_array = op(dict(img=bgr.copy()))['img']
        from_pil = op(dict(img=pil))['img']
        if backend == 'pillow':
            assert isinstance(from_pil, Image.Image)  # no conversion in the PIL pipeline
        np.testing.assert_array_equal(PackInputs.format_input(from_pil).numpy(),
                                      PackInputs.format_input(from_array).numpy())


@pytest.mark.parametrize('direction', ['horizontal', 'vertical', 'diagonal'])
def test_flip_keeps_a_pil_image(direction):
    bgr = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    flip = TRANSFORMS.build(dict(type='RandomFlip', prob=1.0, direction=direction))
    out = flip(dict(img=Image.fromarray(bgr[..., ::-1].copy())))
    assert isinstance(out['img'], Image.Image) and out['flip_direction'] == direction
    np.testing.assert_array_equal(np.asarray(out['img'])[..., ::-1],
                                  flip(dict(img=bgr))['img'])


@pytest.mark.parametrize('cfg', [
    dict(type='Resize', scale=(40, 30), backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=50),
    dict(type='ResizeEdge', scale=60, backend='pillow', interpolation='bicubic'),
    dict(type='ResizeEdge', scale=60, backend='cv2'),
    dict(type='RandomResizedCrop', scale=32, backend='cv2'),
])
def test_other_transforms_take_an_encoded_image(tmp_path, cfg):
    path = photo(tmp_path, (160, 120))
    t = TRANSFORMS.build(cfg)
    outs = []
    for results in (lazy_load(path), LoadImageFromFile()(dict(img_path=path))):
        random.seed(0)
        out = t(results)
        outs.append(PackInputs.format_input(out['img']).numpy())
        assert out['img_shape'] == outs[-1].shape[1:]
    np.testing.assert_array_equal(outs[0], outs[1])


def test_random_erasing_converts_only_when_it_erases():
    bgr = np.random.default_rng(0).integers(0, 256, (40, 50, 3), dtype=np.uint8)
    pil = Image.fromarray(bgr[..., ::-1].copy())
    keep = RandomErasing(erase_prob=0., sampler='timm')
    assert keep(dict(img=pil))['img'] is pil
    erase = RandomErasing(erase_prob=1.0, mode='rand', fill_color=(1, 2, 3), fill_std=(9, 9, 9),
                          sampler='timm')
    outs = []
    for img in (pil, bgr):
        random.seed(4)
        torch.manual_seed(4)
        outs.append(erase(dict(img=img))['img'])
    assert isinstance(outs[0], np.ndarray)
    np.testing.assert_array_equal(outs[0], outs[1])
    np.testing.assert_array_equal(np.asarray(pil)[..., ::-1], bgr)  # the input is unchanged


def test_browse_dataset_shows_lazy_images_in_bgr(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'browse_dataset', ROOT / 'tools' / 'visualization' / 'browse_dataset.py')
    browse = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(browse)
    path = photo(tmp_path, (64, 48))
    eager = LoadImageFromFile()(dict(img_path=path))['img']
    encoded = lazy_load(path)['img']
    np.testing.assert_array_equal(browse.to_hwc(encoded), eager)
    np.testing.assert_array_equal(browse.to_hwc(encoded.decode()[0]), eager)


def test_encoded_images_copy_and_pickle(tmp_path):
    import pickle
    encoded = lazy_load(photo(tmp_path, (64, 48)))['img']
    for other in (copy.deepcopy(encoded), pickle.loads(pickle.dumps(encoded))):
        assert other.hw == (48, 64) and other.data == encoded.data
        np.testing.assert_array_equal(np.asarray(other.decode()[0]),
                                      np.asarray(encoded.decode()[0]))
    assert repr(encoded).startswith('EncodedImage(') and '64x48' in repr(encoded)
