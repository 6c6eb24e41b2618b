"""Shared test settings: deterministic, single-threaded torch (tests share 2 cores)."""
import pytest
import torch

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
    yield


@pytest.fixture
def log_records():
    """The records the current mmengine logger emits during the test (a list, filled live).

    Read from a handler, not from the console: the logger's stream may predate pytest's capture.
    """
    import logging

    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    yield records
    logger.removeHandler(handler)


@pytest.fixture(scope='session')
def tiny_imagenet(tmp_path_factory):
    """One shared tiny dataset in the ImageNet layout the shipped configs expect."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from tool_runs import make_tiny_imagenet
    return make_tiny_imagenet(tmp_path_factory.mktemp('tiny_imagenet'))


@pytest.fixture(scope='session')
def standin_mirror(tmp_path_factory):
    """Stand-ins for published zoo files, served on loopback: (base URL, folder, requests).

    Set ``MMCLS_CONVNEXT_MIRROR`` to the URL (and ``MMCLS_CONVNEXT_HOME`` to an empty folder)
    and the documented download commands fetch them (see ``tests/standin_weights.py``).
    """
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from standin_weights import NONCES, write_standin
    from weights_server import serve
    folder = tmp_path_factory.mktemp('mirror')
    for name in NONCES:
        write_standin(name, folder)
    with serve(folder) as (url, requests):
        yield url, folder, requests
