"""Checkpoint state as plain data: what our files hold, so that loading them runs no code.

A file holding only tensors, Python numbers, strings, bytes, ``None`` and lists / tuples / dicts
of those unpickles with a plain ``torch.load(weights_only=True)``: its pickle names no callable
besides torch's own tensor-rebuild functions. mmengine's training state is not like that: the
message hub keeps ``HistoryBuffer`` objects (numpy arrays inside, and bound methods), numpy
scalars appear in ``meta`` and ``runtime_info``, RNG states hold numpy arrays, and some
parameter schedulers keep bound methods in their state. :func:`to_plain` converts all of this on
save; :func:`from_plain` restores the mmengine / numpy objects on resume.

Encoding (tags are dict keys no real state uses):

- ``HistoryBuffer`` -> ``{'__history_buffer__': True, 'max_length': int, 'log': Tensor,
  'count': Tensor}``;
- numpy array (not of dtype object) -> ``{'__ndarray__': Tensor}`` (arrays of a dtype torch
  lacks -> ``{'__ndarray__': bytes, 'dtype': str, 'shape': list}``);
- numpy scalar -> the Python number (``.item()``);
- ``OrderedDict`` / ``defaultdict`` / other dict subclasses -> ``OrderedDict`` / ``dict``;
- functions and bound methods (e.g. ``OneCycleParamScheduler.anneal_func``) -> left out: they
  are configuration, rebuilt from the config before the state is loaded;
- anything else -> ``TypeError`` naming where it is.
"""
import functools
import re
import types
from collections import OrderedDict
from typing import Any, List, Tuple

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

BUFFER_TAG = '__history_buffer__'
ARRAY_TAG = '__ndarray__'
_SCALARS = (bool, int, float, complex, str, bytes, type(None))
_TORCH_VALUES = (torch.dtype, torch.device, torch.Size)
_CALLABLES = (types.FunctionType, types.MethodType, types.BuiltinFunctionType,
              types.MethodWrapperType, functools.partial)


def _array_to_plain(array: np.ndarray) -> dict:
    array = np.ascontiguousarray(array)
    try:
        return {ARRAY_TAG: torch.from_numpy(array.copy())}
    except TypeError:  # a dtype torch has no tensor type for
        return {ARRAY_TAG: array.tobytes(), 'dtype': array.dtype.str, 'shape': list(array.shape)}


def _convert(value: Any, where: str, dropped: List[str]) -> Tuple[bool, Any]:
    """(keep, converted value); ``keep`` is False for callables, which are left out."""
    if isinstance(value, torch.Tensor) or isinstance(value, _TORCH_VALUES):
        return True, value
    if isinstance(value, _SCALARS):
        return True, value if type(value) in _SCALARS else _builtin(value)
    if isinstance(value, HistoryBuffer):
        log, count = value.data
        return True, {BUFFER_TAG: True, 'max_length': int(value.max_length),
                      'log': torch.from_numpy(np.ascontiguousarray(log, dtype=np.float64)),
                      'count': torch.from_numpy(np.ascontiguousarray(count, dtype=np.float64))}
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            return True, [_convert_kept(v, f'{where}[{i}]', dropped)
                          for i, v in enumerate(value.tolist())]
        return True, _array_to_plain(value)
    if isinstance(value, np.generic):
        return True, value.item()
    if isinstance(value, dict):
        out = OrderedDict() if isinstance(value, OrderedDict) else {}
        for key, item in value.items():
            keep, plain = _convert(item, f'{where}[{key!r}]', dropped)
            if keep:
                out[_convert_kept(key, f'{where} key {key!r}', dropped)] = plain
        if isinstance(value, OrderedDict) and hasattr(value, '_metadata'):
            # torch state dicts carry per-module versions: plain nested dicts of ints
            out._metadata = _convert_kept(value._metadata, f'{where}._metadata', dropped)
        return True, out
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_convert_kept(v, f'{where}[{i}]', dropped) for i, v in enumerate(value)]
        return True, items if isinstance(value, list) else (
            set(items) if isinstance(value, (set, frozenset)) else tuple(items))
    if isinstance(value, _CALLABLES):
        dropped.append(where)
        return False, None
    raise TypeError(
        f'Cannot save {where}: it is a {type(value).__module__}.{type(value).__qualname__}. A '
        'checkpoint holds only tensors, numbers, strings, bytes, None and lists / tuples / dicts '
        'of them (so that loading it can never run code); store a plain value instead.')


