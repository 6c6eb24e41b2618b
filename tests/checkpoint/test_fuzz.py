"""Random mutations of real checkpoint files: only the product's own error type may escape.

Sources: a checkpoint written by ``ClsRunner.save_checkpoint`` (plain data), a native mmengine
training checkpoint (read through the inert stand-ins) and torch's legacy non-zip format.
Mutations: byte overwrites anywhere in the file, truncation, and byte overwrites / insertions /
deletions inside the pickle with the zip archive rebuilt around it (valid CRCs, so the
unpickler, not the archive check, sees the damage). Deterministic: one seed per case.
"""
import io
import random
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
import torch

from mmcls_convnext.checkpoint import CheckpointError, read_checkpoint
from mmcls_convnext.weights import load_model_weights

from .helpers import mmengine_native_checkpoint

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / 'engine'))
from tiny_run import build_runner  # noqa: E402

CASES_PER_SOURCE_AND_KIND = 60
KINDS = ('overwrite', 'truncate', 'pickle-overwrite', 'pickle-splice')


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    """{name: (bytes, model the weights fit)}."""
    tmp = tmp_path_factory.mktemp('fuzz')
    runner = build_runner(tmp, name='fuzz', per_class=1)
    runner.train()  # one iteration; epoch_1.pth: meta, state_dict, message_hub, optimizer, ...
    (tmp / 'run.pth').write_bytes((tmp / 'fuzz' / 'epoch_1.pth').read_bytes())
    model = runner.model
    native = mmengine_native_checkpoint()
    native['state_dict'] = model.state_dict()
    torch.save(native, tmp / 'native.pth')
    torch.save({'state_dict': model.state_dict()}, tmp / 'legacy.pth',
               _use_new_zipfile_serialization=False)
    return {name: ((tmp / f'{name}.pth').read_bytes(), model)
            for name in ('run', 'native', 'legacy')}


def _rezip(data: bytes, mutate) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, 'w', zipfile.ZIP_STORED) as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info.filename, mutate(body) if info.filename.endswith('data.pkl')
                         else body)
    return out.getvalue()


def _overwrite(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        buf[rng.randrange(len(buf))] = rng.randrange(256)
    return bytes(buf)


def _splice(data: bytes, rng: random.Random) -> bytes:
    pos = rng.randrange(len(data))
    if rng.random() < 0.5:
        return data[:pos] + bytes([rng.randrange(256)]) + data[pos:]
    return data[:pos] + data[pos + rng.randint(1, 4):]


def mutate(data: bytes, kind: str, rng: random.Random) -> bytes:
    if kind == 'overwrite':
        return _overwrite(data, rng)
    if kind == 'truncate':
        return data[:rng.randrange(len(data))]
    if not data.startswith(b'PK'):  # the legacy format is one pickle stream already
        return _overwrite(data, rng) if kind == 'pickle-overwrite' else _splice(data, rng)
    if kind == 'pickle-overwrite':
        return _rezip(data, lambda body: _overwrite(body, rng))
    return _rezip(data, lambda body: _splice(body, rng))


@pytest.mark.parametrize('kind', KINDS)
@pytest.mark.parametrize('source', ['run', 'native', 'legacy'])
def test_mutated_checkpoints_raise_only_checkpoint_error(sources, tmp_path, source, kind):
    data, model = sources[source]
    outcomes = {'loaded': 0, 'refused': 0}
    for case in range(CASES_PER_SOURCE_AND_KIND):
        rng = random.Random(f'{source}-{kind}-{case}')
        path = tmp_path / f'{case}.pth'
        path.write_bytes(mutate(data, kind, rng))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                checkpoint = read_checkpoint(path)
                load_model_weights(model, checkpoint, allow_head_mismatch=True,
                                   source=str(path))
            outcomes['loaded'] += 1
        except CheckpointError as exc:
            assert str(path) in str(exc) or 'given checkpoint' in str(exc)
            outcomes['refused'] += 1
    assert outcomes['refused'] > 0  # the mutations do damage files
    assert sum(outcomes.values()) == CASES_PER_SOURCE_AND_KIND


def test_fuzz_iterations():
    assert len(KINDS) * 3 * CASES_PER_SOURCE_AND_KIND == 720
