"""The real download code against a local HTTP server: cache, hashes, offline errors."""
import hashlib
import os
import re
import socket

import pytest
import torch

from mmcls_convnext.weights import (
    CheckpointError,
    ChecksumError,
    WeightsDownloadError,
    download_weights,
    get_cache_dir,
    read_weights_file,
)
from mmcls_convnext.weights.download import cache_path

from .conftest import torch_file_bytes, write_hashed


def test_first_download_then_cache_hit(http_dir, cache_home, capsys):
    base, served, requests = http_dir
    src = write_hashed(served, 'tiny')
    url = f'{base}/{src.name}'
    path = download_weights(url)
    assert path == cache_path(url) and os.path.dirname(path) == str(cache_home)
    stem, tail = src.name.rsplit('-', 1)
    assert re.fullmatch(rf'{re.escape(stem)}\.url-[0-9a-f]{{16}}-{re.escape(tail)}',
                        os.path.basename(path))
    assert open(path, 'rb').read() == src.read_bytes()
    assert len(requests) == 1
    assert 'Downloading' in capsys.readouterr().err  # progress line
    # no temp file left; the full sha256 is recorded beside the file
    entry = os.path.basename(path)
    assert sorted(p.name for p in cache_home.iterdir()) == [entry, entry + '.sha256']
    assert (cache_home / (entry + '.sha256')).read_text().split()[0] == \
        hashlib.sha256(src.read_bytes()).hexdigest()
    # second use: served from the cache, re-verified, no request
    assert download_weights(url) == path
    assert len(requests) == 1
    assert torch.equal(read_weights_file(url)['state_dict']['w'], torch.arange(6.))


def test_tampered_cached_file_is_refused(http_dir, cache_home):
    base, served, requests = http_dir
    src = write_hashed(served, 'tiny')
    path = download_weights(f'{base}/{src.name}', progress=False)
    with open(path, 'ab') as f:
        f.write(b'tampered')
    expected = re.search(r'-([0-9a-f]{8})\.pth$', src.name).group(1)
    with pytest.raises(ChecksumError, match=rf'Checksum mismatch for {re.escape(path)}.*starts '
                       rf'with {expected}.*hashes to [0-9a-f]{{64}}'):
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
    target = cache_path(url)
    assert target.startswith(str(cache_home) + '/convnext-tiny_32xb128_in1k_20221207.url-')
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
    from_mirror = download_weights(original, progress=False)
    assert from_mirror == cache_path(f'{base}/{src.name}')  # keyed as the mirror's URL
    assert requests == [f'/{src.name}']
    os.remove(from_mirror)
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


def test_same_file_name_at_two_urls_gives_each_its_own_weights(scripted_server, cache_home):
    base, routes, requests = scripted_server
    a = torch_file_bytes({'state_dict': {'w': torch.zeros(2)}})
    b = torch_file_bytes({'state_dict': {'w': torch.ones(2)}})
    routes['/a/w.pth'] = [dict(body=a)]
    routes['/b/w.pth'] = [dict(body=b)]
    first = read_weights_file(f'{base}/a/w.pth', progress=False)
    second = read_weights_file(f'{base}/b/w.pth', progress=False)
    assert first['state_dict']['w'].tolist() == [0., 0.]
    assert second['state_dict']['w'].tolist() == [1., 1.]
    assert requests == ['/a/w.pth', '/b/w.pth']
    names = sorted(p.name for p in cache_home.iterdir() if not p.name.endswith('.sha256'))
    assert len(names) == 2 and all(re.fullmatch(r'w\.url-[0-9a-f]{16}\.pth', n) for n in names)
    read_weights_file(f'{base}/a/w.pth', progress=False)  # cached: no new request
    assert len(requests) == 2


def test_tampered_cached_file_without_hash_in_name_is_refused(scripted_server, cache_home):
    base, routes, requests = scripted_server
    routes['/w.pth'] = [dict(body=torch_file_bytes({'state_dict': {'w': torch.ones(1)}}))]
    path = download_weights(f'{base}/w.pth', progress=False)
    with open(path, 'r+b') as f:
        f.seek(100)
        f.write(b'!')
    with pytest.raises(ChecksumError, match=r'Checksum mismatch for .*w\.url-[0-9a-f]{16}\.pth: '
                       r'it hashed to [0-9a-f]{64} when it was downloaded, but now hashes to'):
        download_weights(f'{base}/w.pth', progress=False)
    assert len(requests) == 1


