"""What a pickled file may make us allocate, checked before the real unpickler runs.

A pickle is a program: a few bytes can ask for gigabytes (``bytearray(10**10)``,
``torch.FloatTensor(10**10)``, a tensor of a billion elements viewing one element with stride
0, a storage record declaring a billion elements, a zip member that inflates a thousandfold).
Before ``torch.load`` runs, the pickle is *dry-run* here: a pure-Python unpickler whose globals
are inert recorders (nothing is looked up, imported or called) walks every opcode and collects

- every integer passed to a call (``REDUCE``): none may exceed the file's own size in bytes;
- every storage record (persistent id ``('storage', type, key, location, numel)``): their
  bytes together may not exceed the file's own size.

A zip archive's members may not declare more than :data:`MAX_ZIP_EXPANSION` times the
archive's size uncompressed (``torch.save`` writes them stored: 1x). After loading,
:func:`check_tensor_sizes` refuses any tensor that views more elements than its storage holds
(stride 0 or overlapping strides), before anything copies it.

The bound is the file's own size: a genuine file holds every byte of its tensors, so nothing it
asks for is larger than itself.
"""
import io
import pickle
import zipfile
from typing import Any, Iterator, List, Optional, Tuple

import torch

#: a zip checkpoint's members may declare at most this many times the archive's size
#: uncompressed (torch.save stores them uncompressed: 1x)
MAX_ZIP_EXPANSION = 2


class AllocationError(ValueError):
    """A pickled file asks for more memory than its own size justifies (message: the gist)."""


class _Recorder:
    """Stands for any global of the dry-run; calling it records the arguments, nothing else."""

    __slots__ = ('name', 'args')

    def __init__(self, name: str, args: Tuple = ()) -> None:
        self.name, self.args = name, args

    def __call__(self, *args: Any) -> '_Recorder':
        return _Recorder(self.name + '()', args)

    # the container protocols the pickle opcodes use on the result of a call
    def __setitem__(self, key: Any, value: Any) -> None:
        pass

    def append(self, value: Any) -> None:
        pass

    def extend(self, values: Any) -> None:
        pass

    def add(self, value: Any) -> None:
        pass

    def __setstate__(self, state: Any) -> None:
        pass


def _ints(value: Any, depth: int = 0) -> Iterator[int]:
    if type(value) is int:
        yield value
    elif type(value) in (tuple, list) and depth < 3:
        for item in value:
            yield from _ints(item, depth + 1)


def _itemsize(storage_type: Any) -> int:
    """Bytes per element of a pickled storage type (``torch.FloatStorage``: 4)."""
    name = getattr(storage_type, 'name', '').rpartition('.')[2]
    if name == 'UntypedStorage':
        return 1
    for dtype, storage_name in torch.storage._dtype_to_storage_type_map().items():
        if storage_name == name:
            return torch.empty((), dtype=dtype).element_size()
    return 16  # unknown: the widest element


