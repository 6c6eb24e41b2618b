"""A model-zoo name where a config file is expected (issue 28, item 5): load_config - and so
tools/train.py, tools/test.py and every tool reading configs - uses the name's config and says
which file; a missing file close to a zoo name gets a did-you-mean."""
import os.path as osp

import pytest
from mmengine.logging import MMLogger

from mmcls_convnext.config import load_config, resolve_config_file
from mmcls_convnext.engine.entrypoints import train as train_entry
from mmcls_convnext.zoo import get_model_info

NAME = 'convnext-tiny_32xb128_in1k'
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def test_a_zoo_name_stands_for_its_config(capsys):
    MMLogger.get_instance('zoo-name-test')  # print_log(logger='current') goes to this one
    path = resolve_config_file(NAME)
    expected = osp.join(REPO, get_model_info(NAME).config)
    assert osp.samefile(path, expected)
    assert f'"{NAME}" is a model-zoo name, not a file: using its config {path}' in \
        capsys.readouterr().out
    cfg = load_config(NAME, {'model.head.num_classes': 7})
    assert osp.samefile(cfg.filename, expected)
    assert cfg.model.head.num_classes == 7 and cfg.model.backbone.arch == 'tiny'


def test_train_py_takes_a_zoo_name(tmp_path):
    args = train_entry.parse_args([NAME, '--work-dir', str(tmp_path / 'w')])
    cfg = train_entry.merge_args(train_entry.load_config(args.config, {}), args)
    assert osp.samefile(cfg.filename, osp.join(REPO, get_model_info(NAME).config))
    assert cfg.work_dir == str(tmp_path / 'w')
    args = train_entry.parse_args([NAME])  # default work dir: named after the zoo name
    cfg = train_entry.merge_args(train_entry.load_config(args.config, {}), args)
    assert cfg.work_dir == osp.join('./work_dirs', NAME)


def test_unknown_names_and_paths_get_a_did_you_mean(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match=r'Config file "convnext-tiny_32xb128_in1" does '
                       r"not exist .* not a model-zoo name either\. Did you mean "
                       rf"\['{NAME}'"):
        load_config('convnext-tiny_32xb128_in1')
    # the zoo name written as a file that is not there: pass the bare name
    with pytest.raises(FileNotFoundError, match=rf'"{NAME}" is a model-zoo name: pass it '
                       r'without folder and "\.py"'):
        load_config(str(tmp_path / f'{NAME}.py'))
    # nothing close: no suggestion at all
    with pytest.raises(FileNotFoundError) as info:
        load_config(str(tmp_path / 'my_experiment.py'))
    assert 'Did you mean' not in str(info.value)
    # through the CLI: one ERROR line carrying the suggestion
    assert train_entry.cli(['convnext-tny_32xb128_in1k']) == 1
    assert f"Did you mean ['{NAME}'" in capsys.readouterr().err


def test_test_py_takes_a_zoo_name(tmp_path):
    from mmcls_convnext.engine.entrypoints import test as test_entry
    args = test_entry.parse_args([NAME, str(tmp_path / 'ckpt.pth'), '--work-dir', str(tmp_path)])
    cfg = test_entry.merge_args(test_entry.load_config(args.config, {}), args)
    assert osp.samefile(cfg.filename, osp.join(REPO, get_model_info(NAME).config))
    assert cfg.work_dir == osp.join(str(tmp_path), 'test')
    assert cfg.test_dataloader.dataset.type == 'ImageNet'
