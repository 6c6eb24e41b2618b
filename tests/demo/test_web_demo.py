"""demo/web_demo.py: the HTTP endpoints, and the real page driven by headless Chromium."""
import html.parser
import importlib.util
import json
import os.path as osp
import re
import shutil
import subprocess
import threading
import urllib.error
import urllib.request

import cv2
import numpy as np
import pytest
import torch

from mmcls_convnext.apis import get_model, inference_model

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CLASSES = ['apple', 'banana', 'cherry', 'date', 'elderberry', 'fig', 'grape', 'honeydew',
           'kiwi', 'lemon']
CONFIG = """
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64),
)
data_preprocessor = dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], to_rgb=True)
test_pipeline = [dict(type='LoadImageFromFile'), dict(type='ResizeEdge', scale=36, edge='short'),
                 dict(type='CenterCrop', crop_size=32), dict(type='PackInputs')]
"""


def _demo():
    spec = importlib.util.spec_from_file_location('web_demo', osp.join(REPO, 'demo',
                                                                       'web_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    """A tiny trained-looking checkpoint with class names, served on a free local port."""
    root = tmp_path_factory.mktemp('web')
    config = root / 'tiny_fruit.py'
    config.write_text(CONFIG)
    model = get_model(str(config))
    g = torch.Generator().manual_seed(7)
    with torch.no_grad():
        for p in model.parameters():  # spread the scores so that the top-5 order is clear
            p.add_(torch.randn(p.shape, generator=g) * 0.2)
    ckpt = root / 'fruit.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': CLASSES}}}, ckpt)
    image = root / 'photo.png'
    yy, xx = np.mgrid[0:40, 0:50]
    cv2.imwrite(str(image), np.stack([xx * 5, yy * 6, 255 - xx * 3], -1).astype(np.uint8))

    demo = _demo()
    predictor = demo.build_predictor(str(config), str(ckpt))
    server = demo.make_server(predictor, port=0, example=str(image), quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    expected = inference_model(get_model(str(config), pretrained=str(ckpt)), str(image))
    yield dict(url=f'http://127.0.0.1:{server.server_port}', image=str(image),
               expected=expected, config=str(config))
    server.shutdown()
    server.server_close()


def _top5(expected):
    scores = expected['pred_scores']
    order = np.argsort(-scores, kind='stable')[:5]
    return [(CLASSES[i], round(float(scores[i]), 4)) for i in order]


def _post(url, data):
    request = urllib.request.Request(url, data=data, method='POST',
                                     headers={'Content-Type': 'application/octet-stream'})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_predict_endpoint_returns_top5(served):
    with open(served['image'], 'rb') as f:
        status, body = _post(served['url'] + '/predict', f.read())
    assert status == 200
    assert body['model'] == 'tiny_fruit' and body['num_classes'] == 10
    got = [(p['class_name'], round(p['score'], 4)) for p in body['top5']]
    assert got == _top5(served['expected'])
    assert [p['rank'] for p in body['top5']] == [1, 2, 3, 4, 5]
    assert body['top5'][0]['label'] == served['expected']['pred_label']


@pytest.mark.parametrize('data, status, match', [
    (b'not an image at all', 400, 'is not an image OpenCV can decode'),
    (b'', 400, 'Empty upload'),
])
def test_predict_rejects_bad_uploads(served, data, status, match):
    code, body = _post(served['url'] + '/predict', data)
    assert code == status and match in body['error']


def test_unknown_paths_are_404(served):
    code, body = _post(served['url'] + '/nope', b'x')
    assert code == 404 and 'No endpoint /nope' in body['error']
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(served['url'] + '/missing.js', timeout=10)
    assert info.value.code == 404


def test_bad_model_or_checkpoint_is_explained(tmp_path):
    demo = _demo()
    with pytest.raises(FileNotFoundError, match='--model nonsense is neither a model-zoo name'):
        demo.build_predictor('nonsense')
    with pytest.raises(FileNotFoundError, match='Checkpoint /no/ckpt.pth does not exist'):
        demo.build_predictor('nonsense', '/no/ckpt.pth')


class _ResultRows(html.parser.HTMLParser):
    """Collects the text of every <td> inside <tr class="pred"> of the rendered page."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell, self._in_row = [], None, False
        self.body_state = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'body':
            self.body_state = attrs.get('data-state')
        if tag == 'tr' and attrs.get('class') == 'pred':
            self.rows.append({})
            self._in_row = True
        elif tag == 'td' and self._in_row:
            self._cell = attrs.get('class')
            self.rows[-1][self._cell] = ''

    def handle_endtag(self, tag):
        if tag == 'td':
            self._cell = None
        elif tag == 'tr':
            self._in_row = False

    def handle_data(self, data):
        if self._cell is not None:
            self.rows[-1][self._cell] += data


def _render(url):
    """The page's DOM after its scripts ran, from headless Chromium."""
    browser = shutil.which('chromium') or shutil.which('chromium-browser')
    if browser is None:
        pytest.skip('headless-browser test needs Debian\'s chromium: apt-get install -y chromium')
    # --virtual-time-budget lets the page's scripts and network requests finish before the dump
    proc = subprocess.run(
        [browser, '--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
         '--no-first-run', '--virtual-time-budget=30000', '--dump-dom', url],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    parser = _ResultRows()
    parser.feed(proc.stdout)
    return parser, proc.stdout


def test_headless_chromium_shows_the_top5(served):
    # the page fetches /example, POSTs it to /predict like a dropped file and renders the table
    parser, dom = _render(served['url'] + '/?image=/example')
    assert parser.body_state == 'done', dom[-3000:]
    shown = [(row['cls'], float(row['score'])) for row in parser.rows]
    assert shown == _top5(served['expected'])
    assert [row['rank'] for row in parser.rows] == ['1', '2', '3', '4', '5']
    assert 'tiny_fruit' in dom  # the model name from /info


def test_headless_chromium_shows_upload_errors(served):
    # /info is JSON, not an image: the server's 400 message must appear on the page
    parser, dom = _render(served['url'] + '/?image=/info')
    assert parser.body_state == 'error', dom[-3000:]
    assert not parser.rows
    assert 'Error: The uploaded file' in dom and 'is not an image OpenCV can decode' in dom


def test_headless_chromium_shows_small_inputs_enlarged(served):
    # the example is 50 x 40 px: a whole factor 6 (ceil(224 / 40)) with sharp pixels
    _, dom = _render(served['url'] + '/?image=/example')
    tag = re.search(r'<img id="preview"[^>]*>', dom).group(0)
    assert 'data-scale="6"' in tag and 'pixelated' in tag, tag
    assert re.search(r'width: 300px; height: 240px', tag), tag
    assert '50 x 40 px, shown 6x' in dom


@pytest.fixture
def quick_server():
    """The demo's handler with a 1 s read timeout; the predictor never reaches a model."""
    import socket  # noqa: F401
    demo = _demo()
    demo.READ_TIMEOUT_S = 1.0
    server = demo.make_server(demo.Predictor(None, 'none'), port=0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_port
    server.shutdown()
    server.server_close()


def _raw(port, head, body=b''):
    """Send a raw request; the status line and the JSON body of the reply."""
    import socket
    with socket.create_connection(('127.0.0.1', port), timeout=30) as sock:
        sock.sendall(head + body)
        reply = b''
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    head, _, payload = reply.partition(b'\r\n\r\n')
    return head.split(b'\r\n')[0].decode(), json.loads(payload or b'{}')


def test_bad_content_length_gets_a_400_reply(quick_server):
    """Issue 20, finding 4: ``Content-Length: abc`` closed the connection with no reply."""
    status, body = _raw(quick_server, b'POST /predict HTTP/1.1\r\nHost: x\r\n'
                        b'Content-Length: abc\r\nConnection: close\r\n\r\n')
    assert status.split()[1] == '400' and "Content-Length 'abc' is not a number" in body['error']


def test_a_stalled_upload_is_answered_408_not_held(quick_server):
    """A client announcing 1 MB and sending 10 bytes held a thread forever."""
    status, body = _raw(quick_server, b'POST /predict HTTP/1.1\r\nHost: x\r\n'
                        b'Content-Length: 1000000\r\n\r\n', b'0123456789')
    assert status.split()[1] == '408'
    assert 'announced 1000000 bytes but sent 10 within 1 s' in body['error']


def test_a_pixel_bomb_upload_gets_a_4xx_reply(quick_server):
    """A small PNG declaring 40000 x 40000 pixels is refused from its header, undecoded."""
    import sys
    sys.path.insert(0, osp.join(REPO, 'tests'))
    from datasets.test_hostile_files import huge_png
    data = huge_png(40000, 40000)
    status, body = _raw(quick_server, b'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: '
                        + str(len(data)).encode() + b'\r\nConnection: close\r\n\r\n', data)
    assert status.split()[1] == '400'
    assert 'declares 1600000000 pixels, more than the budget of 180000000' in body['error']
