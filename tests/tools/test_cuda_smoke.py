"""tools/analysis_tools/cuda_smoke.py: its logic on CPU (arguments, modes, refusal, torchrun).

The GPU run itself needs a CUDA device; here ``run_mode`` is exercised on CPU with a tiny arch,
which runs the same training-step code (autocast, GradScaler, channels-last) on another device.
"""
import importlib.util
import json
import os.path as osp
import re

import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'cuda_smoke.py')

spec = importlib.util.spec_from_file_location('mmcls_cuda_smoke', SCRIPT)
smoke = importlib.util.module_from_spec(spec)
spec.loader.exec_module(smoke)


def test_defaults_cover_every_mode():
    args = smoke.parse_args([])
    assert args.modes == list(smoke.MODES)
    assert (args.arch, args.img_size, args.batch) == ('tiny', 224, 64)


@pytest.mark.parametrize('argv, message', [
    (['--modes', 'amp_fp16,bf16'], r"--modes: unknown \['bf16'\]"),
    (['--modes', ''], r'--modes: unknown \[\] \(or none given\)'),
    (['--batch', '0'], '--batch must be >= 1; got 0'),
    (['--img-size', '-3'], '--img-size must be >= 1'),
    (['--warmup', '-1'], '--warmup must be >= 0'),
])
def test_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit):
        smoke.parse_args(argv)
    assert re.search(message, capsys.readouterr().err)


def test_mode_settings_with_and_without_bf16():
    s = smoke.mode_settings('amp_fp16', bf16_supported=True)
    assert s == dict(dtype=torch.float16, channels_last=False, compile=False, ddp=False,
                     scaler=True)
    assert smoke.mode_settings('fp32', True)['dtype'] is None
    assert smoke.mode_settings('amp_bf16', True)['scaler'] is False
    assert smoke.mode_settings('amp_bf16', bf16_supported=False) is None
    # the layout / compile / DDP modes fall back to fp16 (with loss scaling) without bf16
    for mode in ('channels_last', 'compile', 'ddp'):
        assert smoke.mode_settings(mode, True)['dtype'] is torch.bfloat16
        fallback = smoke.mode_settings(mode, False)
        assert fallback['dtype'] is torch.float16 and fallback['scaler']
    assert smoke.mode_settings('compile', True)['compile']
    assert smoke.mode_settings('compile', True)['channels_last']
    assert smoke.mode_settings('ddp', True)['ddp']
    with pytest.raises(ValueError, match="unknown mode 'int8'"):
        smoke.mode_settings('int8', True)


def test_refuses_without_cuda_in_one_line(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit) as info:
        smoke.main(['--modes', 'fp32'])
    assert str(info.value) == smoke.NO_CUDA and '\n' not in smoke.NO_CUDA


def test_torchrun_command_runs_only_the_ddp_mode():
    cmd = smoke.torchrun_command(['--arch', 'atto', '--modes', 'fp32,ddp', '--json=out.json',
                                  '--steps', '2'], python='/py')
    assert cmd[:7] == ['/py', '-m', 'torch.distributed.run', '--standalone',
                       '--nproc_per_node', '1', SCRIPT]
    assert cmd[7:] == ['--arch', 'atto', '--steps', '2', '--modes', 'ddp']


def test_under_torchrun_reads_the_launcher_environment():
    assert smoke.under_torchrun({'LOCAL_RANK': '0', 'WORLD_SIZE': '1'})
    assert not smoke.under_torchrun({'LOCAL_RANK': '0'})
    assert not smoke.under_torchrun({})


def test_parse_ddp_output():
    row = dict(mode='ddp', img_s=12.5, max_memory_mib=300.0, loss=6.9)
    text = 'W: noise\nDDP_RESULT ' + json.dumps(row) + '\nbye\n'
    assert smoke.parse_ddp_output(text) == row
    with pytest.raises(RuntimeError, match='no DDP_RESULT line; its output ended with:\nboom'):
        smoke.parse_ddp_output('boom')


@pytest.mark.parametrize('mode', ['fp32', 'channels_last', 'amp_bf16'])
def test_run_mode_trains_on_cpu(mode):
    """The step code runs on another device: a finite loss near chance (ln 3) for 3 classes."""
    args = smoke.parse_args(['--arch', 'atto', '--img-size', '32', '--batch', '4',
                             '--num-classes', '3', '--steps', '3', '--warmup', '1'])
    settings = smoke.mode_settings(mode, bf16_supported=True)
    row = smoke.run_mode(mode, settings, args, torch.device('cpu'))
    assert row['mode'] == mode and row['img_s'] > 0 and row['max_memory_mib'] is None
    assert row['channels_last'] == settings['channels_last']
    assert row['dtype'] == ('float32' if mode == 'fp32' else 'bfloat16')
    assert 0 < row['loss'] < 1.2  # ln(3) = 1.0986 at chance; lr 1e-4 on a fixed batch
    assert 'img/s' in smoke.format_row(row)
    assert smoke.format_row(dict(mode="amp_bf16", skipped="no bf16")).endswith('skipped: no bf16')
