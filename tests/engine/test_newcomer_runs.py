"""A newcomer's runs (issue 28): the fine-tune recipe offline (items 1 and 4), and what a run
leaves behind or warns about (item 9). In-process, tiny model, 32 px, 12 images, 1 epoch."""
import logging
import os
import pickle
import sys
import warnings
from pathlib import Path

import pytest
import torch

from mmcls_convnext.checkpoint import WeightsDownloadError
from mmcls_convnext.engine import runner as runner_module
from mmcls_convnext.engine.entrypoints import test as test_entry
from mmcls_convnext.engine.entrypoints import train as train_entry

sys.path.insert(0, str(Path(__file__).parent))
from tiny_run import make_image_folder, write_config  # noqa: E402

torch.set_num_threads(1)
URL = ('https://download.openmmlab.com/mmclassification/v0/convnext/'
       'convnext-tiny_in21k-pre_3rdparty_in1k_20221219-7501e534.pth')


@pytest.fixture
def pretrained_cfg(tmp_path):
    """The tiny config with a fine-tune recipe's backbone init_cfg (a published URL)."""
    init = f"model['backbone']['init_cfg'] = dict(type='Pretrained', checkpoint={URL!r}, " \
           "prefix='backbone')"
    return str(write_config(tmp_path / 'tiny_ft.py', make_image_folder(tmp_path / 'data'),
                            extra=init))


def _timestamp_folders(work: Path):
    return sorted(p.name for p in work.iterdir() if p.is_dir() and p.name[:2] == '20')


def test_offline_init_cfg_error_gives_the_train_py_forms_and_leaves_no_folder(
        pretrained_cfg, tmp_path, monkeypatch):
    monkeypatch.setenv('MMCLS_CONVNEXT_OFFLINE', '1')
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path / 'cache'))
    work = tmp_path / 'work'
    work.mkdir()
    (work / 'notes.txt').write_text('mine')  # a user's file in the work dir stays
    with pytest.raises(WeightsDownloadError) as info:
        train_entry.main([pretrained_cfg, '--work-dir', str(work)])
    message = str(info.value)
    assert 'offline mode is set' in message
    assert '--cfg-options model.backbone.init_cfg.checkpoint=/path/to/file.pth' in message
    assert '--cfg-options model.backbone.init_cfg=None' in message
    assert 'get_model' not in message  # the API's form does not apply to tools/train.py
    # the run failed before its first iteration: no timestamp folder; the rest is kept
    assert _timestamp_folders(work) == []
    assert (work / 'notes.txt').read_text() == 'mine'
    assert (work / 'tiny_ft.py').is_file()  # the config dump (the next run rewrites it)
    # the API keeps its own form of fix (2)
    from mmcls_convnext.weights import download_weights
    with pytest.raises(WeightsDownloadError, match=r'get_model\(\.\.\., pretrained='):
        download_weights(URL)

    # the from-scratch form of the message runs as written
    assert train_entry.main([pretrained_cfg, '--work-dir', str(work),
                             '--cfg-options', 'model.backbone.init_cfg=None']) == 0
    assert (work / 'epoch_1.pth').is_file() and len(_timestamp_folders(work)) == 1


def test_a_folder_with_more_than_start_up_files_is_kept(tmp_path):
    class FakeRunner:
        timestamp = '20260101_000000'
        _log_dir = str(tmp_path / timestamp)
        logger = logging.getLogger('fake-runner')

    folder = Path(FakeRunner._log_dir)
    (folder / 'vis_data').mkdir(parents=True)
    (folder / f'{FakeRunner.timestamp}.log').write_text('log')
    (folder / 'vis_data' / 'config.py').write_text('cfg')
    (folder / 'epoch_1.pth').write_bytes(b'weights')
    assert runner_module.remove_unused_run_folder(FakeRunner()) is False
    assert (folder / 'epoch_1.pth').is_file()
    (folder / 'epoch_1.pth').unlink()
    assert runner_module.remove_unused_run_folder(FakeRunner()) is True
    assert not folder.exists()


def test_num_workers_are_capped_to_the_cores_once(monkeypatch):
    monkeypatch.setattr(runner_module, 'available_cores', lambda: 2)
    loaders = dict(train_dataloader=dict(num_workers=4, batch_size=8),
                   val_dataloader=dict(num_workers=2), test_dataloader=dict(num_workers=8))
    kwargs = dict(loaders)
    line = runner_module.cap_num_workers(kwargs)
    assert line.startswith('num_workers capped to the 2 available CPU core(s)')
    assert 'train_dataloader 4 -> 2' in line and 'test_dataloader 8 -> 2' in line
    assert 'val_dataloader' not in line
    assert kwargs['train_dataloader'] == dict(num_workers=2, batch_size=8)
    assert loaders['train_dataloader']['num_workers'] == 4  # the caller's dicts are not changed
    assert runner_module.cap_num_workers(dict(train_dataloader=dict(num_workers=2))) is None
    assert runner_module.available_cores() == len(os.sched_getaffinity(0))


