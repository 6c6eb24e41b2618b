"""The real download code against a local HTTP server: cache, hashes, offline errors."""
import os
import re
import socket

import pytest
import torch

from mmcls_convnext.zoo import (
    CheckpointError,
    ChecksumError,
    WeightsDownloadError,
    download_weights,
    get_cache_dir,
    load_checkpoint,
)

from .conftest import write_hashed


def test_first_download_then_cache_hit(http_dir, cache_home, capsys):
    base, served, requests = http_dir
    src = write_hashed(served, 'tiny')
    url = f'{base}/{src.name}'
    path = download_weights(url)
    assert path == str(cache_home / src.name)
    assert open(path, 'rb').read() == src.read_bytes()
    assert len(requests) == 1
    assert 'Downloading' in capsys.readouterr().err  # progress line
    assert [p.name for p in cache_home.iterdir()] == [src.name]  # no temp file left
    # second use: served from the cache, re-verified, no request
    assert download_weights(url) == path
    assert len(requests) == 1
    assert torch.equal(load_checkpoint(url)['state_dict']['w'], torch.arange(6.))


def test_tampered_cached_file_is_refused(http_dir, cache_home):
    base, served, requests = http_dir
    src = write_hashed(served, 'tiny')
    path = download_weights(f'{base}/{src.name}', progress=False)
    with open(path, 'ab') as f:
        f.write(b'tampered')
    expected = re.search(r'-([0-9a-f]{8})\.pth$', src.name).group(1)
    with pytest.raises(ChecksumError, match=rf'Checksum mismatch for .*{src.name}.*starts with '
                       rf'{expected}.*hashes to [0-9a-f]{{64}}'):
        download_weights(f'{base}/{src.name}')
    assert len(requests) == 1  # refused without silently re-downloading


def test_wrong_hash_download_is_discarded(http_dir, cache_home):
    base, served, _ = http_dir
    src = write_hashed(served, 'bad', wrong_hash=True)
    with pytest.raises(ChecksumError, match=r'downloaded from .* expected sha256 starting with '):
        download_weights(f'{base}/{src.name}', progress=False)
    assert not cache_home.exists() or list(cache_home.iterdir()) == []


def test_offline_mode_error_names_everything(cache_home, monkeypatch):
    monkeypatch.setenv('MMCLS_CONVNEXT_OFFLINE', '1')
    url = 'https://download.openmmlab.com/x/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth'
    target = os.path.join(str(cache_home), url.rsplit('/', 1)[1])
    with pytest.raises(WeightsDownloadError) as info:
        download_weights(url, model_name='convnext-tiny_32xb128_in1k')
    text = str(info.value)
    for part in ("model 'convnext-tiny_32xb128_in1k'", url, f'exactly {target}',
                 'MMCLS_CONVNEXT_OFFLINE=1', 'MMCLS_CONVNEXT_MIRROR', 'url_mapping',
                 'pretrained="/path/to/file.pth"', 'never used'):
        assert part in text, part


def test_server_down(cache_home):
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens on this port now
    url = f'http://127.0.0.1:{port}/w_20260101-0123abcd.pth'
    with pytest.raises(WeightsDownloadError, match=r'network error .*put it at exactly '
                       rf'{re.escape(str(cache_home))}'):
        download_weights(url, timeout=5)


def test_http_404(http_dir, cache_home):
    base, _, _ = http_dir
    with pytest.raises(WeightsDownloadError, match='HTTP 404'):
        download_weights(f'{base}/missing_20260101-0123abcd.pth', progress=False)


def test_mirror_env_and_url_mapping(http_dir, cache_home, monkeypatch):
    base, served, requests = http_dir
    src = write_hashed(served, 'mirrored')
    original = f'https://unreachable.invalid/some/dir/{src.name}'
    monkeypatch.setenv('MMCLS_CONVNEXT_MIRROR', base)
    assert download_weights(original, progress=False) == str(cache_home / src.name)
    assert requests == [f'/{src.name}']
    os.remove(cache_home / src.name)
    monkeypatch.delenv('MMCLS_CONVNEXT_MIRROR')
    path = download_weights(original, progress=False,
                            url_mapping={'https://unreachable.invalid/some/dir': base})
    assert os.path.isfile(path) and len(requests) == 2


def test_cache_dir_default_is_torch_hub(monkeypatch, tmp_path):
    monkeypatch.delenv('MMCLS_CONVNEXT_HOME', raising=False)
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'th'))
    assert get_cache_dir() == str(tmp_path / 'th' / 'hub' / 'checkpoints')


def test_connection_dropped_mid_file_leaves_no_cache_entry(cache_home):
    import http.server
    import threading

    class Truncating(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header('Content-Length', '1000')
            self.end_headers()
            self.wfile.write(b'x' * 10)  # then the connection closes

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Truncating)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/plain.pth'  # no hash in the name
        with pytest.raises(WeightsDownloadError, match=r'(connection ended after 10 of 1000 '
                           r'bytes|IncompleteRead)'):
            download_weights(url, progress=False)
    finally:
        server.shutdown()
        server.server_close()
    assert list(cache_home.iterdir()) == []


def test_unwritable_cache_dir(tmp_path, monkeypatch):
    blocker = tmp_path / 'file'
    blocker.write_text('not a folder')
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(blocker))  # .../file/checkpoints cannot exist
    monkeypatch.delenv('MMCLS_CONVNEXT_OFFLINE', raising=False)
    with pytest.raises(CheckpointError, match=r'Cannot write into the weights cache .*file/'
                       r'checkpoints .*Set MMCLS_CONVNEXT_HOME to a writable folder'):
        download_weights('http://127.0.0.1:9/w.pth')
