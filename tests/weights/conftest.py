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


class _Scripted(http.server.BaseHTTPRequestHandler):
    """Serves ``server.routes[path]``: a list of responses, one per request (the last repeats).

    A response is ``dict(body=bytes, length=bool, cut=int or None, drip=seconds or 0)``:
    ``length`` sends a Content-Length, ``cut`` closes the connection after that many bytes,
    ``drip`` sends one byte per ``drip`` seconds.
    """

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        script = self.server.routes.get(self.path)
        if script is None:
            self.send_error(404)
            return
        count = sum(1 for p in self.server.requests if p == self.path)
        reply = script[min(count, len(script)) - 1]
        body = reply['body']
        self.send_response(200)
        if reply.get('length', True):
            self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        sent = body if reply.get('cut') is None else body[:reply['cut']]
        if reply.get('drip'):
            import time
            for i in range(len(sent)):
                try:
                    self.wfile.write(sent[i:i + 1])
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(reply['drip'])
        else:
            self.wfile.write(sent)


@pytest.fixture
def scripted_server():
    """(base URL, routes dict to fill, list of request paths) of an HTTP/1.0 server."""
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Scripted)
    server.daemon_threads = True
    server.routes, server.requests = {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}', server.routes, server.requests
    server.shutdown()
    server.server_close()


def torch_file_bytes(obj) -> bytes:
    import io
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()
