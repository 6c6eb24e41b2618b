"""A loopback HTTP server for test-made weight files (``MMCLS_CONVNEXT_MIRROR`` points at it)."""
import functools
import http.server
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, List, Tuple


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        self.server.requests.append(self.path)
        super().do_GET()


@contextmanager
def serve(folder: Path) -> Iterator[Tuple[str, List[str]]]:
    """Serve ``folder`` on 127.0.0.1; yields (base URL, list of requested paths)."""
    handler = functools.partial(_Handler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f'http://127.0.0.1:{server.server_address[1]}', server.requests
    finally:
        server.shutdown()
        server.server_close()
