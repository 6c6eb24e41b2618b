"""Run several tool invocations (``tools/train.py`` / ``tools/test.py``) in one process.

Usage: ``python tests/tool_batch.py PLAN.json RESULTS.json``. ``PLAN.json`` is a list of
``{"id", "tool", "argv", "log"}``; each entry runs ``tools/<tool>`` exactly as
``python tools/<tool> ARGV`` would (as ``__main__``, with ``sys.argv`` set), its stdout and
stderr (file descriptors 1 and 2, so C-level output too) going to ``log``. ``RESULTS.json``
gets ``{id: {"rc", "seconds"}}``.

Why: the all-configs test makes ~90 tool runs; one interpreter start (torch, mmengine) costs
~2.5 s, so running a phase of many configs per process saves minutes of CI time. Each run gets
its own experiment name (config name + timestamp), so mmengine's per-run singletons (logger,
message hub, visualizer) are not shared between runs of different configs.

One more saving: mmengine formats the whole config with yapf (``Config.pretty_text``) for the
log, the config dump, the visualizer, the message hub and every checkpoint's meta - 6 times in a
2-iteration run, most of its time. yapf's ``FormatCode`` is a pure function of its input, so
it is memoised here (same text in, same text out); nothing else of the tools is touched.
"""
import json
import os
import runpy
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def run_one(tool: str, argv: list, log: str) -> int:
    """``tools/<tool> ARGV`` as ``__main__``; returns its exit status."""
    script = str(REPO / 'tools' / tool)
    saved_argv, saved_fds = sys.argv, (os.dup(1), os.dup(2))
    sys.stdout.flush()
    sys.stderr.flush()
    with open(log, 'w') as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
        sys.argv = [script, *argv]
        try:
            runpy.run_path(script, run_name='__main__')
            rc = 0
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: B036  (a crash of one run must not stop the batch)
            traceback.print_exc()
            rc = 1
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            sys.argv = saved_argv
            os.dup2(saved_fds[0], 1)
            os.dup2(saved_fds[1], 2)
            for fd in saved_fds:
                os.close(fd)
    return rc


def _memoise_config_formatting() -> None:
    """Cache yapf's ``FormatCode(text, style_config=...)`` as mmengine's Config calls it."""
    from mmengine.config import config as config_module
    format_code, cache = config_module.FormatCode, {}

    def cached_format_code(text, *args, **kwargs):
        key = (text, repr(args), repr(sorted(kwargs.items())))
        if key not in cache:
            cache[key] = format_code(text, *args, **kwargs)
        return cache[key]

    config_module.FormatCode = cached_format_code


def main() -> int:
    _memoise_config_formatting()
    plan = json.loads(Path(sys.argv[1]).read_text())
    results = {}
    for entry in plan:
        start = time.perf_counter()
        rc = run_one(entry['tool'], entry['argv'], entry['log'])
        results[entry['id']] = dict(rc=rc, seconds=round(time.perf_counter() - start, 2))
        Path(sys.argv[2]).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
