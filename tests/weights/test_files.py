"""read_weights_file: path or URL -> the package's one reading policy (see tests/checkpoint)."""
import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmcls_convnext.weights import (
    CheckpointError,
    CheckpointNotFoundError,
    ChecksumError,
    read_weights_file,
)

from .conftest import write_hashed


def test_published_file_loads(tmp_path):
    path = tmp_path / 'ok.pth'
    torch.save({'state_dict': {'a': torch.ones(2)}, 'meta': {'dataset_meta': {'classes': ['x']}}},
               path)
    ckpt = read_weights_file(str(path))
    assert torch.equal(ckpt['state_dict']['a'], torch.ones(2))
    assert ckpt['meta']['dataset_meta']['classes'] == ['x']


def test_missing_file_is_also_a_file_not_found_and_a_value_error(tmp_path):
    path = tmp_path / 'nope.pth'
    with pytest.raises(CheckpointNotFoundError, match=r'nope\.pth does not exist'):
        read_weights_file(str(path))
    with pytest.raises(FileNotFoundError):
        read_weights_file(str(path))
    with pytest.raises(ValueError):
        read_weights_file(str(path))


def test_mmengine_training_checkpoint_loads_without_running_code(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    hub = HistoryBuffer()
    hub.update(1.0)
    torch.save({'state_dict': {'a': torch.ones(1)}, 'message_hub': {'log': hub},
                'meta': {'seed': np.int64(3)}}, path)
    ckpt = read_weights_file(str(path))
    assert ckpt['meta']['seed'] == 3 and ckpt['message_hub']['log'].current() == 1.0


def test_unknown_pickled_objects_are_refused(tmp_path):
    path = tmp_path / 'odd.pth'
    torch.save({'state_dict': {}, 'meta': {'x': torch.nn.ReLU()}}, path)
    with pytest.raises(CheckpointError, match=r'Refusing to load .*odd\.pth .*pickles '
                       r'torch\.nn\.modules\.activation\.ReLU'):
        read_weights_file(str(path))


def test_local_file_with_hash_in_name_is_verified(tmp_path):
    good = write_hashed(tmp_path, 'good')
    assert 'state_dict' in read_weights_file(str(good))
    bad = write_hashed(tmp_path, 'bad', wrong_hash=True)
    with pytest.raises(ChecksumError, match=r'bad_20260101-[0-9a-f]{8}\.pth'):
        read_weights_file(str(bad))


def test_type_error_for_non_path():
    with pytest.raises(TypeError, match='expects a path or URL string; got dict'):
        read_weights_file({'state_dict': {}})
