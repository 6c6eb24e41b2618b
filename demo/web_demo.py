"""A browser demo: drop an image on a page and see the top-5 classes of a ConvNeXt model.

Usage:
    python demo/web_demo.py [--model NAME|CONFIG] [--checkpoint CKPT] [--port 8000]

then open http://127.0.0.1:8000/ . MODEL is a model-zoo name (its verified weights are
downloaded unless --checkpoint is given) or a config file (with --checkpoint for trained
weights). Only the standard library's ``http.server`` is used: no web framework to install.

Endpoints: ``GET /`` the page (``demo/web/index.html``); ``POST /predict`` with the raw image
bytes as body -> JSON ``{"model", "num_classes", "time_ms", "top5": [{"rank", "label",
"class_name", "score"}, ...]}``; ``GET /info``; ``GET /example`` the ``--example`` image (the page
``/?image=/example`` classifies it on load).
"""
import argparse
import json
import mimetypes
import os.path as osp
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

import cv2
import numpy as np

from mmcls_convnext.datasets.transforms.image_budget import (
    ENV_MAX_PIXELS,
    declared_size,
    max_pixels,
)

HERE = osp.dirname(osp.abspath(__file__))
INDEX_HTML = osp.join(HERE, 'web', 'index.html')
DEFAULT_EXAMPLE = osp.join(HERE, 'demo.JPEG')
MAX_UPLOAD_BYTES = 20 * 2**20
#: seconds a request may wait for the client's next bytes before it is answered 408
READ_TIMEOUT_S = 30.0


class Predictor:
    """Top-k classes of one image with a built model (thread-safe: one inference at a time).

    Args:
        inferencer: an :class:`ImageClassificationInferencer`.
        name: model name shown on the page.
        topk: number of classes returned.
    """

    def __init__(self, inferencer, name: str, topk: int = 5) -> None:
        self.inferencer = inferencer
        self.name = name
        self.topk = topk
        self._lock = threading.Lock()

    def __call__(self, data: bytes) -> Dict[str, Any]:
        """Decode ``data`` (any format OpenCV reads) and classify it."""
        size, budget = declared_size(data), max_pixels()  # from the header, before decoding
        if size is not None and budget and size[0] * size[1] > budget:
            raise ValueError(f'The uploaded image declares {size[0] * size[1]} pixels, more than '
                             f'the budget of {budget} ({ENV_MAX_PIXELS}); send a smaller image.')
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)  # BGR
        if img is None:
            raise ValueError(f'The uploaded file ({len(data)} bytes) is not an image OpenCV can '
                             'decode (JPEG, PNG, BMP, WebP, TIFF ...).')
        start = time.perf_counter()
        with self._lock:
            result = self.inferencer(img, show_progress=False)[0]
        elapsed = (time.perf_counter() - start) * 1e3
        scores = np.asarray(result['pred_scores'], dtype=np.float64)
        order = np.argsort(-scores, kind='stable')[:self.topk]
        classes = self.inferencer.classes
        top = [dict(rank=rank, label=int(i), score=float(scores[i]),
                    class_name=classes[i] if classes is not None else f'class {i}')
               for rank, i in enumerate(order, start=1)]
        return dict(model=self.name, num_classes=int(scores.size), time_ms=elapsed, top5=top)


def build_predictor(model: str, checkpoint: Optional[str] = None,
                    device: str = 'cpu') -> Predictor:
    """Load ``model`` (zoo name or config file) with ``checkpoint`` into a :class:`Predictor`."""
    from mmcls_convnext.apis import ImageClassificationInferencer, list_models
    from mmcls_convnext.weights.download import is_url
    if checkpoint is not None:
        if not osp.isfile(checkpoint) and not is_url(checkpoint, schemes=None):
            raise FileNotFoundError(f'Checkpoint {checkpoint} does not exist.')
        pretrained = checkpoint
    elif model in list_models():
        pretrained = True  # the zoo entry's verified weights
    elif osp.isfile(model):
        pretrained = False
        print(f'Warning: {model} is used with its initial (random) weights; pass --checkpoint '
              'to classify with trained weights.')
    else:
        raise FileNotFoundError(f'--model {model} is neither a model-zoo name nor a config '
                                'file; see `python -c "from mmcls_convnext.apis import '
                                'list_models; print(list_models())"`.')
    inferencer = ImageClassificationInferencer(model, pretrained=pretrained, device=device)
    name = osp.splitext(osp.basename(model))[0]
    return Predictor(inferencer, name)


