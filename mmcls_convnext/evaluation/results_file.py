"""Read the per-image predictions that ``tools/test.py CONFIG CKPT --out results.pkl`` writes.

``tools/test.py --out FILE.pkl`` (``--out-item pred``, the default) adds mmengine's
``DumpResults`` metric to the test evaluator: FILE.pkl is a ``pickle`` of a list with one dict
per test image, ``DataSample.to_dict()``: ``pred_score`` (C,) float tensor, ``pred_label`` (1,),
``gt_label`` (1,), ``img_path``, ``sample_idx``, ``num_classes``, ``ori_shape``, ... MMPretrain
1.x writes the same records. MMClassification 1.x (``ClsDataSample``) nests the labels:
``pred_label={'label': (1,), 'score': (C,)}``, ``gt_label={'label': (1,)}``; both read the same.
A ``.json`` file holding such records (lists instead of tensors) is read too.

Unpickling can run code, so a pickle is read by a restricted unpickler: the only globals it
resolves are the few that a pickled list of dicts of tensors, numpy arrays and plain Python
values needs (``torch._utils._rebuild_tensor_v2``, a tensor storage - itself read with
``torch.load(weights_only=True)`` -, ``collections.OrderedDict``, numpy's array and scalar
constructors, ``set`` / ``frozenset``, ``_codecs.encode`` for bytes). A pickle that names
anything else is refused before that name is looked up or called: :class:`ResultsFileError`.
Pickle state (``BUILD``) is applied only to the numpy arrays and dtypes it rebuilds, and every
allocation (array and tensor sizes, storage bytes) is bounded by the bytes the file holds.
"""
import codecs
import collections
import io
import json
import os
import os.path as osp
import pickle
import pickletools
import warnings
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import torch

from ..checkpoint.bounds import AllocationError, check_pickled_bytes

WRITE_HINT = 'write it with tools/test.py CONFIG CHECKPOINT --out FILE.pkl (--out-item pred, ' \
    'the default)'
PICKLE_EXTENSIONS = ('.pkl', '.pickle')


class ResultsFileError(ValueError):
    """A results file that is missing, unreadable, refused, or not per-image predictions."""


def _allowed_globals() -> Dict[Tuple[str, str], Callable]:
    """``(module, name)`` -> the callable a results pickle may name (see the module doc)."""
    reconstruct = np.ndarray((0, )).__reduce__()[0]  # numpy's own, whatever module it lives in
    scalar = np.float32(0).__reduce__()[0]
    allowed: Dict[Tuple[str, str], Callable] = {
        ('torch._utils', '_rebuild_tensor_v2'): torch._utils._rebuild_tensor_v2,
        ('collections', 'OrderedDict'): collections.OrderedDict,
        ('_codecs', 'encode'): codecs.encode,
    }
    for module in ('builtins', '__builtin__'):  # protocol 2 spells it __builtin__
        allowed.update({(module, 'set'): set, (module, 'frozenset'): frozenset})
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):  # numpy 1.x / 2.x
        allowed.update({(module, '_reconstruct'): reconstruct, (module, 'scalar'): scalar})
    allowed.update({('numpy', 'ndarray'): np.ndarray, ('numpy', 'dtype'): np.dtype})
    return allowed


def _numel(shape: Any) -> int:
    count = 1
    for n in shape:
        count *= n
    return count


def _is_shape(value: Any) -> bool:
    return type(value) in (tuple, list, torch.Size) and all(
        type(n) is int and n >= 0 for n in value)


