"""Fixtures of the engine tests."""
import pytest


@pytest.fixture
def assume_native_bf16(monkeypatch):
    """Make ``--amp`` on CPU behave as on a CPU with native bf16, whatever this one has.

    For tests of the bf16 training mechanics (autocast, fp32 checkpoints): on an AVX2-only
    machine ``--amp`` is refused (see tests/engine/test_cpu_bf16.py for that check itself).
    """
    from mmcls_convnext.engine.optimizers import cpu_amp_optim_wrapper
    monkeypatch.setattr(cpu_amp_optim_wrapper, 'cpu_bf16_support',
                        lambda: (True, 'test CPU: native bf16 (assumed by the test)'))
