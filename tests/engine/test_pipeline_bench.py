"""The training-pipeline benchmark: its photo sets, contestants and report (tiny and quick)."""
import json

import numpy as np
import pytest
import timm.data.auto_augment as timm_aa
from PIL import Image

from mmcls_convnext.engine.analysis import pipeline_bench


def test_photo_set_is_real_jpegs_of_the_size(tmp_path):
    files = pipeline_bench.write_photo_set(str(tmp_path), (50, 30), 4)
    assert len(files) == 4
    images = [Image.open(f) for f in files]
    assert all(im.format == 'JPEG' and im.size == (50, 30) for im in images)
    pixels = [np.asarray(im, float) for im in images]
    assert all(p.std() > 10 for p in pixels)  # not flat
    assert not np.array_equal(pixels[0], pixels[2])  # crops differ
    with pytest.raises(FileNotFoundError, match='missing.jpg is missing'):
        pipeline_bench.write_photo_set(str(tmp_path), (8, 8), 1, photo='missing.jpg')


def test_timm_posterize_patch_is_undone():
    before = dict(timm_aa.NAME_TO_OP)
    with pipeline_bench.timm_posterize_zero_bits():
        black = timm_aa.NAME_TO_OP['PosterizeIncreasing'](Image.new('RGB', (2, 2), 'white'), 0)
        assert np.asarray(black).max() == 0
    assert timm_aa.NAME_TO_OP == before


def test_bench_reports_every_contestant_and_ratio():
    result = pipeline_bench.bench_pipeline(sizes=((96, 72),), count=2, rounds=1)
    res = result['sets']['96x72']
    assert set(res['rows']) == {'ours', 'ours_eager', 'timm', 'decode_full', 'decode_ours',
                                'normalize'}
    assert all(r['cpu_median'] > 0 for r in res['rows'].values())
    for key in ('ours_over_timm', 'ours_over_timm_wall', 'ours_with_normalize_over_timm',
                'ours_over_decode_ours', 'timm_over_decode_full'):
        assert res[key] > 0
    assert result['machine_before']['cores'] >= 1 and 'simd' in result['machine_before']


def test_command_line(tmp_path, capsys):
    out = tmp_path / 'r.json'
    pipeline_bench.main(['--sizes', '64x48', '--files', '2', '--rounds', '1', '--json',
                         str(out)])
    printed = capsys.readouterr().out
    assert '64x48: ours' in printed and 'load average' in printed
    assert json.loads(out.read_text())['sets']['64x48']['files'] == 2