class _ResultsUnpickler(pickle._Unpickler):
    """Pure-Python unpickler that resolves only :func:`_allowed_globals` and applies pickle
    state (``BUILD``) only to the numpy arrays and dtypes it rebuilds, with their state checked:
    a BUILD on anything else (a function such as ``torch._utils._rebuild_tensor_v2``, whose
    ``__defaults__`` it could rewrite for the rest of the process) refuses the file."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, path: str, size: int) -> None:
        super().__init__(file)
        self.path, self.size = path, size
        self.allowed = _allowed_globals()
        self.allowed[('torch.storage', '_load_from_bytes')] = self.load_storage
        rebuild = torch._utils._rebuild_tensor_v2
        reconstruct = np.ndarray((0, )).__reduce__()[0]
        self.allowed[('torch._utils', '_rebuild_tensor_v2')] = self._checked(
            rebuild, self.check_tensor)
        for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
            self.allowed[(module, '_reconstruct')] = self._checked(
                reconstruct, self.check_reconstruct)
        self.allowed[('_codecs', 'encode')] = self._checked(codecs.encode, self.check_encode)
        self.allowed[('numpy', 'dtype')] = self._checked(np.dtype, self.check_dtype)

    def refuse(self, what: str) -> ResultsFileError:
        return ResultsFileError(f'Refusing to read {self.path} ({self.size} bytes): {what}; '
                                f'the file is damaged or crafted; {WRITE_HINT}.')

    @staticmethod
    def _checked(func: Callable, check: Callable) -> Callable:
        def call(*args: Any) -> Any:
            check(*args)
            return func(*args)
        return call

    def check_tensor(self, storage: Any = None, offset: Any = None, size: Any = None,
                     stride: Any = None, requires_grad: Any = False, hooks: Any = None,
                     *rest: Any) -> None:
        if not isinstance(storage, (torch.TypedStorage, torch.UntypedStorage)) or type(
                offset) is not int or not _is_shape(size) or not _is_shape(stride) or (
                len(size) != len(stride)) or type(requires_grad) is not bool or hooks or rest:
            raise self.refuse('a tensor record is malformed')
        with warnings.catch_warnings():  # TypedStorage.size() warns that the class is deprecated
            warnings.simplefilter('ignore', UserWarning)
            have = storage.size() if isinstance(storage, torch.TypedStorage) else \
                storage.nbytes()
        if _numel(size) > have:  # stride 0 or overlapping: more elements than stored
            raise self.refuse(f'a tensor of shape {tuple(size)} views a storage of {have} '
                              'elements (stride 0 or overlapping strides): copying it would '
                              'allocate far more than the file holds')

    def check_reconstruct(self, cls: Any = None, shape: Any = None, *rest: Any) -> None:
        if cls is not np.ndarray or not _is_shape(shape) or _numel(shape) > 1:
            raise self.refuse('a numpy array record is malformed')

    def check_encode(self, text: Any = None, encoding: Any = None, *rest: Any) -> None:
        if type(text) is not str or encoding not in ('latin1', 'latin-1') or rest:
            raise self.refuse('a bytes record is malformed')

    def check_dtype(self, spec: Any = None, *rest: Any) -> None:
        if type(spec) is not str or len(spec) > 8 or not all(type(x) is bool for x in rest):
            raise self.refuse('a numpy dtype record is malformed')

    def load_build(self) -> None:
        state = self.stack.pop()
        inst = self.stack[-1]
        if type(inst) is np.ndarray and type(state) is tuple and len(state) == 5:
            _, shape, dtype, fortran, raw = state
            if (_is_shape(shape) and isinstance(dtype, np.dtype) and not dtype.hasobject
                    and type(fortran) is bool and type(raw) is bytes
                    and _numel(shape) * dtype.itemsize == len(raw)):
                inst.__setstate__(state)
                return
            raise self.refuse('a numpy array state is malformed (object arrays are not read)')
        if isinstance(inst, np.dtype) and type(state) is tuple and len(state) >= 5 and all(
                part is None for part in state[2:5]):
            inst.__setstate__(state)
            return
        if type(inst) is collections.OrderedDict and not state:
            return
        raise self.refuse(f'it sets the state of a {type(inst).__module__}.'
                          f'{type(inst).__qualname__} (pickle BUILD), which a results file never '
                          'does (it could change a live object of this process)')

    dispatch[pickle.BUILD[0]] = load_build

    def load_storage(self, data: bytes) -> Any:
        """A tensor storage as ``torch.save`` wrote it inside the pickle, read without code."""
        if type(data) is not bytes:
            raise self.refuse('a tensor storage record is malformed')
        try:
            check_pickled_bytes(data)
        except AllocationError as exc:
            raise self.refuse(f'a tensor storage in it is not plain tensor data ({exc})') from None
        try:
            return torch.load(io.BytesIO(data), weights_only=True)
        except Exception as exc:  # noqa: BLE001 - torch's text advises weights_only=False
            text = str(exc).split('WeightsUnpickler error:', 1)[-1]
            lines = [line.strip() for line in text.splitlines() if line.strip()
                     and not line.startswith(('Weights only load failed', 'Check the doc'))]
            detail = lines[0].split('. Please use')[0][:200] if lines else type(exc).__name__
            raise ResultsFileError(
                f'Refusing to read {self.path}: a tensor storage in it is not plain tensor data '
                f'({detail}); {WRITE_HINT}.') from exc

    def find_class(self, module: str, name: str) -> Any:
        found = self.allowed.get((module, name))
        if found is None:
            raise ResultsFileError(
                f'Refusing to read {self.path}: it pickles {module}.{name}, which could run '
                'code when unpickled. A results file holds only tensors, numpy arrays and '
                f'plain values; {WRITE_HINT}.')
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise ResultsFileError(f'Refusing to read {self.path}: it uses pickle persistent ids '
                               f'(a torch.save archive?), not a results file; {WRITE_HINT}.')


def _unpickle(path: str) -> Any:
    with open(path, 'rb') as f:
        head = f.read(4)
        f.seek(0)
        if head == b'PK\x03\x04':
            raise ResultsFileError(f'{path} is a torch.save zip archive (a checkpoint?), not a '
                                   f'results pickle; {WRITE_HINT}.')
        try:
            # parse the opcodes first (nothing is built): a truncated or damaged file is named
            # as such, not as the half name of a global it was cut in
            for _ in pickletools.genops(f):
                pass
            f.seek(0)
            return _ResultsUnpickler(f, path, osp.getsize(path)).load()
        except ResultsFileError:
            raise
        except Exception as exc:  # noqa: BLE001 - a damaged pickle fails in many ways
            raise ResultsFileError(
                f'Cannot read {path} ({osp.getsize(path)} bytes) as a results pickle: '
                f'{type(exc).__name__}: {str(exc)[:200]}. The file is truncated or not a '
                f'pickle; {WRITE_HINT}.') from exc


def _flatten(record: Dict[str, Any]) -> Dict[str, Any]:
    """A copy with MMClassification 1.x's nested labels as flat keys."""
    out = dict(record)
    for key, score_key in (('pred_label', 'pred_score'), ('gt_label', 'gt_score')):
        nested = record.get(key)
        if isinstance(nested, dict):
            out.pop(key)
            if nested.get('label') is not None:
                out[key] = nested['label']
            if nested.get('score') is not None and out.get(score_key) is None:
                out[score_key] = nested['score']
    return out


