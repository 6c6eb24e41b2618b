"""Shared test settings: deterministic, single-threaded torch (tests share 2 cores)."""
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield
