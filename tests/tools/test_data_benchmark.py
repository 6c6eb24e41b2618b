"""The data benchmark (train pipeline vs timm): photo sets, contestants, stage profile (tiny)."""
import sys
from pathlib import Path

import numpy as np
import pytest
import timm.data.auto_augment as timm_aa
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tools' / 'analysis_tools'))  # as benchmark.py does
from benchmarking import data as data_benchmark  # noqa: E402

CONFIG = str(ROOT / 'configs' / '_base_' / 'datasets' / 'imagenet_convnext_224.py')
PHOTO = str(ROOT / 'demo' / 'demo.JPEG')


def test_photo_set_is_real_jpegs_of_the_size(tmp_path):
    files = data_benchmark.write_photo_set(str(tmp_path), (50, 30), 4, PHOTO)
    assert len(files) == 4
    images = [Image.open(f) for f in files]
    assert all(im.format == 'JPEG' and im.size == (50, 30) for im in images)
    pixels = [np.asarray(im, float) for im in images]
    assert all(p.std() > 10 for p in pixels)  # not flat
    assert not np.array_equal(pixels[0], pixels[2])  # crops differ
    with pytest.raises(FileNotFoundError, match='missing.jpg is missing'):
        data_benchmark.write_photo_set(str(tmp_path), (8, 8), 1, photo='missing.jpg')


def test_timm_posterize_patch_is_undone():
    before = dict(timm_aa.NAME_TO_OP)
    with data_benchmark.timm_posterize_zero_bits():
        black = timm_aa.NAME_TO_OP['PosterizeIncreasing'](Image.new('RGB', (2, 2), 'white'), 0)
        assert np.asarray(black).max() == 0
    assert timm_aa.NAME_TO_OP == before


def test_bench_reports_every_contestant_ratio_and_stage(tmp_path):
    messages = []
    out = data_benchmark.bench_data(CONFIG, PHOTO, str(tmp_path), count=3, rounds=1,
                                    sizes=((96, 72), (300, 260)), progress=messages.append)
    assert set(out['sets']) == {'96x72', '300x260'}
    assert 'data: 3 JPEGs 96x72, 1 rounds' in messages
    res = out['sets']['300x260']
    assert set(res['images_per_s']) == {'ours', 'ours_eager', 'timm', 'decode_ours',
                                        'decode_timm_pil', 'normalize_ours'}
    assert all(r['cpu_median'] > 0 for r in res['images_per_s'].values())
    for key in ('ours_over_timm', 'cpu_ours_over_timm', 'cpu_ours_with_normalize_over_timm',
                'cpu_ours_eager_over_timm', 'ours_over_decode', 'timm_over_decode'):
        assert res[key] > 0, key
    stages = res['stages']
    assert stages['images'] == 6
    assert list(stages['ms_per_image']['ours'])[:2] == ['LoadImageFromFile',
                                                        'RandomResizedCrop']
    assert 'decode' in stages['ms_per_image']['timm']
    for who in ('ours', 'timm'):
        table = stages['ms_per_image'][who]
        assert table['total'] == pytest.approx(
            sum(v for k, v in table.items() if k != 'total'), abs=0.01)
    ops = stages['randaugment_ms_per_application']
    assert list(ops) == list(timm_aa._RAND_INCREASING_TRANSFORMS)
    # 6 images x 2 draws x prob 0.5: about 6 applications each side
    for who in ('ours', 'timm'):
        assert 0 < sum(op[f'{who}_applied'] for op in ops.values()) <= 12
    assert out['threads'] == 1 and out['recipe']['auto_augment'] == 'rand-m9-mstd0.5-inc1'


def test_decode_ours_is_what_the_pipeline_decodes(tmp_path):
    from mmcls_convnext.datasets.transforms.lazy_image import EncodedImage
    files = data_benchmark.write_photo_set(str(tmp_path), (2000, 1500), 1, PHOTO)
    steps = data_benchmark.our_steps(CONFIG)
    assert isinstance(steps[0](dict(img_path=files[0]))['img'], EncodedImage)
    decode = data_benchmark._decode_ours(steps)
    shapes = set()
    for _ in range(30):  # crops >= 896 px decode at 1/4 (a PIL image and its box), others full
        out = decode(files[0])
        shapes.add('reduced' if isinstance(out, tuple) else tuple(out.shape))
    assert shapes == {'reduced', (1500, 2000, 3)}