def _builtin(value: Any) -> Any:
    """A str / int / float subclass instance (e.g. torch's TorchVersion) as the plain type."""
    for kind in (bool, int, float, complex, str, bytes):
        if isinstance(value, kind):
            return kind(value)
    return value


def _convert_kept(value: Any, where: str, dropped: List[str]) -> Any:
    keep, plain = _convert(value, where, dropped)
    if not keep:
        raise TypeError(f'Cannot save {where}: a function or method cannot be stored in a '
                        'list or as a dict key of a checkpoint.')
    return plain


def to_plain(state: Any, name: str = 'checkpoint') -> Tuple[Any, List[str]]:
    """A copy of ``state`` made of plain data only (see the module doc).

    Args:
        state: e.g. the checkpoint dict mmengine builds, or one part of it.
        name: how the root is called in messages.

    Returns:
        ``(plain copy, paths of the functions / methods left out)``. Tensors are shared, not
        copied.

    Raises:
        TypeError: an object that is neither plain nor convertible, naming its path.
    """
    dropped: List[str] = []
    keep, plain = _convert(state, name, dropped)
    if not keep:
        raise TypeError(f'Cannot save {name}: it is a function or method.')
    return plain, dropped


_DTYPE_STR = re.compile(r'^[<>|=]?([biufcSU?]\d*|[Mm]8\[\w+\])$')


def _array_from_plain(value: dict) -> np.ndarray:
    data = value[ARRAY_TAG]
    if isinstance(data, torch.Tensor):
        return data.detach().cpu().numpy()
    dtype, shape = value.get('dtype'), value.get('shape')
    if (type(data) is not bytes or type(dtype) is not str or not _DTYPE_STR.match(dtype)
            or type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape)):
        raise ValueError(f'malformed {ARRAY_TAG} value')
    return np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()


def _buffer_from_plain(value: dict) -> HistoryBuffer:
    log, count, max_length = value.get('log'), value.get('count'), value.get('max_length')
    if (not isinstance(log, torch.Tensor) or not isinstance(count, torch.Tensor)
            or log.ndim != 1 or log.shape != count.shape or type(max_length) is not int
            or max_length <= 0):
        raise ValueError(f'malformed {BUFFER_TAG} value')
    return HistoryBuffer(log.detach().double().numpy(), count.detach().double().numpy(),
                         max_length)


def from_plain(state: Any) -> Any:
    """Inverse of :func:`to_plain`: tagged dicts become ``HistoryBuffer`` / numpy arrays again.

    Anything else (also mmengine-native objects) passes unchanged; containers are copied.

    Raises:
        ValueError: a tagged dict that :func:`to_plain` would not have written.
    """
    if isinstance(state, dict):
        if state.get(BUFFER_TAG) is True:
            return _buffer_from_plain(state)
        if ARRAY_TAG in state and set(state) <= {ARRAY_TAG, 'dtype', 'shape'}:
            return _array_from_plain(state)
        out = {key: from_plain(value) for key, value in state.items()}
        if all(out[key] is value for key, value in state.items()):
            return state  # unchanged (e.g. a state dict): keep the object and its _metadata
        return OrderedDict(out) if isinstance(state, OrderedDict) else out
    if type(state) in (list, tuple):
        items = [from_plain(v) for v in state]
        if all(a is b for a, b in zip(items, state)):
            return state
        return items if type(state) is list else tuple(items)
    return state
