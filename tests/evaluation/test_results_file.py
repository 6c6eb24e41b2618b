"""read_results: the records tools/test.py --out writes (and MMClassification 1.x's), read
without running code; everything else refused with a message naming the file."""
import json
import os
import pickle

import numpy as np
import pytest
import torch
from mmengine.fileio import dump

from mmcls_convnext.evaluation import ResultsFileError, read_results
from mmcls_convnext.structures import DataSample


def _samples(n=3):
    scores = torch.tensor([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.2, 0.5, 0.3]])[:n]
    batch = scores.clone()  # a test batch: each record's score is a view into one storage
    samples = []
    for i in range(n):
        sample = DataSample(metainfo=dict(img_path=f'/data/{i}.png', sample_idx=i))
        sample.set_gt_label(i % 3).set_pred_score(batch[i]).set_pred_label(batch[i].argmax())
        samples.append(sample.to_dict())
    return samples


def test_reads_what_dump_results_writes(tmp_path):
    path = tmp_path / 'results.pkl'
    dump(_samples(), str(path))  # what mmengine's DumpResults (tools/test.py --out) does
    records = read_results(str(path))
    assert [r['img_path'] for r in records] == ['/data/0.png', '/data/1.png', '/data/2.png']
    assert torch.equal(records[1]['pred_score'], torch.tensor([0.1, 0.3, 0.6]))
    assert [int(r['gt_label'][0]) for r in records] == [0, 1, 2]
    assert [int(r['pred_label'][0]) for r in records] == [0, 2, 1]


def test_mmcls1x_nested_labels_are_flattened(tmp_path):
    nested = [{'img_path': 'a.png', 'gt_label': {'label': torch.tensor([2])},
               'pred_label': {'label': torch.tensor([1]), 'score': torch.tensor([.1, .6, .3])}}]
    path = tmp_path / 'old.pkl'
    with open(path, 'wb') as f:
        pickle.dump(nested, f, protocol=4)
    (record, ) = read_results(str(path))
    assert int(record['gt_label'][0]) == 2 and int(record['pred_label'][0]) == 1
    assert torch.equal(record['pred_score'], torch.tensor([.1, .6, .3]))


def test_numpy_values_and_json(tmp_path):
    arrays = [{'pred_score': np.array([.2, .8], np.float32), 'gt_label': np.int64(1),
               'tags': {'a', 'b'}}]
    path = tmp_path / 'np.pkl'
    with open(path, 'wb') as f:
        pickle.dump(arrays, f, protocol=2)
    (record, ) = read_results(str(path))
    np.testing.assert_array_equal(record['pred_score'], np.array([.2, .8], np.float32))
    assert record['gt_label'] == 1 and record['tags'] == {'a', 'b'}
    (tmp_path / 'r.json').write_text(json.dumps([{'pred_score': [.2, .8], 'gt_label': [1]}]))
    assert read_results(str(tmp_path / 'r.json')) == [{'pred_score': [.2, .8], 'gt_label': [1]}]


class _Payload:
    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def test_code_in_a_pickle_is_refused_unrun(tmp_path):
    payload = _Payload()
    payload.marker = tmp_path / 'ran'
    path = tmp_path / 'evil.pkl'
    path.write_bytes(pickle.dumps([{'pred_score': payload}]))
    with pytest.raises(ResultsFileError, match=r'Refusing to read .*evil\.pkl: it pickles '
                       r'posix\.system, which could run code'):
        read_results(str(path))
    assert not payload.marker.exists()


@pytest.mark.parametrize('content, message', [
    (b'', r'is empty \(0 bytes\)'),
    (b'garbage, not a pickle', r'Cannot read .* \(21 bytes\) as a results pickle'),
])
def test_garbage_and_empty_files(tmp_path, content, message):
    (tmp_path / 'r.pkl').write_bytes(content)
    with pytest.raises(ResultsFileError, match=message):
        read_results(str(tmp_path / 'r.pkl'))


