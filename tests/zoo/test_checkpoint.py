"""zoo.load_checkpoint: path or URL -> the package's one reading policy (see tests/checkpoint)."""
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


def test_missing_file_is_also_a_file_not_found_and_a_value_error(tmp_path):
    path = tmp_path / 'nope.pth'
    with pytest.raises(CheckpointNotFoundError, match=r'nope\.pth does not exist'):
        load_checkpoint(str(path))
    with pytest.raises(FileNotFoundError):
        load_checkpoint(str(path))
    with pytest.raises(ValueError):
        load_checkpoint(str(path))


def test_mmengine_training_checkpoint_loads_without_running_code(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    hub = HistoryBuffer()
    hub.update(1.0)
    torch.save({'state_dict': {'a': torch.ones(1)}, 'message_hub': {'log': hub},
                'meta': {'seed': np.int64(3)}}, path)
    ckpt = load_checkpoint(str(path))
    assert ckpt['meta']['seed'] == 3 and ckpt['message_hub']['log'].current() == 1.0


def test_unknown_pickled_objects_are_refused(tmp_path):
    path = tmp_path / 'odd.pth'
    torch.save({'state_dict': {}, 'meta': {'x': torch.nn.ReLU()}}, path)
    with pytest.raises(CheckpointError, match=r'Refusing to load .*odd\.pth .*pickles '
                       r'torch\.nn\.modules\.activation\.ReLU'):
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
