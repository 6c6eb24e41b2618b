"""Run Python code in a subprocess whose address space is capped (``RLIMIT_AS``).

A test of "this small file must not make us allocate gigabytes" runs the reader here: without
the fix the allocation fails with MemoryError (or is refused by the allocator) instead of
taking the machine's memory. The cap is the interpreter's size after the imports plus
``headroom`` bytes.
"""
import json
import os
import subprocess
import sys
from typing import Any, Dict, List

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PREAMBLE = '''
import json, resource, sys, traceback
{imports}
def _vm():
    for line in open('/proc/self/status'):
        if line.startswith('VmSize:'):
            return int(line.split()[1]) * 1024
limit = _vm() + {headroom}
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
def outcome(func, *args):
    try:
        func(*args)
        return dict(ok=True)
    except BaseException as exc:
        return dict(ok=False, type=type(exc).__name__, message=str(exc).splitlines()[0][:600]
                    if str(exc) else '')
results = []
'''


def run_bounded(imports: str, body: str, headroom: int = 1 << 30,
                timeout: float = 300) -> List[Dict[str, Any]]:
    """Run ``body`` after ``imports`` under the cap; ``body`` appends dicts to ``results``
    (e.g. ``outcome(read, path)``); returns that list."""
    code = PREAMBLE.format(imports=imports, headroom=headroom) + body + \
        '\nprint("RESULTS " + json.dumps(results))\n'
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([REPO, os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          timeout=timeout, env=env, cwd=REPO)
    lines = [line for line in proc.stdout.splitlines() if line.startswith('RESULTS ')]
    assert proc.returncode == 0 and lines, (proc.returncode, proc.stdout[-2000:],
                                            proc.stderr[-3000:])
    return json.loads(lines[-1][len('RESULTS '):])
