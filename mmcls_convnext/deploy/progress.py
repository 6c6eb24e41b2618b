"""``Progress``: timestamped progress lines for long CPU jobs (export, verification, benchmarks)."""
import sys
import time


class Progress:
    """``progress('message')`` prints ``[+12.3 s] message`` at once (long runs stay readable)."""

    def __init__(self, stream=None) -> None:
        self.stream = stream
        self.reset()

    def reset(self) -> None:
        self.start = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(f'[+{time.perf_counter() - self.start:7.1f} s] {message}',
              file=self.stream or sys.stdout, flush=True)
