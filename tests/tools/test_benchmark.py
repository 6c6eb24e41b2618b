"""tools/analysis_tools/benchmark.py: the --quick run, its JSON, its helpers and its errors."""
import importlib.util
import json
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark.py')


def _load_module():
    spec = importlib.util.spec_from_file_location('mmcls_benchmark', SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load_module()


def test_quick_run_writes_complete_json(tmp_path):
    out = tmp_path / 'bench.json'
    proc = subprocess.run([sys.executable, SCRIPT, '--quick', '--json', str(out),
                           '--fashion-mnist-src', str(tmp_path / 'no-idx-files')], cwd=REPO,
                          capture_output=True, text=True, timeout=170)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'x timm' in proc.stdout  # the table was printed
    # progress lines while it runs, one per round of every section
    for line in ('inference: round 2/2 done', 'training: round 2/2 done', 'data: 8 JPEGs 500x375',
                 'loop/quickstart round 1/1: tools/train.py', '] done in'):
        assert line in proc.stdout, line
    res = json.loads(out.read_text())
    assert res['meta']['quick'] is True and res['meta']['arch'] == 'atto'
    assert res['meta']['threads'] == 1 and res['meta']['device'] == 'cpu'
    inf = res['inference']
    assert inf['anchor_mm_gflops']['median'] > 0
    for key in ('fp32_b1_latency', 'fp32_b4_contiguous', 'fp32_b4_channels_last'):
        assert set(inf[key]) == {'ours', 'timm', 'ours_fast_prepack'}, key
        for row in inf[key].values():
            assert row['median'] > 0 and len(row['samples']) == 2
    assert set(inf['bf16_autocast_b4']) == {'ours', 'timm'}  # the fast path is fp32 only
    # identical weights: ours equals timm, and the fast path equals ours
    assert inf['max_abs_diff_vs_ours']['timm'] <= 1e-5
    assert inf['fast_path']['prepack']['max_abs_diff'] <= 1e-4
    # a timing ratio: only its presence and sign are checked (load bursts move it freely)
    assert inf['fraction_of_matmul_peak']['ours'] > 0
    train = res['training']
    assert set(train['step_img_s']) == {'ours', 'timm', 'ours_with_cp'}
    assert train['peak_memory_mb']['ours_with_cp'] < train['peak_memory_mb']['ours']
    data = res['data']
    assert data['threads'] == 1 and data['files'] == 8 and list(data['sets']) == ['500x375']
    assert data['recipe']['auto_augment'] == 'rand-m9-mstd0.5-inc1'
    photos = data['sets']['500x375']
    assert set(photos['images_per_s']) == {'ours', 'ours_eager', 'timm', 'decode_ours',
                                           'decode_timm_pil', 'normalize_ours'}
    assert photos['ours_over_decode'] > 0 and photos['timm_over_decode'] > 0  # timing ratios
    assert photos['cpu_ours_over_timm'] > 0
    assert photos['stages']['ms_per_image']['ours']['total'] > 0
    assert 'data/500x375: ours' in proc.stdout and 'ms per image, timm: decode' in proc.stdout
    toolbox = data['toolbox']  # every pair present: measured, or skipped with its reason
    assert set(toolbox) == {'color_jitter', 'auto_augment', 'gaussian_blur', 'cifar_random_crop',
                            'albumentations', 'fashion_mnist_getitem', 'multi_label_map',
                            'multi_label_head'}
    measured = {k: v for k, v in toolbox.items() if 'skipped' not in v}
    assert 'multi_label_map' in measured and 'fashion_mnist_getitem' in measured
    for name, row in measured.items():
        assert row['ours']['median'] > 0 and row['ours_over_reference'] > 0, name
        assert f'data/toolbox/{name}' in proc.stdout
    quick_loop = res['loop']['quickstart']
    assert quick_loop['num_workers'] == 0 and quick_loop['batch'] == 32
    assert quick_loop['data'].startswith('synthetic 28 px idx files')  # no idx files given
    assert 0 < quick_loop['loop_over_bare'] and 0 < quick_loop['cpu_loop_over_bare']
    assert quick_loop['iters_timed'] == 6
    jpeg_loop = res['loop']['convnext_atto_64_jpeg']
    assert jpeg_loop['num_workers'] == 5 and 'cpu_loop_over_bare' not in jpeg_loop
    assert jpeg_loop['train_img_s']['median'] > 0 and jpeg_loop['bare_step_img_s']['median'] > 0
    assert res['meta']['cpu_flags']['avx2'] in (True, False)
    assert res['ratios_vs_timm']['fp32_b4_contiguous/timm'] == 1.0


def test_stats_rates_and_latency():
    samples = [(2.0, 1.0), (1.0, 0.5), (4.0, 1.0)]  # (wall, cpu) seconds
    rate = bench.stats(samples, 8, 'img/s')
    assert rate['median'] == 4.0 and rate['cpu_median'] == 8.0
    assert rate['samples'] == [4.0, 8.0, 2.0] and rate['spread'] == 1.5
    latency = bench.stats(samples, 4, 'ms')
    assert latency['median'] == 500.0 and latency['cpu_median'] == 250.0


def test_interleave_runs_round_robin():
    order = []
    cases = {name: (lambda name=name: order.append(name)) for name in 'abc'}
    times = bench.interleave(cases, rounds=2, device=torch.device('cpu'), warmup=1)
    assert order == list('abc') + list('abc') + list('bca')  # warm-up, then rotating rounds
    assert {k: len(v) for k, v in times.items()} == {'a': 2, 'b': 2, 'c': 2}


def test_ratios_vs_timm_direction():
    row = dict(unit='img/s', median=10.0, cpu_median=10.0)
    res = dict(inference=dict(
        thr=dict(timm=row, ours=dict(row, median=15.0, cpu_median=20.0)),
        lat=dict(timm=dict(row, unit='ms'), ours=dict(row, unit='ms', median=5.0))))
    ratios, cpu_ratios = bench.ratios_vs_timm(res)
    assert ratios == {'thr/timm': 1.0, 'thr/ours': 1.5, 'lat/timm': 1.0, 'lat/ours': 2.0}
    assert cpu_ratios['thr/ours'] == 2.0


def test_count_macs_matches_reference_for_tiny():
    from mmcls_convnext.models import ImageClassifier
    model = ImageClassifier(backbone=dict(type='ConvNeXt', arch='tiny'),
                            head=dict(type='LinearClsHead', num_classes=1000, in_channels=768))
    macs = bench.count_macs(model, 224, torch.device('cpu'))
    # ConvNeXt-T at 224 px: 4,457,472,768 MACs including norms/GELU; convs + linears alone
    assert abs(macs - 4_457_472_768) / 4_457_472_768 < 0.01


@pytest.mark.parametrize('argv, message', [
    (['--fast-modes', 'prepak'], r"--fast-modes: unknown \['prepak'\]"),
    (['--rounds', '0'], '--rounds must be >= 1'),
    (['--arch', 'tinyy'], "invalid choice: 'tinyy'"),
    (['--data-sizes', '500x'], "--data-sizes: expected WxH pairs .* got '500x'"),
    (['--data-sizes', '500x375x3'], "--data-sizes: expected WxH pairs"),
    (['--data-sizes', '8x8'], 'at least 16 pixels'),
])
def test_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    err = capsys.readouterr().err
    assert re.search(message, err), err


def test_data_sizes_are_parsed():
    assert bench.parse_args(['--data-sizes', '500x375,1000x750']).data_sizes == [
        (500, 375), (1000, 750)]


def test_unknown_section_is_refused():
    with pytest.raises(SystemExit, match=r"--sections: unknown \['inferense'\]"):
        bench.main(['--quick', '--sections', 'inferense'])


def test_loop_rates_skip_the_warmup_iterations():
    from benchmarking.loop import _rates  # importable once benchmark.py is loaded
    marks = [(0.0, 0.0), (1.0, 0.5), (3.0, 1.5), (4.0, 2.5)]  # (wall, cpu) after each iteration
    wall, cpu = _rates(marks, warmup=1, batch=10)  # 3 iterations after the first mark
    assert wall == 30 / 4.0 and cpu == 30 / 2.5


def test_progress_lines_carry_the_elapsed_time(capsys):
    progress = bench.Progress()
    progress('inference: round 1/5 done')
    assert re.fullmatch(r'\[\+\s+\d+\.\d s\] inference: round 1/5 done\n',
                        capsys.readouterr().out)
