"""load_checkpoint: weights_only=True always, one clear error type for every bad file."""
import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmcls_convnext.zoo import (
    CheckpointError,
    CheckpointNotFoundError,
    ChecksumError,
    load_checkpoint,
)

from .conftest import write_hashed


def test_published_file_loads(tmp_path):
    path = tmp_path / 'ok.pth'
    torch.save({'state_dict': {'a': torch.ones(2)}, 'meta': {'dataset_meta': {'classes': ['x']}}},
               path)
    ckpt = load_checkpoint(str(path))
    assert torch.equal(ckpt['state_dict']['a'], torch.ones(2))
    assert ckpt['meta']['dataset_meta']['classes'] == ['x']


def test_missing_file(tmp_path):
    path = tmp_path / 'nope.pth'
    with pytest.raises(CheckpointNotFoundError, match=r'nope\.pth does not exist'):
        load_checkpoint(str(path))
    with pytest.raises(FileNotFoundError):  # also a FileNotFoundError ...
        load_checkpoint(str(path))
    with pytest.raises(ValueError):  # ... and a ValueError (CheckpointError)
        load_checkpoint(str(path))


def test_empty_file(tmp_path):
    path = tmp_path / 'empty.pth'
    path.write_bytes(b'')
    with pytest.raises(CheckpointError, match=r'empty\.pth is empty \(0 bytes\)'):
        load_checkpoint(str(path))


def test_truncated_file(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': {'a': torch.randn(1000)}}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    size = len(data) // 2
    with pytest.raises(CheckpointError,
                       match=rf'cut\.pth \({size} bytes\): it is a truncated or corrupt'):
        load_checkpoint(str(path))


def test_garbage_file(tmp_path):
    path = tmp_path / 'garbage.pth'
    path.write_bytes(b'this is not a checkpoint at all' * 10)
    with pytest.raises(CheckpointError, match=r'garbage\.pth \(310 bytes\): it is not a PyTorch '
                       r"checkpoint \(first bytes b'this'"):
        load_checkpoint(str(path))


def test_training_checkpoint_refused_with_publish_hint(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    hub = HistoryBuffer()
    hub.update(1.0)
    torch.save({'state_dict': {'a': torch.ones(1)}, 'message_hub': {'log': hub},
                'meta': {'seed': np.int64(3)}}, path)
    with pytest.raises(CheckpointError, match=r'(?s)Refusing to load .*epoch_3\.pth.*full training '
                       r'checkpoint.*mmengine.*publish_model\.py'):
        load_checkpoint(str(path))


def test_non_dict_checkpoint(tmp_path):
    path = tmp_path / 'tensor.pth'
    torch.save(torch.ones(3), path)
    with pytest.raises(CheckpointError, match=r'holds a Tensor, not a dict'):
        load_checkpoint(str(path))


def test_local_file_with_hash_in_name_is_verified(tmp_path):
    good = write_hashed(tmp_path, 'good')
    assert 'state_dict' in load_checkpoint(str(good))
    bad = write_hashed(tmp_path, 'bad', wrong_hash=True)
    with pytest.raises(ChecksumError, match=r'bad_20260101-[0-9a-f]{8}\.pth'):
        load_checkpoint(str(bad))


def test_type_error_for_non_path():
    with pytest.raises(TypeError, match='expects a path or URL string; got dict'):
        load_checkpoint({'state_dict': {}})


def test_numpy_values_in_meta_load_without_unsafe_unpickling(tmp_path):
    path = tmp_path / 'np_meta.pth'
    torch.save({'state_dict': {'a': torch.ones(1)},
                'meta': {'seed': np.int64(3), 'mean': np.zeros(3, dtype=np.float32)}}, path)
    ckpt = load_checkpoint(str(path))
    assert ckpt['meta']['seed'] == 3 and ckpt['meta']['mean'].shape == (3, )
