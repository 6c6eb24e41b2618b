"""Small crafted checkpoints that ask for gigabytes are refused before anything is allocated
(issue 20, finding 4): each is read in a subprocess whose address space is capped at its
imports plus 1 GiB, so the unfixed reader fails with MemoryError instead of eating the machine.
"""
import io
import pickle
import sys
import zipfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bounded import run_bounded  # noqa: E402

from checkpoint.crafted import CONTAINERS, _call, _global, _pickle, _str, _tuple  # noqa: E402

BIG = 10 ** 10  # 10 GB, far above the 1 GiB cap


def _int(number: int) -> bytes:
    return pickle.dumps(number, protocol=2)[2:-1]


def _bytearray_pickle() -> bytes:
    """{'state_dict': {}, 'meta': bytearray(10**10)}: builtins.bytearray is in torch's own
    weights_only allow-list."""
    return _pickle(b'}' + _str('state_dict') + b'}' + _str('meta')
                   + _call(_global('builtins', 'bytearray'), _int(BIG)) + b'u')


def _legacy_numel_pickle() -> bytes:
    """A legacy-stream object whose storage record declares 10**10 float elements."""
    pid = _tuple(_str('storage'), _global('torch', 'FloatStorage'), _str('0'), _str('cpu'),
                 _int(BIG))
    tensor = _call(_global('torch._utils', '_rebuild_tensor_v2'), pid + b'Q', _int(0),
                   _tuple(_int(1)), _tuple(_int(1)), b'\x89',
                   _call(_global('collections', 'OrderedDict')))
    return _pickle(b'}' + _str('w') + tensor + b's')


def _deflate_bomb(path: Path) -> None:
    genuine = io.BytesIO()
    torch.save({'state_dict': {'w': torch.zeros(8 * 2 ** 20)}}, genuine)  # 32 MB of zeros
    genuine.seek(0)
    with zipfile.ZipFile(genuine) as src, zipfile.ZipFile(path, 'w',
                                                          zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))


def test_checkpoints_asking_for_gigabytes_are_refused_unallocated(tmp_path):
    files = {}
    files['bytearray-zip'] = CONTAINERS['zip'](_bytearray_pickle())
    files['bytearray-legacy'] = CONTAINERS['legacy'](_bytearray_pickle())
    files['numel-legacy'] = CONTAINERS['legacy'](_legacy_numel_pickle())
    for name, data in files.items():
        (tmp_path / f'{name}.pth').write_bytes(data)
    stride0 = torch.zeros(1).expand(2 ** 31)  # 8 GiB viewing 4 bytes: torch.save keeps it so
    torch.save({'state_dict': {'w': stride0}}, tmp_path / 'stride0-weights.pth')
    torch.save({'message_hub': {'log_scalars': {'loss': {
        '__history_buffer__': True, 'max_length': 10, 'log': stride0, 'count': stride0}}}},
        tmp_path / 'stride0-buffer.pth')
    _deflate_bomb(tmp_path / 'deflate-bomb.pth')
    names = sorted(p.name for p in tmp_path.iterdir())
    assert all((tmp_path / n).stat().st_size < 200_000 for n in names)
    results = run_bounded(
        'from mmcls_convnext.checkpoint import read_checkpoint',
        f'for name in {names!r}:\n'
        f'    results.append(outcome(read_checkpoint, {str(tmp_path)!r} + "/" + name))\n')
    for name, result in zip(names, results):
        assert result['type'] == 'CheckpointError', (name, result)
        message = result['message']
        assert message.startswith(f'Refusing to read checkpoint {tmp_path}/{name} ('), message
        assert 'never asks for more memory than its own size' in message, message
    by_name = dict(zip(names, (r['message'] for r in results)))
    assert 'it calls builtins.bytearray with 10000000000' in by_name['bytearray-zip.pth']
    assert 'storage records declare 40000000000 bytes' in by_name['numel-legacy.pth']
    assert 'deflate bomb' in by_name['deflate-bomb.pth']
    assert 'torch._utils._rebuild_tensor_v2 with 2147483648' in by_name['stride0-buffer.pth']


def test_a_genuine_view_sharing_a_storage_is_read(tmp_path):
    """Views a real training state holds (rows of one batch, a transposed weight) still load."""
    from mmcls_convnext.checkpoint import read_checkpoint
    base = torch.arange(12.).reshape(3, 4)
    torch.save({'state_dict': {'row': base[1], 't': base.t(), 'all': base}}, tmp_path / 'v.pth')
    back = read_checkpoint(tmp_path / 'v.pth')['state_dict']
    assert back['row'].tolist() == [4., 5., 6., 7.]
    assert back['t'].tolist() == base.t().tolist()


def test_a_stride0_tensor_within_the_file_size_is_refused_after_loading(tmp_path):
    """Small enough for the dry run's bound, but it still views its storage 1000 times."""
    from mmcls_convnext.checkpoint import CheckpointError, read_checkpoint
    torch.save({'state_dict': {'w': torch.zeros(1).expand(1000)}}, tmp_path / 's.pth')
    import pytest
    with pytest.raises(CheckpointError, match=r"tensor checkpoint\['state_dict'\]\['w'\] "
                       r'\(shape \(1000,\), stride \(0,\): 4000 bytes viewing a 4-byte '
                       r'storage\) repeats its data'):
        read_checkpoint(tmp_path / 's.pth')
