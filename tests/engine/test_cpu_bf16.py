"""Honest bf16: ``--amp`` on CPU trains in bf16 only where the CPU computes bf16 natively.

The capability check is mocked both ways (a CPU with ``avx512_bf16`` and an AVX2-only one), so
these tests give the same answers on every machine.
"""
import logging
import platform
import sys
from pathlib import Path

import pytest
import torch

from mmcls_convnext.engine.entrypoints import train as train_entry
from mmcls_convnext.engine.optimizers import cpu_amp_optim_wrapper as amp
from mmcls_convnext.engine.optimizers.cpu_amp_optim_wrapper import (
    CPUAmpOptimWrapper,
    EmulatedBF16Error,
    amp_optim_wrapper_cfg,
    cpu_bf16_support,
    training_precision,
)

sys.path.insert(0, str(Path(__file__).parent))
from tiny_run import make_image_folder, write_config  # noqa: E402

AVX2_CAPS = dict(cpu_name='Test AVX2 CPU', avx2=True, avx512_f=False, avx512_bf16=False,
                 amx_bf16=False)
BF16_CAPS = dict(cpu_name='Test AVX512 CPU', avx2=True, avx512_f=True, avx512_bf16=True,
                 amx_bf16=False)


def mock_cpu(monkeypatch, caps: dict, onednn: bool, machine: str = 'x86_64') -> None:
    monkeypatch.setattr(torch.cpu, 'get_capabilities', lambda: dict(caps))
    monkeypatch.setattr(torch.ops.mkldnn, '_is_mkldnn_bf16_supported', lambda: onednn)
    monkeypatch.setattr(platform, 'machine', lambda: machine)


@pytest.fixture
def native_cpu(monkeypatch):
    mock_cpu(monkeypatch, BF16_CAPS, onednn=True)


@pytest.fixture
def avx2_cpu(monkeypatch):
    mock_cpu(monkeypatch, AVX2_CAPS, onednn=False)


def test_native_x86_is_detected(native_cpu):
    assert cpu_bf16_support() == (True, 'Test AVX512 CPU: native bf16 (avx512_bf16)')


def test_avx2_is_not_native(avx2_cpu):
    native, description = cpu_bf16_support()
    assert not native
    assert description == ('Test AVX2 CPU: no native bf16 instructions (neither amx_bf16 nor '
                           'avx512_bf16; oneDNN bf16 unsupported)')


def test_plain_avx512_is_emulated_even_though_onednn_accepts_it(monkeypatch):
    caps = dict(BF16_CAPS, avx512_bf16=False, cpu_name='Skylake')
    mock_cpu(monkeypatch, caps, onednn=True)  # oneDNN says yes: it emulates with fp32 FMAs
    native, description = cpu_bf16_support()
    assert not native and description.endswith('oneDNN bf16 emulated)')


@pytest.mark.parametrize('onednn, native', [(True, True), (False, False)])
def test_arm_trusts_onednn(monkeypatch, onednn, native):
    mock_cpu(monkeypatch, dict(cpu_name='Neoverse'), onednn=onednn, machine='aarch64')
    assert cpu_bf16_support()[0] is native


def test_amp_cfg_refuses_emulated_bf16_with_how_to_force(avx2_cpu):
    base = dict(optimizer=dict(type='AdamW', lr=1e-3))
    with pytest.raises(EmulatedBF16Error) as info:
        amp_optim_wrapper_cfg(base, cuda=False)
    message = str(info.value)
    assert '\n' not in message
    assert message.startswith('--amp refused: Test AVX2 CPU: no native bf16 instructions')
    assert 'measured 10x slower than fp32' in message
    assert 'Train in fp32 (drop --amp)' in message
    assert '--cfg-options optim_wrapper.allow_emulated_bf16=True' in message
    forced = amp_optim_wrapper_cfg(dict(base, allow_emulated_bf16=True), cuda=False)
    assert forced['type'] == 'CPUAmpOptimWrapper' and forced['allow_emulated_bf16'] is True
    assert amp_optim_wrapper_cfg(base, cuda=True)['type'] == 'AmpOptimWrapper'  # GPU: no check


