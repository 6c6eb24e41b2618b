"""Crafted pickles that run code, through every entry point that reads a checkpoint file.

Each test hands the whole corpus (8 payloads x 3 containers, see ``crafted.py``) to one entry
point, asserts a refusal naming the file, and asserts the payload's marker file never appears.
The first tests prove the corpus is live: naive loaders do run it.
"""
import builtins
import os
import pickle
import shutil
import sys
import warnings
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmcls_convnext.checkpoint import CheckpointError

from .crafted import CONTAINERS, PAYLOADS, _pickle, wait_for, write_corpus

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'engine'))
from tiny_run import make_image_folder, run_tool, write_config  # noqa: E402

ARCH = dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])
RUNNER_CONTAINERS = ['zip']  # runner-based entry points: one container keeps them fast


@pytest.fixture
def marker(tmp_path):
    path = tmp_path / 'MARKER'
    yield path
    assert not wait_for(path, 0.3), 'a crafted checkpoint ran code'


@pytest.fixture
def corpus(tmp_path, marker):
    return write_corpus(tmp_path / 'corpus', marker)


@pytest.fixture(scope='module')
def config(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    make_image_folder(root / 'imgs', per_class=1, size=32)
    # serialize_data=False: mmengine's serialisation runs gc.collect(), slow inside pytest
    fast = ("train_dataloader['dataset']['serialize_data'] = False\n"
            "val_dataloader['dataset']['serialize_data'] = False")
    return str(write_config(root / 'tiny.py', root / 'imgs', extra=fast))


def _classifier_cfg(**backbone_extra):
    return Config(dict(model=dict(
        type='ImageClassifier', backbone=dict(type='ConvNeXt', arch=ARCH, **backbone_extra),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=64))))


@pytest.mark.parametrize('name', sorted(PAYLOADS))
def test_every_payload_runs_code_under_plain_pickle(tmp_path, name):
    marker = tmp_path / 'm'
    try:
        pickle.loads(_pickle(PAYLOADS[name](marker)))
    except Exception:  # noqa: BLE001 - the code runs before the object is complete
        pass
    assert wait_for(marker)


@pytest.mark.parametrize('name', ['getattr_gadget', 'nested_rebuild'])
def test_getattr_in_an_allow_list_runs_code(tmp_path, name):
    """Finding 1: weights_only=True plus an allow-list holding builtins.getattr is not safe."""
    marker = tmp_path / 'm'
    path = write_corpus(tmp_path / 'c', marker, ['zip'])[f'{name}-zip']
    assert torch.serialization.get_unsafe_globals_in_checkpoint(str(path)) == ['builtins.getattr']
    with torch.serialization.safe_globals([builtins.getattr]):
        try:
            torch.load(path, weights_only=True)
        except Exception:  # noqa: BLE001
            pass
    assert wait_for(marker)


def test_corpus_size():
    assert len(PAYLOADS) == 8 and len(CONTAINERS) == 3


def _refused(call, path):
    with pytest.raises(CheckpointError, match=str(path.name)):
        call(str(path))


def test_zoo_load_checkpoint(corpus):
    from mmcls_convnext.weights import read_weights_file
    for path in corpus.values():
        _refused(read_weights_file, path)


def test_get_model_pretrained(corpus):
    from mmcls_convnext.apis import get_model
    for path in corpus.values():
        _refused(lambda p: get_model(_classifier_cfg(), pretrained=p), path)


def test_pretrained_initialiser(corpus):
    from mmcls_convnext.apis import get_model
    for path in corpus.values():
        _refused(lambda p: get_model(_classifier_cfg(init_cfg=dict(
            type='Pretrained', checkpoint=p, prefix='backbone'))), path)


def _tool(name):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        name, REPO / 'tools' / 'model_converters' / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('tool', ['convnext_to_mmcls', 'publish_model'])
def test_model_converters(corpus, tmp_path, capsys, tool):
    module = _tool(tool)
    for path in corpus.values():
        assert module.run_cli(module.main, [str(path), str(tmp_path / 'out.pth')]) == 1
        line = capsys.readouterr().err.strip()
        assert line.startswith('ERROR (CheckpointError): ') and path.name in line
    assert not (tmp_path / 'out.pth').exists()


def _cli_refuses(entry, argv, path, capsys):
    assert entry.cli(argv) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err and err[-1].startswith('ERROR (CheckpointError): ') and path.name in err[-1], err


def test_tools_test_py(corpus, config, tmp_path, capsys):
    from mmcls_convnext.engine.entrypoints import test as test_entry
    for key in (f'{name}-{kind}' for name in PAYLOADS for kind in RUNNER_CONTAINERS):
        _cli_refuses(test_entry, [config, str(corpus[key]), '--work-dir',
                                  str(tmp_path / 'test')], corpus[key], capsys)


@pytest.mark.parametrize('how', ['resume PATH', 'load_from', 'planted latest'])
def test_tools_train_py(corpus, config, tmp_path, capsys, how):
    from mmcls_convnext.engine.entrypoints import train as train_entry
    for key in (f'{name}-{kind}' for name in PAYLOADS for kind in RUNNER_CONTAINERS):
        path, work_dir = corpus[key], tmp_path / key
        argv = [config, '--work-dir', str(work_dir)]
        if how == 'resume PATH':
            argv += ['--resume', str(path)]
        elif how == 'load_from':
            argv += ['--cfg-options', f'load_from={path}']
        else:
            work_dir.mkdir()
            path = work_dir / 'epoch_5.pth'
            shutil.copy(corpus[key], path)
            (work_dir / 'last_checkpoint').write_text(str(path))
            argv += ['--resume']
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            _cli_refuses(train_entry, argv, path, capsys)
        assert not list(work_dir.glob('epoch_1.pth'))  # nothing trained


@pytest.mark.parametrize('tool, args', [
    ('test.py', ['{config}', '{path}', '--work-dir', '{tmp}/t']),
    ('train.py', ['{config}', '--work-dir', '{tmp}/r', '--resume', '{path}']),
    ('model_converters/convnext_to_mmcls.py', ['{path}', '{tmp}/o.pth']),
    ('model_converters/publish_model.py', ['{path}', '{tmp}/o']),
])
def test_the_getattr_gadget_through_the_command_line(corpus, config, tmp_path, tool, args):
    path = corpus['getattr_gadget-zip']
    argv = [a.format(config=config, path=path, tmp=tmp_path) for a in args]
    proc = run_tool(tool, *argv, timeout=180)
    assert proc.returncode == 1, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('ERROR (CheckpointError): Cannot read checkpoint ') and \
        str(path) in last and 'damaged or crafted' in last
    assert 'Traceback' not in proc.stderr
    assert not os.path.exists(tmp_path / 'o.pth')
