"""Shared test settings: deterministic, single-threaded torch (tests share 2 cores)."""
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


@pytest.fixture(scope='session')
def tiny_imagenet(tmp_path_factory):
    """One shared tiny dataset in the ImageNet layout the shipped configs expect."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from tool_runs import make_tiny_imagenet
    return make_tiny_imagenet(tmp_path_factory.mktemp('tiny_imagenet'))