def test_amp_cfg_accepts_native_bf16(native_cpu):
    cfg = amp_optim_wrapper_cfg(dict(optimizer=dict(type='AdamW', lr=1e-3)), cuda=False)
    assert cfg['type'] == 'CPUAmpOptimWrapper' and cfg['dtype'] == 'bfloat16'


def _optimizer():
    return torch.optim.SGD([torch.nn.Parameter(torch.ones(1))], lr=0.1)


def test_wrapper_refuses_emulated_and_warns_when_forced(avx2_cpu, log_records):
    with pytest.raises(EmulatedBF16Error, match='--amp refused'):
        CPUAmpOptimWrapper(optimizer=_optimizer())
    wrapper = CPUAmpOptimWrapper(optimizer=_optimizer(), allow_emulated_bf16=True)
    assert wrapper.allow_emulated_bf16
    warnings = [r.getMessage() for r in log_records if r.levelno == logging.WARNING]
    assert any(m.startswith('Training precision: bf16 autocast on CPU, EMULATED (Test AVX2 CPU')
               for m in warnings), warnings
    with wrapper.optim_context(torch.nn.Linear(1, 1)):  # forced: it really runs bf16
        assert torch.get_autocast_dtype('cpu') == torch.bfloat16


def test_training_precision_lines(native_cpu):
    fp32 = training_precision(dict(optimizer=dict(type='AdamW')), cuda=False)
    assert fp32 == ('Training precision: fp32 (Test AVX512 CPU: native bf16 (avx512_bf16); '
                    '--amp would train in bf16 autocast).')
    assert training_precision(dict(type='CPUAmpOptimWrapper'), cuda=False) is None
    assert training_precision(dict(type='AmpOptimWrapper'), cuda=True) == (
        'Training precision: float16 AMP on CUDA (loss scaling).')


@pytest.fixture
def cfg(tmp_path):
    return str(write_config(tmp_path / 'tiny.py', make_image_folder(tmp_path / 'data'),
                            val_interval=10))


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path')
def test_cli_refuses_emulated_amp_in_one_line(avx2_cpu, cfg, tmp_path, capsys):
    code = train_entry.cli([cfg, '--amp', '--work-dir', str(tmp_path / 'w')])
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith('ERROR (EmulatedBF16Error): --amp refused: Test AVX2 CPU')


def _log_text(work_dir: Path) -> str:
    return ''.join(p.read_text() for p in work_dir.glob('*/*.log'))


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path')
@pytest.mark.parametrize('flags, expected', [
    ([], 'Training precision: fp32 (Test AVX512 CPU: native bf16 (avx512_bf16)'),
    (['--amp'], 'Training precision: bf16 autocast on CPU (Test AVX512 CPU: native bf16 '
                '(avx512_bf16)); weights, gradients and optimizer state stay fp32.'),
])
def test_the_log_says_which_dtype_trains(native_cpu, cfg, tmp_path, flags, expected):
    torch.set_num_threads(1)
    work_dir = tmp_path / 'w'
    assert train_entry.main([cfg, '--work-dir', str(work_dir), *flags]) == 0
    assert expected in _log_text(work_dir)


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path')
def test_forced_emulated_amp_trains_and_says_so(avx2_cpu, cfg, tmp_path):
    torch.set_num_threads(1)
    work_dir = tmp_path / 'w'
    assert train_entry.main([cfg, '--amp', '--work-dir', str(work_dir), '--cfg-options',
                             'optim_wrapper.allow_emulated_bf16=True']) == 0
    assert 'bf16 autocast on CPU, EMULATED' in _log_text(work_dir)
    assert amp.FORCE_HINT.startswith('force it with --cfg-options')