class _DryRun(pickle._Unpickler):
    """Pure-Python unpickler that resolves every global to a :class:`_Recorder`."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file: Any, limit: int) -> None:
        super().__init__(file)
        self.limit = limit
        self.storages = {}

    def find_class(self, module: str, name: str) -> _Recorder:
        return _Recorder(f'{module}.{name}')

    def persistent_load(self, pid: Any) -> _Recorder:
        if type(pid) is tuple and len(pid) >= 5 and pid[0] == 'storage':
            numel = pid[4]
            if type(numel) is not int or numel < 0:
                raise AllocationError(f'a storage record declares {numel!r} elements')
            self.storages[repr(pid[2])] = numel * _itemsize(pid[1])
            total = sum(self.storages.values())
            if total > self.limit:
                raise AllocationError(f'its storage records declare {total} bytes, more than '
                                      f'the {self.limit} bytes of the file')
        return _Recorder('storage')

    def load_reduce(self) -> None:
        args = self.stack.pop()
        func = self.stack[-1]
        for number in _ints(args):
            if abs(number) > self.limit:
                raise AllocationError(f'it calls {getattr(func, "name", "?")} with {number}, '
                                      f'more than the {self.limit} bytes of the file')
        self.stack[-1] = func(*args) if isinstance(func, _Recorder) else _Recorder('?')

    dispatch[pickle.REDUCE[0]] = load_reduce

    def load_build(self) -> None:
        self.stack.pop()  # state: recorded nowhere, applied to nothing

    dispatch[pickle.BUILD[0]] = load_build


def dry_run(stream: Any, limit: int, pickles: int = 1) -> None:
    """Dry-run up to ``pickles`` consecutive pickles read from the binary ``stream`` (torch's
    legacy stream holds several); raises :class:`AllocationError`. A stream that stops
    parsing ends the dry run (the real loader then fails on it the same way)."""
    for _ in range(pickles):
        try:
            _DryRun(stream, limit).load()
        except AllocationError:
            raise
        except Exception:  # noqa: BLE001 - not a pickle (any more): nothing to bound
            return


def check_pickled_file(path: str, size: int) -> None:
    """Bound everything ``torch.load(path)`` may allocate by the file's size (see the module
    doc); raises :class:`AllocationError`."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError):
        archive = None
    if archive is None:
        with open(path, 'rb') as f:
            if f.read(1) == b'\x80':  # a pickle stream (torch's legacy format: 5 pickles)
                f.seek(0)
                dry_run(f, size, pickles=5)
        return
    with archive:
        infos = archive.infolist()
        declared = sum(info.file_size for info in infos)
        cap = MAX_ZIP_EXPANSION * size
        if declared > cap:
            biggest = max(infos, key=lambda info: info.file_size)
            raise AllocationError(
                f'its zip members declare {declared} bytes uncompressed ({biggest.filename}: '
                f'{biggest.file_size}), more than {MAX_ZIP_EXPANSION}x the {size} bytes of the '
                'archive (torch.save stores members uncompressed; a deflate bomb?)')
        for info in infos:
            if info.filename.endswith('data.pkl'):
                try:
                    stream = archive.open(info)
                except Exception:  # noqa: BLE001 - damaged: torch.load reports it
                    continue
                with stream:
                    dry_run(stream, size)


def check_pickled_bytes(data: bytes) -> None:
    """:func:`check_pickled_file` for a ``torch.save`` stream held in memory (e.g. a tensor
    storage inside a results pickle); the bound is ``len(data)``."""
    dry_run(io.BytesIO(data), len(data), pickles=5)


def oversized_tensors(value: Any, where: str = 'checkpoint',
                      found: Optional[List[str]] = None, depth: int = 0) -> List[str]:
    """Paths of tensors in ``value`` that view more bytes than their storage holds."""
    found = [] if found is None else found
    if depth > 100 or len(found) >= 3:
        return found
    if isinstance(value, torch.Tensor):
        if value.layout == torch.strided and value.device.type != 'meta':
            need = value.numel() * value.element_size()
            have = value.untyped_storage().nbytes()
            if need > have:
                found.append(f'{where} (shape {tuple(value.shape)}, stride {value.stride()}: '
                             f'{need} bytes viewing a {have}-byte storage)')
    elif isinstance(value, dict):
        for key, item in value.items():
            oversized_tensors(item, f'{where}[{key!r}]', found, depth + 1)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            oversized_tensors(item, f'{where}[{index}]', found, depth + 1)
    return found


def check_tensor_sizes(value: Any, where: str = 'checkpoint') -> None:
    """Raise :class:`AllocationError` for a tensor viewing more than its storage (stride 0)."""
    found = oversized_tensors(value, where)
    if found:
        raise AllocationError(f'tensor {found[0]} repeats its data (stride 0 or overlapping '
                              'strides): copying it would allocate far more than the file '
                              'holds')