def _check_records(data: Any, path: str) -> List[Dict[str, Any]]:
    if isinstance(data, dict):
        shown = sorted(map(str, data))[:6]
        raise ResultsFileError(
            f'{path} holds one dict (keys {shown}), not per-image predictions: it was written '
            f'with --out-item metrics or by another tool; {WRITE_HINT}.')
    if not isinstance(data, (list, tuple)):
        raise ResultsFileError(f'{path} holds a {type(data).__name__}, not a list of per-image '
                               f'prediction dicts; {WRITE_HINT}.')
    if not data:
        raise ResultsFileError(f'{path} holds no predictions (an empty list): the test set was '
                               'empty.')
    records = []
    for index, record in enumerate(data):
        if not isinstance(record, dict):
            raise ResultsFileError(f'{path}: entry {index} is of type {type(record).__name__}, '
                                   f'not a prediction dict; {WRITE_HINT}.')
        record = _flatten(record)
        if record.get('pred_score') is None and record.get('pred_label') is None:
            raise ResultsFileError(
                f'{path}: entry {index} has no pred_score or pred_label (keys '
                f'{sorted(map(str, record))}); {WRITE_HINT}.')
        records.append(record)
    return records


def read_results(path: str) -> List[Dict[str, Any]]:
    """The per-image prediction records of a ``tools/test.py --out`` file.

    Args:
        path: a ``.pkl`` / ``.pickle`` (read with the restricted unpickler of this module) or a
            ``.json`` file.

    Returns:
        One new dict per image, in file order, with flat keys (``pred_score``, ``pred_label``,
        ``gt_label``, ``img_path``, ``sample_idx``, ... as far as the file has them; nested
        MMClassification 1.x labels flattened). Every record has ``pred_score`` or
        ``pred_label``.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ResultsFileError: a folder, an empty, truncated or foreign file, a pickle naming
            anything but tensors / arrays / plain values, metrics instead of predictions.
    """
    path = os.fspath(path)
    if not osp.exists(path):
        raise FileNotFoundError(f'Results file {path} does not exist; {WRITE_HINT}.')
    if osp.isdir(path):
        raise ResultsFileError(f'Results path {path} is a directory, not a file; {WRITE_HINT}.')
    if osp.getsize(path) == 0:
        raise ResultsFileError(f'Results file {path} is empty (0 bytes): the test run was '
                               f'interrupted; {WRITE_HINT}.')
    ext = osp.splitext(path)[1].lower()
    if ext == '.json':
        try:
            with open(path, encoding='utf-8') as f:
                data = json.load(f)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ResultsFileError(f'Cannot read {path} as JSON: {exc}.') from exc
    elif ext in PICKLE_EXTENSIONS:
        data = _unpickle(path)
    else:
        raise ResultsFileError(f'Results file {path} must end in .pkl, .pickle or .json; got '
                               f'{ext or "no extension"}.')
    return _check_records(data, path)


def read_pickle(path: str) -> Any:
    """Any pickle of tensors, numpy arrays and plain values (e.g. the confusion matrix that
    ``confusion_matrix.py --out cm.pkl`` writes), read with the restricted unpickler above.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ResultsFileError: the pickle names anything else, or is damaged.
    """
    path = os.fspath(path)
    if not osp.isfile(path):
        raise FileNotFoundError(f'Pickle file {path} does not exist.')
    return _unpickle(path)


__all__ = ['ResultsFileError', 'read_results', 'read_pickle']
