"""Reading mmengine-native training checkpoints without trusting a single callable.

A checkpoint saved by plain mmengine (MMPretrain, mmcls 1.x, or this package before its files
became plain data) pickles ``HistoryBuffer`` objects, numpy arrays / scalars / dtypes and
``builtins.getattr`` (bound methods of the buffers). ``torch.load(weights_only=True)`` refuses
those names. Allowing the real objects would let a crafted file call them with arguments of its
choice - ``getattr`` alone reaches ``eval`` (``getattr(getattr, '__self__')`` is the builtins
module).

Instead, each of these names is mapped to an **inert stand-in** defined here: a class with
``__slots__`` (no instance ``__dict__``, so nothing can be planted on it) whose construction and
``__setstate__`` only store their arguments, or a function that only wraps its arguments in such
a record. No stand-in calls anything it is given, so unpickling runs no code whatever the file
says. After unpickling, :func:`materialize` turns the records into real objects through
validated, data-only constructors (``np.frombuffer`` on the raw bytes with a checked dtype
string; ``HistoryBuffer(log, count, max_length)``), refusing anything that does not have the
exact shape a genuine file has.
"""
import re
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Iterator, Tuple

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer


class LegacyFormatError(ValueError):
    """A record of a legacy checkpoint does not look like what numpy / mmengine write."""


class _Inert:
    """Records constructor arguments and unpickled state; calls nothing."""

    __slots__ = ('args', 'state')

    def __new__(cls, *args: Any) -> '_Inert':
        self = object.__new__(cls)
        self.args = args
        self.state = None
        return self

    def __setstate__(self, state: Any) -> None:
        self.state = state


class LegacyHistoryBuffer(_Inert):
    """Stands for ``mmengine.logging.history_buffer.HistoryBuffer``."""

    __slots__ = ()


class LegacyArray(_Inert):
    """Stands for ``numpy.ndarray`` (the class argument and the unpickled array)."""

    __slots__ = ()


class LegacyDType(_Inert):
    """Stands for ``numpy.dtype``."""

    __slots__ = ()


class LegacyScalar(_Inert):
    """Result of the ``numpy...multiarray.scalar`` stand-in (not itself allow-listed)."""

    __slots__ = ()


class LegacyAttribute(_Inert):
    """Result of the ``builtins.getattr`` stand-in (not itself allow-listed)."""

    __slots__ = ()


def _reconstruct(*args: Any) -> LegacyArray:
    return LegacyArray(*args)


def _scalar(*args: Any) -> LegacyScalar:
    return LegacyScalar(*args)


def _getattr(*args: Any) -> LegacyAttribute:
    return LegacyAttribute(*args)


_STAND_INS = {
    'mmengine.logging.history_buffer.HistoryBuffer': LegacyHistoryBuffer,
    'numpy.ndarray': LegacyArray,
    'numpy.dtype': LegacyDType,
    'numpy._core.multiarray._reconstruct': _reconstruct,  # numpy >= 2
    'numpy.core.multiarray._reconstruct': _reconstruct,  # numpy 1.x
    'numpy._core.multiarray.scalar': _scalar,
    'numpy.core.multiarray.scalar': _scalar,
    'builtins.getattr': _getattr,
}
#: The pickle globals of mmengine-native checkpoints that are read through stand-ins.
LEGACY_GLOBALS = frozenset(_STAND_INS)


@contextmanager
def legacy_globals() -> Iterator[None]:
    """Within the context, ``torch.load(weights_only=True)`` maps :data:`LEGACY_GLOBALS` to
    the stand-ins (and nothing else is added to torch's own allow-list)."""
    with torch.serialization.safe_globals([(obj, name) for name, obj in _STAND_INS.items()]):
        yield


_DTYPE_CODE = re.compile(r'^(\?|b1|[iu][1248]|f[248]|c(8|16))$')


def _dtype(record: Any, where: str) -> np.dtype:
    if type(record) is not LegacyDType or not record.args or type(record.args[0]) is not str:
        raise LegacyFormatError(f'{where}: expected a numpy dtype record')
    code = record.args[0]
    if not _DTYPE_CODE.match(code):
        raise LegacyFormatError(f'{where}: dtype {code!r} is not a plain numeric dtype')
    order = '='
    state = record.state
    if state is not None:
        if type(state) is not tuple or len(state) < 2 or state[1] not in ('<', '>', '|', '='):
            raise LegacyFormatError(f'{where}: malformed dtype state')
        if any(part is not None for part in state[2:5]):
            raise LegacyFormatError(f'{where}: structured or sub-array dtypes are not read')
        order = state[1]
    return np.dtype(('' if order == '|' else order) + code)


