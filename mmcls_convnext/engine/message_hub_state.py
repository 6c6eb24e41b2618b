"""Make mmengine's message-hub state loadable with ``torch.load(weights_only=True)``.

A training checkpoint's ``message_hub`` holds ``HistoryBuffer`` objects (numpy arrays inside)
and sometimes numpy scalars; unpickling those needs globals that ``weights_only=True`` refuses.
We store them as tensors and plain Python values instead, so every checkpoint this package
writes loads with a plain ``torch.load(path, weights_only=True)`` (in ``get_model``,
``tools/test.py``, the zoo loader, other tools), and convert back on resume.
"""
from typing import Any

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

_BUFFER_TAG = '__history_buffer__'
_ARRAY_TAG = '__ndarray__'


def _to_plain(value: Any) -> Any:
    if isinstance(value, HistoryBuffer):
        log, count = value.data
        return {_BUFFER_TAG: True, 'max_length': int(value.max_length),
                'log': torch.from_numpy(np.ascontiguousarray(log)),
                'count': torch.from_numpy(np.ascontiguousarray(count))}
    if isinstance(value, np.ndarray) and value.dtype != object:
        return {_ARRAY_TAG: torch.from_numpy(np.ascontiguousarray(value))}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return type(value)((k, _to_plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_to_plain(v) for v in value)
    return value


def _from_plain(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(_BUFFER_TAG) is True:
            return HistoryBuffer(value['log'].numpy(), value['count'].numpy(),
                                 value['max_length'])
        if set(value) == {_ARRAY_TAG}:
            return value[_ARRAY_TAG].numpy()
        return type(value)((k, _from_plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_from_plain(v) for v in value)
    return value


def message_hub_to_plain(state: dict) -> dict:
    """A copy of ``MessageHub.state_dict()`` with only tensors and Python built-ins."""
    return _to_plain(state)


def message_hub_from_plain(state: dict) -> dict:
    """Inverse of :func:`message_hub_to_plain` (mmengine-native states pass unchanged)."""
    return _from_plain(state)