def make_handler(predictor: Predictor, example: Optional[str]):
    """A request-handler class bound to ``predictor`` and the optional example image."""

    class DemoHandler(BaseHTTPRequestHandler):
        server_version = 'mmcls_convnext-demo'
        timeout = READ_TIMEOUT_S  # a client that stops sending frees its thread

        def log_message(self, fmt: str, *args) -> None:  # quieter than the default
            if not getattr(self.server, 'quiet', False):
                super().log_message(fmt, *args)

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header('Content-Type', content_type)
            self.send_header('Content-Length', str(len(body)))
            self.send_header('Cache-Control', 'no-store')
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: Dict[str, Any]) -> None:
            self._send(status, json.dumps(payload).encode(), 'application/json')

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            path = self.path.split('?', 1)[0]
            if path in ('/', '/index.html'):
                with open(INDEX_HTML, 'rb') as f:
                    self._send(HTTPStatus.OK, f.read(), 'text/html; charset=utf-8')
            elif path == '/info':
                self._json(HTTPStatus.OK, dict(model=predictor.name, topk=predictor.topk))
            elif path == '/example' and example is not None:
                with open(example, 'rb') as f:
                    kind = mimetypes.guess_type(example)[0] or 'application/octet-stream'
                    self._send(HTTPStatus.OK, f.read(), kind)
            else:
                self._json(HTTPStatus.NOT_FOUND, dict(error=f'No page {path}.'))

        def do_POST(self) -> None:  # noqa: N802
            if self.path.split('?', 1)[0] != '/predict':
                self._json(HTTPStatus.NOT_FOUND, dict(error=f'No endpoint {self.path}.'))
                return
            text = (self.headers.get('Content-Length') or '0').strip()
            if not text.isdigit():
                self._json(HTTPStatus.BAD_REQUEST, dict(error=f'Content-Length {text!r} is not a '
                                                        'number of bytes.'))
                return
            length = int(text)
            if length <= 0:
                self._json(HTTPStatus.BAD_REQUEST, dict(error='Empty upload: send the image '
                                                        'bytes as the request body.'))
                return
            if length > MAX_UPLOAD_BYTES:
                self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                           dict(error=f'Image of {length} bytes is larger than the '
                                f'{MAX_UPLOAD_BYTES // 2**20} MiB limit.'))
                return
            chunks, got = [], 0
            try:
                while got < length:
                    chunk = self.rfile.read1(min(1 << 16, length - got))
                    if not chunk:
                        break
                    chunks.append(chunk)
                    got += len(chunk)
            except OSError:  # socket.timeout: the client stopped sending
                pass
            data = b''.join(chunks)
            if len(data) != length:
                self.close_connection = True
                self._json(HTTPStatus.REQUEST_TIMEOUT,
                           dict(error=f'The upload announced {length} bytes but sent '
                                f'{len(data)} within {READ_TIMEOUT_S:g} s.'))
                return
            try:
                self._json(HTTPStatus.OK, predictor(data))
            except ValueError as err:
                self._json(HTTPStatus.BAD_REQUEST, dict(error=str(err)))

    return DemoHandler


def make_server(predictor: Predictor, host: str = '127.0.0.1', port: int = 8000,
                example: Optional[str] = None, quiet: bool = False) -> ThreadingHTTPServer:
    """An HTTP server for the demo (``port=0`` picks a free port: see ``server.server_port``)."""
    if example is not None and not osp.isfile(example):
        raise FileNotFoundError(f'--example image {example} does not exist.')
    server = ThreadingHTTPServer((host, port), make_handler(predictor, example))
    server.daemon_threads = True
    server.quiet = quiet
    return server


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Browser demo: top-5 classes of an image.')
    parser.add_argument('--model', default='convnext-tiny_32xb128_in1k',
                        help='model-zoo name or config file (default: convnext-tiny_32xb128_in1k)')
    parser.add_argument('--checkpoint', default=None, help='checkpoint path or URL')
    parser.add_argument('--device', default='cpu', help='cpu or cuda:0 (default: cpu)')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address to listen on (0.0.0.0 to serve the local network)')
    parser.add_argument('--port', type=int, default=8000, help='port (default 8000; 0 = any)')
    parser.add_argument('--example', default=DEFAULT_EXAMPLE if osp.isfile(DEFAULT_EXAMPLE)
                        else None, help='image served at /example (default: demo/demo.JPEG)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    predictor = build_predictor(args.model, args.checkpoint, args.device)
    server = make_server(predictor, args.host, args.port, args.example)
    host, port = server.server_address[:2]
    print(f'Serving {predictor.name} on http://{host}:{port}/ '
          f'(try http://{host}:{port}/?image=/example). Ctrl+C stops.', flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == '__main__':
    main()