def _array(record: LegacyArray, where: str) -> np.ndarray:
    if len(record.args) != 3 or record.args[0] is not LegacyArray:
        raise LegacyFormatError(f'{where}: malformed numpy array record')
    state = record.state
    if type(state) is not tuple or len(state) != 5:
        raise LegacyFormatError(f'{where}: malformed numpy array state')
    _, shape, dtype_record, fortran, raw = state
    if (type(shape) is not tuple or not all(type(n) is int and n >= 0 for n in shape)
            or type(fortran) is not bool or type(raw) is not bytes):
        raise LegacyFormatError(f'{where}: malformed numpy array state')
    dtype = _dtype(dtype_record, where)
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count * dtype.itemsize != len(raw):
        raise LegacyFormatError(f'{where}: {len(raw)} bytes do not hold an array of shape '
                                f'{shape} and dtype {dtype}')
    flat = np.frombuffer(raw, dtype=dtype, count=count)
    return flat.reshape(shape, order='F' if fortran else 'C').copy()


def _number(record: LegacyScalar, where: str) -> Any:
    if len(record.args) != 2 or type(record.args[1]) is not bytes:
        raise LegacyFormatError(f'{where}: malformed numpy scalar record')
    dtype = _dtype(record.args[0], where)
    if len(record.args[1]) != dtype.itemsize:
        raise LegacyFormatError(f'{where}: {len(record.args[1])} bytes are not one {dtype}')
    return np.frombuffer(record.args[1], dtype=dtype, count=1)[0].item()


def _history_buffer(record: LegacyHistoryBuffer, where: str) -> HistoryBuffer:
    state = record.state
    if record.args or type(state) is not dict:
        raise LegacyFormatError(f'{where}: malformed HistoryBuffer record')
    log, count = state.get('_log_history'), state.get('_count_history')
    max_length = state.get('max_length')
    if type(log) is not LegacyArray or type(count) is not LegacyArray or (
            type(max_length) is not int or max_length <= 0):
        raise LegacyFormatError(f'{where}: malformed HistoryBuffer state')
    methods = state.get('statistics_methods', {})
    if type(methods) is not dict or not all(type(m) is LegacyAttribute for m in methods.values()):
        raise LegacyFormatError(f'{where}: malformed HistoryBuffer statistics_methods')
    log, count = _array(log, where + '._log_history'), _array(count, where + '._count_history')
    if log.ndim != 1 or log.shape != count.shape:
        raise LegacyFormatError(f'{where}: HistoryBuffer histories differ in shape')
    # the buffer's own methods are rebuilt by its constructor, never taken from the file
    return HistoryBuffer(log.astype(np.float64), count.astype(np.float64), max_length)


def materialize(value: Any, where: str = 'checkpoint') -> Any:
    """Replace the stand-in records in an unpickled object by real, validated objects.

    numpy arrays become ``np.ndarray``, numpy scalars Python numbers, dtypes ``np.dtype``,
    ``HistoryBuffer`` records ``HistoryBuffer`` objects. Containers are copied; tensors are kept.

    Raises:
        LegacyFormatError: a record that a genuine numpy / mmengine file would not contain
            (e.g. ``getattr`` outside a ``HistoryBuffer``, object or structured arrays).
    """
    kind = type(value)
    if kind is LegacyArray:
        return _array(value, where)
    if kind is LegacyScalar:
        return _number(value, where)
    if kind is LegacyDType:
        return _dtype(value, where)
    if kind is LegacyHistoryBuffer:
        return _history_buffer(value, where)
    if kind is LegacyAttribute:
        raise LegacyFormatError(f'{where}: getattr is only read inside a HistoryBuffer')
    if isinstance(value, dict):
        out = OrderedDict() if isinstance(value, OrderedDict) else {}
        for key, item in value.items():
            out[materialize(key, f'{where} key')] = materialize(item, f'{where}[{key!r}]')
        if isinstance(value, OrderedDict) and isinstance(getattr(value, '_metadata', None), dict):
            out._metadata = materialize(value._metadata, f'{where}._metadata')
        return out
    if isinstance(value, (list, tuple, set)):
        items = [materialize(v, f'{where}[{i}]') for i, v in enumerate(value)]
        return items if kind is list else (set(items) if isinstance(value, set) else tuple(items))
    return value


__all__: Tuple[str, ...] = ('LEGACY_GLOBALS', 'LegacyFormatError', 'legacy_globals',
                            'materialize')