def test_truncated_pickle(tmp_path):
    dump(_samples(), str(tmp_path / 'full.pkl'))
    data = (tmp_path / 'full.pkl').read_bytes()
    (tmp_path / 'cut.pkl').write_bytes(data[:len(data) // 2])
    with pytest.raises(ResultsFileError, match=r'cut\.pkl .* truncated or not a pickle'):
        read_results(str(tmp_path / 'cut.pkl'))


def test_checkpoint_is_not_a_results_file(tmp_path):
    torch.save({'state_dict': {}}, tmp_path / 'epoch_1.pkl')
    with pytest.raises(ResultsFileError, match='torch.save zip archive'):
        read_results(str(tmp_path / 'epoch_1.pkl'))


@pytest.mark.parametrize('data, message', [
    ({'accuracy/top1': 91.0}, r"holds one dict \(keys \['accuracy/top1'\]\), not per-image "
     r'predictions: it was written with --out-item metrics'),
    ([], 'holds no predictions'),
    ('text', 'holds a str, not a list'),
    ([{'pred_score': [1.]}, 3], 'entry 1 is of type int, not a prediction dict'),
    ([{'gt_label': [1]}], r"entry 0 has no pred_score or pred_label \(keys \['gt_label'\]\)"),
])
def test_wrong_structure(tmp_path, data, message):
    dump(data, str(tmp_path / 'r.pkl'))
    with pytest.raises(ResultsFileError, match=message):
        read_results(str(tmp_path / 'r.pkl'))


def test_missing_folder_and_extension(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'nope\.pkl does not exist; write it with '
                       'tools/test.py'):
        read_results(str(tmp_path / 'nope.pkl'))
    with pytest.raises(ResultsFileError, match='is a directory'):
        read_results(str(tmp_path))
    (tmp_path / 'r.yaml').write_text('- 1')
    with pytest.raises(ResultsFileError, match=r'must end in \.pkl, \.pickle or \.json; got '
                       r'\.yaml'):
        read_results(str(tmp_path / 'r.yaml'))


def test_the_crafted_checkpoint_corpus_is_refused_unrun(tmp_path):
    """Every payload that runs code under plain pickle (tests/checkpoint/crafted.py), as a bare
    pickle, in torch's legacy stream and hidden in a tensor storage's bytes."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from checkpoint.crafted import CONTAINERS, PAYLOADS, _pickle, wait_for

    marker = tmp_path / 'MARKER'
    for name, build in PAYLOADS.items():
        payload = _pickle(build(marker))
        legacy = CONTAINERS['legacy'](payload)
        in_storage = pickle.dumps([{'pred_score': _Storage(legacy)}], protocol=2)
        for kind, data in (('pickle', payload), ('legacy', legacy), ('storage', in_storage)):
            path = tmp_path / f'{name}-{kind}.pkl'
            path.write_bytes(data)
            with pytest.raises(ResultsFileError, match=f'{name}-{kind}.pkl') as refused:
                read_results(str(path))
            if kind == 'storage':
                assert 'a tensor storage in it is not plain tensor data (' in str(refused.value)
            assert 'weights_only' not in str(refused.value)  # no advice to switch it off
    assert not wait_for(marker, 0.3), 'a crafted results file ran code'


class _Storage:
    """Pickles as ``torch.storage._load_from_bytes(data)``, the call a tensor storage makes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __reduce__(self):
        from torch.storage import _load_from_bytes
        return _load_from_bytes, (self.data, )


def _crafted_helpers():
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from checkpoint import crafted
    return crafted


def test_a_results_pickle_cannot_change_a_live_function(tmp_path):
    """Issue 20, finding 3: a BUILD with slot state on the real torch._utils._rebuild_tensor_v2
    would set its ``__defaults__`` for the rest of the process; it is refused, and torch still
    loads weights unchanged afterwards."""
    c = _crafted_helpers()
    before = torch._utils._rebuild_tensor_v2.__defaults__
    slots = b'}' + c._str('__defaults__') + c._tuple(b'\x88') + b's'  # {'__defaults__': (True,)}
    plant = c._global('torch._utils', '_rebuild_tensor_v2') + c._tuple(b'N', slots) + b'b0'
    genuine = pickle.dumps(_samples(1), protocol=2)
    path = tmp_path / 'planted.pkl'
    path.write_bytes(genuine[:2] + plant + genuine[2:])
    weights = tmp_path / 'w.pth'
    torch.save({'w': torch.arange(4.)}, weights)
    try:
        with pytest.raises(ResultsFileError, match=r'Refusing to read .*planted\.pkl \(\d+ bytes'
                           r'\): it sets the state of a builtins\.function \(pickle BUILD\)'):
            read_results(str(path))
        assert torch._utils._rebuild_tensor_v2.__defaults__ == before
        assert torch.load(weights, weights_only=True)['w'].tolist() == [0., 1., 2., 3.]
    finally:
        torch._utils._rebuild_tensor_v2.__defaults__ = before


def test_build_on_a_set_is_refused(tmp_path):
    c = _crafted_helpers()
    path = tmp_path / 'set.pkl'
    path.write_bytes(c._pickle(c._call(c._global('builtins', 'set'), b']')
                               + c._tuple(b'N', b'}' + c._str('x') + b'K\x01s') + b'b'))
    with pytest.raises(ResultsFileError, match=r'sets the state of a builtins\.set'):
        read_results(str(path))


def test_a_stride0_score_is_refused(tmp_path):
    """Issue 20, finding 4: 1e9 scores viewing one stored float (a 4 GB copy downstream)."""
    path = tmp_path / 'stride0.pkl'
    path.write_bytes(pickle.dumps([{'pred_score': torch.zeros(1).expand(10 ** 9)}], protocol=2))
    assert path.stat().st_size < 2000
    with pytest.raises(ResultsFileError, match=r'stride0\.pkl \(\d+ bytes\): a tensor of shape '
                       r'\(1000000000,\) views a storage of 1 elements \(stride 0'):
        read_results(str(path))


def test_results_records_asking_for_gigabytes_are_refused_unallocated(tmp_path):
    """A numpy record and a tensor-storage record declaring 10**10 elements, read under a
    1 GiB address-space cap (the unfixed reader allocated them)."""
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bounded import run_bounded

    c = _crafted_helpers()
    big = pickle.dumps(10 ** 10, protocol=2)[2:-1]
    reconstruct = c._call(c._global('numpy.core.multiarray', '_reconstruct'),
                          c._global('numpy', 'ndarray'), c._tuple(big), c._str('b'))
    (tmp_path / 'array.pkl').write_bytes(c._pickle(b']' + b'}' + c._str('pred_score')
                                                   + reconstruct + b's' + b'a'))
    pid = c._tuple(c._str('storage'), c._global('torch', 'FloatStorage'), c._str('0'),
                   c._str('cpu'), big, b'N')
    storage = c.CONTAINERS['legacy'](c._pickle(pid + b'Q'))
    (tmp_path / 'storage.pkl').write_bytes(
        pickle.dumps([{'pred_score': _Storage(storage)}], protocol=2))
    results = run_bounded('from mmcls_convnext.evaluation import read_results', f'''
for name in ('array.pkl', 'storage.pkl'):
    results.append(outcome(read_results, {str(tmp_path)!r} + '/' + name))
''')
    for name, result in zip(('array.pkl', 'storage.pkl'), results):
        assert result['type'] == 'ResultsFileError', (name, result)
        assert result['message'].startswith(f'Refusing to read {tmp_path}/{name} ('), result
    assert 'a numpy array record is malformed' in results[0]['message']
    assert 'storage records declare 40000000000 bytes' in results[1]['message']
