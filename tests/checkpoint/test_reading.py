"""read_checkpoint: one policy (weights_only=True, never False) and one clear error type."""
import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmcls_convnext.checkpoint import (
    CheckpointError,
    CheckpointNotFoundError,
    ChecksumError,
    read_checkpoint,
)

from .helpers import mmengine_native_checkpoint, replace_in_pickle


def test_plain_file_loads(tmp_path):
    path = tmp_path / 'ok.pth'
    torch.save({'state_dict': {'a': torch.ones(2)}, 'meta': {'classes': ['x']}}, path)
    ckpt = read_checkpoint(path)
    assert torch.equal(ckpt['state_dict']['a'], torch.ones(2))


def test_mmengine_native_checkpoint_loads_through_inert_stand_ins(tmp_path):
    path = tmp_path / 'epoch_3.pth'
    torch.save(mmengine_native_checkpoint(), path)
    with pytest.raises(Exception, match='Weights only load failed'):
        torch.load(path, weights_only=True)  # torch alone refuses it ...
    ckpt = read_checkpoint(path)  # ... we read it without allowing any real callable
    buffer = ckpt['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer) and buffer.current() == 0.5
    assert ckpt['meta']['seed'] == 7
    np.testing.assert_array_equal(ckpt['message_hub']['runtime_info']['mean'], np.arange(3))
    assert ckpt['rng'][1].dtype == np.uint32 and ckpt['rng'][1].shape == (624, )


@pytest.mark.parametrize('written_by', ['numpy 1.x', 'numpy 2.x'])
def test_files_of_either_numpy_major_version_are_read(tmp_path, written_by):
    path = tmp_path / 'numpy_meta.pth'
    torch.save({'state_dict': {'a': torch.ones(1)},
                'meta': {'seed': np.int64(3), 'mean': np.zeros(3, dtype=np.float32)}}, path)
    module = b'numpy.core.multiarray' if written_by == 'numpy 1.x' else b'numpy._core.multiarray'
    other = b'numpy._core.multiarray' if module == b'numpy.core.multiarray' else \
        b'numpy.core.multiarray'
    if other in _pickle_bytes(path):  # written by the other major version: rename
        replace_in_pickle(path, other, module)
    assert f'{module.decode()}._reconstruct' in \
        torch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    ckpt = read_checkpoint(path)
    assert ckpt['meta']['seed'] == 3 and ckpt['meta']['mean'].shape == (3, )


@pytest.mark.parametrize('value, problem', [
    (np.array([1, 'a'], dtype=object), 'malformed numpy array state'),
    (np.zeros(2, dtype=[('a', 'i4'), ('b', 'f4')]), 'is not a plain numeric dtype'),
])
def test_numpy_objects_outside_plain_numbers_are_refused(tmp_path, value, problem):
    path = tmp_path / 'odd.pth'
    torch.save({'state_dict': {}, 'meta': {'x': value}}, path)
    with pytest.raises(CheckpointError, match=rf'odd\.pth .*names of an mmengine training '
                       rf'checkpoint.*{problem}.*damaged or crafted'):
        read_checkpoint(path)


def _pickle_bytes(path) -> bytes:
    import zipfile
    with zipfile.ZipFile(path) as archive:
        return archive.read(next(n for n in archive.namelist() if n.endswith('data.pkl')))


def test_missing_file(tmp_path):
    path = tmp_path / 'nope.pth'
    with pytest.raises(CheckpointNotFoundError, match=r'nope\.pth does not exist'):
        read_checkpoint(path)


def test_empty_file(tmp_path):
    path = tmp_path / 'empty.pth'
    path.write_bytes(b'')
    with pytest.raises(CheckpointError, match=r'empty\.pth is empty \(0 bytes\)'):
        read_checkpoint(path)


def test_truncated_file(tmp_path):
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': {'a': torch.randn(1000)}}, path)
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointError, match=rf'cut\.pth \({len(data) // 2} bytes\): it is a '
                       'truncated or corrupt torch.save zip archive'):
        read_checkpoint(path)


def test_garbage_file(tmp_path):
    path = tmp_path / 'garbage.pth'
    path.write_bytes(b'this is not a checkpoint at all' * 10)
    with pytest.raises(CheckpointError, match=r'garbage\.pth \(310 bytes\): it is not a PyTorch '
                       r"checkpoint \(first bytes b'this'"):
        read_checkpoint(path)