def test_a_run_with_too_many_workers_logs_one_line_and_no_torch_warning(tmp_path, monkeypatch):
    monkeypatch.setattr(runner_module, 'available_cores', lambda: 1)
    cfg = str(write_config(tmp_path / 'w.py', make_image_folder(tmp_path / 'data', per_class=2),
                           extra="train_dataloader['num_workers'] = 3\n"
                                 "train_dataloader['persistent_workers'] = False"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        assert train_entry.main([cfg, '--work-dir', str(tmp_path / 'w'), '--no-validate']) == 0
    assert not [w for w in caught if 'worker processes' in str(w.message)]
    log = next((tmp_path / 'w').glob('*/*.log')).read_text()
    assert log.count('num_workers capped to the 1 available CPU core(s)') == 1
    assert 'train_dataloader 3 -> 1' in log


def test_test_py_names_the_runs_config_and_dumps_without_prefix_warning(tmp_path, capsys):
    data = make_image_folder(tmp_path / 'data', per_class=2)
    cfg = str(write_config(tmp_path / 'tiny.py', data))
    work = tmp_path / 'work'
    # a training-time change: a wider head input from wider stages
    change = ['model.backbone.arch.channels=[8,16,32,48]', 'model.head.in_channels=48']
    assert train_entry.main([cfg, '--work-dir', str(work), '--cfg-options', *change]) == 0
    ckpt = str(work / 'epoch_1.pth')
    with pytest.raises(ValueError) as info:
        test_entry.main([cfg, ckpt, '--work-dir', str(work)])
    message = str(info.value)
    assert 'shape mismatch' in message
    run_config = str(work / 'tiny.py')
    assert f"holds the config of the run that wrote it, {run_config}" in message
    assert f'python tools/test.py {run_config} {ckpt}' in message
    assert list((work / 'test').iterdir()) == []  # the failed test run left no folder
    capsys.readouterr()
    # the run's config fits; --out dumps the predictions with no prefix warning
    assert test_entry.main([run_config, ckpt, '--work-dir', str(work),
                            '--out', str(tmp_path / 'preds.pkl')]) == 0
    output = capsys.readouterr()
    assert 'prefix is not set' not in output.out + output.err
    with open(tmp_path / 'preds.pkl', 'rb') as f:
        assert len(pickle.load(f)) == 6  # plain dicts and tensors, our own test-made file


def test_the_exporter_takes_a_training_checkpoint_as_the_docs_say(tmp_path):
    """deployment.md (issue 28, item 6): an ``epoch_N.pth`` with optimizer state is exported as
    it is, with the run's config; the page no longer says it is refused."""
    pytest.importorskip('onnx')
    import importlib.util
    data = make_image_folder(tmp_path / 'data', per_class=1)
    work = tmp_path / 'work'
    assert train_entry.main([str(write_config(tmp_path / 'tiny.py', data)), '--work-dir',
                             str(work), '--no-validate']) == 0
    assert 'optimizer' in torch.load(work / 'epoch_1.pth', weights_only=True)
    tool = Path(__file__).resolve().parents[2] / 'tools' / 'deployment' / 'pytorch2onnx.py'
    spec = importlib.util.spec_from_file_location('pytorch2onnx', tool)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / 'run.onnx'
    report = module.main([str(work / 'tiny.py'), '--checkpoint', str(work / 'epoch_1.pth'),
                          '--output-file', str(out), '--shape', '32', '32'])
    assert report['ok'] and out.stat().st_size > 10_000
    page = (Path(__file__).resolve().parents[2] / 'docs' / 'deployment.md').read_text()
    assert 'refused by the safe loader' not in page
    assert '`epoch_N.pth`) is accepted as it is' in page


def test_persistent_workers_without_workers_are_dropped_with_one_line():
    """MMPretrain's bases (rsb, autoaug, t2t, cub_bs8_448, cifar100_bs16...) set
    persistent_workers=True; a user who sets num_workers=0 (debugging, a small machine) got
    torch's 'persistent_workers option needs num_workers > 0' naming no loader."""
    loaders = dict(train_dataloader=dict(num_workers=0, persistent_workers=True),
                   val_dataloader=dict(persistent_workers=True),  # torch's default: 0 workers
                   test_dataloader=dict(num_workers=2, persistent_workers=True))
    kwargs = dict(loaders)
    line = runner_module.drop_idle_persistent_workers(kwargs)
    assert line == ('persistent_workers=True set to False for train_dataloader, val_dataloader: '
                    'they have num_workers=0, so there are no worker processes to keep (torch '
                    'refuses the pair).')
    assert kwargs['train_dataloader'] == dict(num_workers=0, persistent_workers=False)
    assert kwargs['val_dataloader'] == dict(persistent_workers=False)
    assert kwargs['test_dataloader'] is loaders['test_dataloader']
    assert loaders['train_dataloader']['persistent_workers'] is True  # callers' dicts kept
    assert runner_module.drop_idle_persistent_workers(dict(train_dataloader=dict(
        num_workers=0, persistent_workers=False))) is None
