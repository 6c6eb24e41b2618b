"""Training state as plain data: saved without callables, restored to mmengine objects."""
import functools
import random
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmcls_convnext.checkpoint import from_plain, read_checkpoint, to_plain

from .helpers import mmengine_native_checkpoint


def _globals(path):
    return torch.serialization.get_unsafe_globals_in_checkpoint(str(path))


def test_native_training_state_becomes_plain_and_comes_back(tmp_path):
    native = mmengine_native_checkpoint()
    path = tmp_path / 'epoch_1.pth'
    torch.save(native, path)
    assert set(_globals(path)) >= {'builtins.getattr',
                                   'mmengine.logging.history_buffer.HistoryBuffer'}
    plain, dropped = to_plain(native)
    assert dropped == []
    torch.save(plain, path)
    assert _globals(path) == []  # loads with a plain weights_only=True: no allow-list at all
    torch.load(path, weights_only=True)
    back = read_checkpoint(path)
    buffer = back['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(0.7) and buffer.current() == 0.5
    info = back['message_hub']['runtime_info']
    assert info['seed'] == 7 and type(info['seed']) is int
    np.testing.assert_array_equal(info['mean'], np.arange(3, dtype=np.float32))
    assert info['mean'].dtype == np.float32
    name, keys, pos, gauss, cached = back['rng']
    np.random.set_state((name, keys, pos, gauss, cached))  # a usable numpy RNG state again
    assert np.random.rand() == np.random.RandomState(0).rand()


def test_rng_states_of_every_library_round_trip(tmp_path):
    random.seed(1)
    np_gen = np.random.default_rng(2)
    state = dict(python=random.getstate(), numpy=np.random.get_state(),
                 generator=np_gen.bit_generator.state, torch=torch.get_rng_state())
    plain, _ = to_plain(state)
    torch.save(plain, tmp_path / 'rng.pth')
    assert _globals(tmp_path / 'rng.pth') == []
    back = read_checkpoint(tmp_path / 'rng.pth')
    expected = (random.random(), np.random.rand(), np_gen.random(), torch.rand(1))
    random.setstate(back['python'])
    np.random.set_state(back['numpy'])
    np_gen.bit_generator.state = back['generator']
    torch.set_rng_state(back['torch'])
    assert (random.random(), np.random.rand(), np_gen.random()) == expected[:3]
    assert torch.equal(torch.rand(1), expected[3])


def test_functions_are_left_out_and_reported():
    class Scheduler:
        def anneal(self, x):
            return x

    sched = Scheduler()
    state = {'param_schedulers': [dict(last_step=3, anneal_func=sched.anneal,
                                       hook=functools.partial(print, 1))]}
    plain, dropped = to_plain(state)
    assert plain == {'param_schedulers': [dict(last_step=3)]}
    assert dropped == ["checkpoint['param_schedulers'][0]['anneal_func']",
                       "checkpoint['param_schedulers'][0]['hook']"]


def test_unknown_objects_are_a_clear_error():
    class Custom:
        pass

    with pytest.raises(TypeError, match=r"Cannot save checkpoint\['meta'\]\['x'\]: it is a "
                       r'.*Custom\. A checkpoint holds only tensors, numbers, strings'):
        to_plain({'meta': {'x': Custom()}})


def test_state_dict_metadata_survives(tmp_path):
    sd = torch.nn.LayerNorm(3).state_dict()
    assert isinstance(sd, OrderedDict) and hasattr(sd, '_metadata')
    plain, _ = to_plain({'state_dict': sd, 'meta': {'n': np.int32(2)}})
    assert plain['state_dict']._metadata == sd._metadata
    torch.save(plain, tmp_path / 'x.pth')
    assert read_checkpoint(tmp_path / 'x.pth')['state_dict']._metadata == sd._metadata


@pytest.mark.parametrize('tagged', [
    {'__history_buffer__': True, 'log': 'x', 'count': torch.ones(1), 'max_length': 5},
    {'__history_buffer__': True, 'log': torch.ones(2), 'count': torch.ones(3), 'max_length': 5},
    {'__ndarray__': b'\x00' * 8, 'dtype': 'O', 'shape': [1]},
    {'__ndarray__': b'\x00' * 8, 'dtype': '<f8', 'shape': 'x'},
])
def test_malformed_tags_are_refused(tagged):
    with pytest.raises(ValueError, match='malformed'):
        from_plain({'message_hub': tagged})