def test_whole_pickled_model_is_refused_with_a_hint(tmp_path):
    path = tmp_path / 'model.pth'
    torch.save(torch.nn.Linear(2, 2), path)
    with pytest.raises(CheckpointError, match=r'Refusing to load .*model\.pth \(\d+ bytes\): it '
                       r'pickles torch\.nn\.modules\.linear\.Linear, which could run arbitrary '
                       r'code.*save model\.state_dict\(\) instead'):
        read_checkpoint(path)


def test_non_dict_checkpoint(tmp_path):
    path = tmp_path / 'tensor.pth'
    torch.save(torch.ones(3), path)
    with pytest.raises(CheckpointError, match=r'holds a Tensor, not a dict'):
        read_checkpoint(path)


def test_malformed_plain_tag_is_a_checkpoint_error(tmp_path):
    path = tmp_path / 'tag.pth'
    torch.save({'message_hub': {'__history_buffer__': True, 'log': 1}}, path)
    with pytest.raises(CheckpointError, match=r'tag\.pth .*a tagged value is malformed'):
        read_checkpoint(path)


def test_hash_in_name_is_verified(tmp_path):
    path = tmp_path / 'w_20260101-00000000.pth'
    torch.save({'state_dict': {}}, path)
    with pytest.raises(ChecksumError, match=r'w_20260101-00000000\.pth: its name says sha256 '
                       'starts with 00000000'):
        read_checkpoint(path)
    assert read_checkpoint(path, hash_verified=True) == {'state_dict': {}}


def test_hugging_face_folder_points_at_the_file_inside(tmp_path):
    folder = tmp_path / 'convnext-tiny-224'
    folder.mkdir()
    (folder / 'config.json').write_text('{}')
    (folder / 'model.safetensors').write_bytes(b'x')
    with pytest.raises(CheckpointError, match=r'convnext-tiny-224 is a directory, not a '
                       r'checkpoint file: it looks like a Hugging Face / timm save_pretrained '
                       r'folder holding model\.safetensors\. Convert the weights .* with '
                       r'`python tools/model_converters/convnext_to_mmcls\.py '
                       r'.*convnext-tiny-224/model\.safetensors OUT\.pth`'):
        read_checkpoint(folder)


def test_safetensors_file(tmp_path):
    pytest.importorskip('safetensors')
    from safetensors.torch import save_file
    save_file({'w': torch.arange(3.)}, str(tmp_path / 'model.safetensors'))
    assert read_checkpoint(tmp_path / 'model.safetensors')['w'].tolist() == [0., 1., 2.]
    (tmp_path / 'bad.safetensors').write_bytes(b'\x08' + b'\x00' * 7 + b'{garbage')
    with pytest.raises(CheckpointError, match=r'bad\.safetensors \(16 bytes\) as safetensors'):
        read_checkpoint(tmp_path / 'bad.safetensors')


def test_folder_without_weights_lists_what_it_holds(tmp_path):
    (tmp_path / 'run').mkdir()
    (tmp_path / 'run' / 'epoch_3.pth').write_bytes(b'x')
    with pytest.raises(CheckpointError, match=r"run is a directory, not a checkpoint file\. "
                       r"Checkpoint files in it: \['epoch_3\.pth'\]\."):
        read_checkpoint(tmp_path / 'run')
    (tmp_path / 'empty').mkdir()
    with pytest.raises(CheckpointError, match=r'empty is a directory, not a checkpoint file\. It '
                       r'holds no checkpoint file\.'):
        read_checkpoint(tmp_path / 'empty')


def test_intact_archive_with_a_damaged_pickle(tmp_path):
    path = tmp_path / 'bad_pickle.pth'
    torch.save({'state_dict': {'a': torch.ones(1)}}, path)
    replace_in_pickle(path, b'state_dict', b'state\x00dic\xff')
    with pytest.raises(CheckpointError, match=r'bad_pickle\.pth \(\d+ bytes\): it is a torch\.save '
                       r'archive whose pickle is damaged \('):
        read_checkpoint(path)


def test_safetensors_needs_its_package(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, 'safetensors.torch', None)  # as if not installed
    (tmp_path / 'model.safetensors').write_bytes(b'x' * 16)
    with pytest.raises(CheckpointError, match=r'Reading .*model\.safetensors needs the '
                       r'safetensors package: `pip install safetensors`'):
        read_checkpoint(tmp_path / 'model.safetensors')
