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
"""
import codecs
import collections
import io
import json
import os
import os.path as osp
import pickle
from typing import Any, Callable, Dict, List, Tuple

import numpy as np
import torch

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


class _ResultsUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that resolves only :func:`_allowed_globals`."""

    def __init__(self, file, path: str) -> None:
        super().__init__(file)
        self.path = path
        self.allowed = _allowed_globals()
        self.allowed[('torch.storage', '_load_from_bytes')] = self.load_storage

    def load_storage(self, data: bytes) -> Any:
        """A tensor storage as ``torch.save`` wrote it inside the pickle, read without code."""
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
            return _ResultsUnpickler(f, path).load()
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
