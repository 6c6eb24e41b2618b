"""A corpus of crafted checkpoint files that run code when unpickled naively.

Each payload creates a marker file when it executes; a safe reader must refuse the file and the
marker must never appear. The pickles are assembled opcode by opcode (protocol 2, as
``torch.save`` writes) and wrapped in three containers: a ``torch.save`` zip archive whose
``data.pkl`` is replaced, torch's legacy (non-zip) stream, and a bare pickle.

Payloads:

- ``getattr_gadget``: only ``builtins.getattr`` and ``collections.Counter`` as globals.
  ``getattr(getattr, '__self__')`` is the builtins module, ``getattr(that, 'eval')`` is ``eval``;
  a first BUILD on a ``Counter`` sets its ``__setstate__`` attribute to ``eval``, a second BUILD
  calls it with the payload string. Runs under an allow-list that admits ``getattr``.
- ``os_system`` / ``posix_system``: ``__reduce__`` -> ``os.system`` / ``posix.system``.
- ``subprocess_popen``: ``subprocess.Popen(['touch', marker])``.
- ``functools_partial``: ``functools.partial(posix.system, cmd)()``.
- ``rebuild_from_type``: torch's ``_rebuild_from_type_v2(func, type, args, state)`` calls
  ``func(*args)``: with ``func`` = ``builtins.exec``.
- ``nested_rebuild``: ``_rebuild_from_type_v2`` nested in ``_rebuild_from_type_v2``, the inner
  ``func`` being ``eval`` reached through the getattr gadget.
- ``parameter_hooks``: ``_rebuild_parameter_with_state`` with ``posix.system`` as a backward
  hook, plus a getattr-gadget ``eval`` as the parameter state's ``__setstate__``.
"""
import io
import os
import pickle
import struct
import sys
import zipfile
from pathlib import Path
from typing import Callable, Dict, List

import torch

PROTO = b'\x80\x02'


def _str(text: str) -> bytes:
    data = text.encode()
    return b'X' + struct.pack('<I', len(data)) + data


def _global(module: str, name: str) -> bytes:
    return b'c' + module.encode() + b'\n' + name.encode() + b'\n'


def _tuple(*items: bytes) -> bytes:
    return b'(' + b''.join(items) + b't'


def _call(func: bytes, *args: bytes) -> bytes:
    return func + _tuple(*args) + b'R'


def _eval_via_getattr() -> bytes:
    """Pushes ``eval``: getattr(getattr(getattr, '__self__'), 'eval')."""
    getattr_ = _global('builtins', 'getattr')
    builtins_module = _call(getattr_, getattr_, _str('__self__'))
    return _call(getattr_, builtins_module, _str('eval'))


def _python_code(marker: Path) -> str:
    return f'open({str(marker)!r}, "w").close()'


def _shell(marker: Path) -> str:
    return f'touch {marker}'


def getattr_gadget(marker: Path) -> bytes:
    counter = _call(_global('collections', 'Counter'))
    plant = _tuple(b'N', b'}' + _str('__setstate__') + _eval_via_getattr() + b's') + b'b'
    fire = _str(_python_code(marker)) + b'b'
    return counter + plant + fire


def os_system(marker: Path) -> bytes:
    return _call(_global('os', 'system'), _str(_shell(marker)))


def posix_system(marker: Path) -> bytes:
    return _call(_global('posix', 'system'), _str(_shell(marker)))


def subprocess_popen(marker: Path) -> bytes:
    argv = b']' + _str('touch') + b'a' + _str(str(marker)) + b'a'
    return _call(_global('subprocess', 'Popen'), argv)


def functools_partial(marker: Path) -> bytes:
    partial = _call(_global('functools', 'partial'), _global('posix', 'system'),
                    _str(_shell(marker)))
    return partial + b')R'


def _rebuild_from_type(func: bytes, args: bytes) -> bytes:
    return _call(_global('torch._tensor', '_rebuild_from_type_v2'), func,
                 _global('torch', 'Tensor'), args, b'}')


def rebuild_from_type(marker: Path) -> bytes:
    return _rebuild_from_type(_global('builtins', 'exec'),
                              _tuple(_str(_python_code(marker))))


def nested_rebuild(marker: Path) -> bytes:
    inner = _tuple(_eval_via_getattr(), _global('torch', 'Tensor'),
                   _tuple(_str(_python_code(marker))), b'}')
    return _rebuild_from_type(_global('torch._tensor', '_rebuild_from_type_v2'), inner)


def parameter_hooks(marker: Path) -> bytes:
    tensor = _call(_global('torch._utils', '_rebuild_tensor_v2'),
                   _call(_global('torch', 'FloatStorage')), b'K\x00', _tuple(), _tuple(),
                   b'\x89', _call(_global('collections', 'OrderedDict')))
    hooks = (_call(_global('collections', 'OrderedDict')) + b'K\x00'
             + _global('posix', 'system') + b's')
    state = b'}' + _str('__setstate__') + _eval_via_getattr() + b's'
    param = _call(_global('torch._utils', '_rebuild_parameter_with_state'), tensor, b'\x89',
                  hooks, state)
    return param + _str(_python_code(marker)) + b'b'


PAYLOADS: Dict[str, Callable[[Path], bytes]] = {
    f.__name__: f for f in (getattr_gadget, os_system, posix_system, subprocess_popen,
                            functools_partial, rebuild_from_type, nested_rebuild,
                            parameter_hooks)
}


def _pickle(body: bytes) -> bytes:
    return PROTO + body + b'.'


def _zip_container(payload: bytes) -> bytes:
    """A real ``torch.save`` archive whose ``data.pkl`` is replaced by ``payload``."""
    genuine = io.BytesIO()
    torch.save({'state_dict': {'w': torch.zeros(2)}}, genuine)
    genuine.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(genuine) as src, zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            data = payload if info.filename.endswith('/data.pkl') else src.read(info)
            dst.writestr(info.filename, data)
    return out.getvalue()


def _legacy_container(payload: bytes) -> bytes:
    """torch's pre-1.6 stream: magic number, protocol, sys info, then the object."""
    magic = pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2)
    version = pickle.dumps(1001, protocol=2)
    sys_info = pickle.dumps(dict(protocol_version=1001, little_endian=sys.byteorder == 'little',
                                 type_sizes=dict(short=2, int=4, long=4)), protocol=2)
    return magic + version + sys_info + payload + pickle.dumps([], protocol=2)


CONTAINERS: Dict[str, Callable[[bytes], bytes]] = {
    'zip': _zip_container,
    'legacy': _legacy_container,
    'pickle': lambda payload: payload,
}


def write_corpus(folder: Path, marker: Path, containers: List[str] = None) -> Dict[str, Path]:
    """Write every payload in every container; returns ``{'<payload>-<container>': path}``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, build in PAYLOADS.items():
        payload = _pickle(build(marker))
        for kind in containers or list(CONTAINERS):
            path = folder / f'{name}-{kind}.pth'
            path.write_bytes(CONTAINERS[kind](payload))
            files[f'{name}-{kind}'] = path
    return files


def wait_for(path: Path, seconds: float = 5.0) -> bool:
    """Whether ``path`` exists within ``seconds`` (Popen payloads create it asynchronously)."""
    import time
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return os.path.exists(path)