def test_cut_download_without_content_length_is_retried_not_cached(scripted_server,
                                                                  cache_home):
    base, routes, requests = scripted_server
    body = torch_file_bytes({'state_dict': {'w': torch.arange(100.)}})
    routes['/w.pth'] = [dict(body=body, length=False, cut=len(body) // 2),
                        dict(body=body, length=False)]
    ckpt = read_weights_file(f'{base}/w.pth', progress=False)
    assert ckpt['state_dict']['w'].tolist() == list(map(float, range(100)))
    assert requests == ['/w.pth', '/w.pth']


def test_always_cut_download_fails_and_is_never_reused(scripted_server, cache_home):
    base, routes, requests = scripted_server
    body = torch_file_bytes({'state_dict': {'w': torch.arange(100.)}})
    routes['/w.pth'] = [dict(body=body, length=False, cut=len(body) // 2)]
    with pytest.raises(WeightsDownloadError, match=r'the transfer was incomplete on all 3 '
                       r'attempts \(last: the transfer ended after \d+ bytes without a '
                       r'Content-Length and the file does not parse as a checkpoint .*\); nothing '
                       'was cached'):
        download_weights(f'{base}/w.pth', progress=False)
    assert len(requests) == 3 and list(cache_home.iterdir()) == []
    routes['/w.pth'] = [dict(body=body, length=False)]  # the server is fixed: fetched again
    assert torch.load(download_weights(f'{base}/w.pth', progress=False),
                      weights_only=True)['state_dict']['w'].shape == (100, )
    assert len(requests) == 4


def test_cut_download_with_content_length_is_retried(scripted_server, cache_home):
    base, routes, requests = scripted_server
    body = torch_file_bytes({'state_dict': {'w': torch.ones(50)}})
    routes['/w.pth'] = [dict(body=body, cut=10), dict(body=body)]
    assert os.path.getsize(download_weights(f'{base}/w.pth', progress=False)) == len(body)
    assert len(requests) == 2


def test_orphan_temp_files_are_cleaned_and_files_are_0644(scripted_server, cache_home):
    base, routes, _ = scripted_server
    routes['/w.pth'] = [dict(body=torch_file_bytes({'state_dict': {}}))]
    cache_home.mkdir(parents=True)
    orphan = cache_home / f'.w.url-0123456789ab.pth.{2**22 + 7}.k3j2.tmp'  # a killed download
    orphan.write_bytes(b'half')
    live = cache_home / f'.x.pth.{os.getpid()}.aaaa.tmp'  # another download, still running
    live.write_bytes(b'half')
    old = os.umask(0o022)
    try:
        path = download_weights(f'{base}/w.pth', progress=False)
    finally:
        os.umask(old)
    assert not orphan.exists() and live.exists()
    assert os.stat(path).st_mode & 0o777 == 0o644


def test_total_deadline_stops_a_dripping_server(scripted_server, cache_home):
    import time
    base, routes, _ = scripted_server
    routes['/w.pth'] = [dict(body=b'x' * 1000, drip=0.05)]
    started = time.monotonic()
    with pytest.raises(WeightsDownloadError, match=r'the download exceeded its total deadline '
                       r'of 1 s \(\d+ bytes in 1 s; set MMCLS_CONVNEXT_DOWNLOAD_DEADLINE=SECONDS'):
        download_weights(f'{base}/w.pth', progress=False, deadline=1.0)
    assert time.monotonic() - started < 5
    assert not any(cache_home.iterdir())


def test_deadline_from_the_environment(scripted_server, cache_home, monkeypatch):
    base, routes, _ = scripted_server
    routes['/w.pth'] = [dict(body=b'x' * 1000, drip=0.05)]
    monkeypatch.setenv('MMCLS_CONVNEXT_DOWNLOAD_DEADLINE', '0.5')
    with pytest.raises(WeightsDownloadError, match='exceeded its total deadline of 0.5 s'):
        download_weights(f'{base}/w.pth', progress=False)
    monkeypatch.setenv('MMCLS_CONVNEXT_DOWNLOAD_DEADLINE', 'soon')
    with pytest.raises(ValueError, match='MMCLS_CONVNEXT_DOWNLOAD_DEADLINE must be a number'):
        download_weights(f'{base}/w.pth', progress=False)


def test_empty_body_is_retried_then_refused(scripted_server, cache_home):
    base, routes, requests = scripted_server
    routes['/w.pth'] = [dict(body=b'')]
    with pytest.raises(WeightsDownloadError, match=r'incomplete on all 3 attempts \(last: the '
                       r'server sent 0 bytes\)'):
        download_weights(f'{base}/w.pth', progress=False)
    assert len(requests) == 3


def test_a_server_that_stops_sending_hits_the_read_timeout(cache_home):
    import http.server
    import threading

    class Stalling(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header('Content-Length', '100')
            self.end_headers()
            self.wfile.write(b'x' * 10)
            self.wfile.flush()
            threading.Event().wait(5)  # then nothing more

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Stalling)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(WeightsDownloadError, match=r'incomplete on all 3 attempts \(last: no '
                           r'data for 0\.5 s after 10 bytes\)'):
            download_weights(f'http://127.0.0.1:{server.server_address[1]}/w.pth',
                             progress=False, timeout=0.5)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize('segment', [
    '%2F{outside}%2Fevil-7d28c13e.pth',  # percent-decoded: an absolute path
    '..%2F..%2F..%2F{rel}%2Fevil.pth',  # ../ out of the cache
    '%2e%2e%2F%2e%2e%2F%2e%2e%2F{rel}%2Fnote.txt',  # a name without a hash, dots encoded
])
def test_a_url_cannot_write_outside_the_cache(scripted_server, cache_home, tmp_path, segment):
    """Issue 20, finding 1: the cache name came from the percent-decoded last URL segment, so
    it could be absolute or climb out of the cache; a text line (a site-packages .pth runs it)
    was written there with its .sha256 record before the content was checked."""
    base, routes, _ = scripted_server
    outside = tmp_path / 'site-packages'
    outside.mkdir()
    rel = os.path.relpath(outside, cache_home.parent).replace('/', '%2F')
    segment = segment.format(outside=str(outside).strip('/').replace('/', '%2F'), rel=rel)
    routes[f'/w/{segment}'] = [dict(body=b'import os; open("/tmp/ran", "w")\n')]
    url = f'{base}/w/{segment}'
    entry = cache_path(url)
    assert os.path.dirname(entry) == str(cache_home) and '/' not in os.path.basename(entry)
    with pytest.raises((CheckpointError, WeightsDownloadError),
                       match=r'not a readable checkpoint|does not parse as a checkpoint|'
                       r'Checksum mismatch'):
        download_weights(url, progress=False)
    assert list(outside.iterdir()) == []
    assert not cache_home.exists() or list(cache_home.iterdir()) == []
    # a genuine checkpoint at such a URL lands inside the cache under a cleaned name
    routes[f'/w/{segment}'] = [dict(body=torch_file_bytes({'state_dict': {'w': torch.ones(1)}}))]
    if 'evil-7d28c13e' in segment:
        return  # its hash prefix cannot match
    assert download_weights(url, progress=False) == entry
    assert list(outside.iterdir()) == [] and os.path.isfile(entry + '.sha256')


def test_a_file_from_a_mirror_never_answers_for_the_canonical_url(http_dir, cache_home,
                                                                 monkeypatch):
    """Issue 20, finding 2: the cache was keyed by file name whatever host served it; after one
    fetch from a (fake) mirror, the canonical URL was served the mirror's file offline."""
    base, served, requests = http_dir
    src = write_hashed(served, 'convnext-tiny_32xb128_in1k')
    canonical = f'https://download.example.invalid/convnext/{src.name}'
    monkeypatch.setenv('MMCLS_CONVNEXT_MIRROR', base)
    from_mirror = download_weights(canonical, progress=False)
    assert from_mirror == cache_path(f'{base}/{src.name}') != cache_path(canonical)
    assert download_weights(canonical, progress=False) == from_mirror  # the mirror still set
    monkeypatch.delenv('MMCLS_CONVNEXT_MIRROR')
    monkeypatch.setenv('MMCLS_CONVNEXT_OFFLINE', '1')
    with pytest.raises(WeightsDownloadError, match=rf'offline mode.*exactly '
                       rf'{re.escape(cache_path(canonical))}'):
        download_weights(canonical, progress=False)
    assert len(requests) == 1


def test_the_full_sha256_guards_a_hashed_name(http_dir, cache_home, monkeypatch):
    """The 8-hex prefix is not the only check: the full digest recorded at download (or at the
    first use of a file placed by hand) is checked on every use, and a known full digest is
    checked at download."""
    base, served, requests = http_dir
    src = write_hashed(served, 'tiny')
    url = f'{base}/{src.name}'
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    with pytest.raises(ChecksumError, match=rf'expected sha256 {"0" * 64}, got {digest}\. The '
                       'download was discarded'):
        download_weights(url, progress=False, sha256='0' * 64)
    assert not cache_home.exists() or list(cache_home.iterdir()) == []
    path = download_weights(url, progress=False, sha256=digest)
    record = path + '.sha256'
    with open(record, 'w') as f:  # as if the file had been swapped for a prefix twin
        f.write('f' * 64 + f'  {url}\n')
    with pytest.raises(ChecksumError, match=rf'it hashed to {"f" * 64} when it was downloaded'):
        download_weights(url, progress=False)
    # placed by hand (no record): prefix checked, full digest recorded at first use
    os.remove(record)
    monkeypatch.setenv('MMCLS_CONVNEXT_OFFLINE', '1')
    assert download_weights(url, progress=False) == path
    with open(record) as f:
        assert f.read().split()[0] == digest
    with pytest.raises(ChecksumError, match=rf'expected sha256 {"1" * 64}, but the file hashes'):
        download_weights(url, progress=False, sha256='1' * 64)
