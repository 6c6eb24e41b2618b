"""Fixtures: a local HTTP server serving test-written checkpoints, and an isolated cache."""
import functools
import hashlib
import http.server
import threading

import pytest
import torch


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


@pytest.fixture
def http_dir(tmp_path):
    """(base URL, served folder, list of request paths) of a server on 127.0.0.1."""
    served = tmp_path / 'served'
    served.mkdir()
    handler = functools.partial(_Handler, directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}', served, server.requests
    server.shutdown()
    server.server_close()


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty MMCLS_CONVNEXT_HOME; returns its checkpoints/ folder."""
    home = tmp_path / 'home'
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(home))
    monkeypatch.delenv('MMCLS_CONVNEXT_OFFLINE', raising=False)
    monkeypatch.delenv('MMCLS_CONVNEXT_MIRROR', raising=False)
    return home / 'checkpoints'


def write_hashed(folder, stem: str, obj=None, wrong_hash: bool = False):
    """torch.save ``obj`` as ``<stem>_20260101-<sha8>.pth`` in ``folder``; returns the path."""
    tmp = folder / 'tmp.pth'
    torch.save(obj if obj is not None else {'state_dict': {'w': torch.arange(6.)}}, tmp)
    sha = hashlib.sha256(tmp.read_bytes()).hexdigest()[:8]
    if wrong_hash:
        sha = '%08x' % (int(sha, 16) ^ 0xFFFFFFFF)
    path = folder / f'{stem}_20260101-{sha}.pth'
    tmp.rename(path)
    return path
