"""tools/model_converters: convnext_to_mmcls.py and publish_model.py end to end."""
import datetime
import hashlib
import importlib.util
import os.path as osp
import re

import numpy as np
import pytest
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmcls_convnext.models import ImageClassifier
from mmcls_convnext.weights import CheckpointError, load_model_weights, read_weights_file

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
timm = pytest.importorskip('timm')


def _tool(name):
    path = osp.join(ROOT, 'tools', 'model_converters', f'{name}.py')
    spec = importlib.util.spec_from_file_location(f'tool_{name}', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tiny():
    return ImageClassifier(
        backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=64)).eval()


def test_convert_timm_file_cli(tmp_path, capsys):
    ref = timm.create_model('convnextv2_atto', pretrained=False, num_classes=10).eval()
    with torch.no_grad():
        for p in ref.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    src = tmp_path / 'timm.pth'
    torch.save(ref.state_dict(), src)
    dst = tmp_path / 'out' / 'ours.pth'
    _tool('convnext_to_mmcls').main([str(src), str(dst)])
    assert 'timm layout' in capsys.readouterr().out
    ckpt = read_weights_file(str(dst))
    assert ckpt['meta']['converted_from'] == 'timm'
    ours = ImageClassifier(
        backbone=dict(type='ConvNeXt', arch='atto', use_grn=True, layer_scale_init_value=0.),
        head=dict(type='LinearClsHead', num_classes=10, in_channels=320)).eval()
    load_model_weights(ours, ckpt)
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert (ours(x) - ref(x)).abs().max() <= 1e-5


def test_convert_wrong_src_flag(tmp_path):
    src = tmp_path / 'timm.pth'
    torch.save(timm.create_model('convnext_atto', pretrained=False).state_dict(), src)
    with pytest.raises(ValueError, match=r"key\(s\) of the 'torchvision' state dict have no "
                       'counterpart'):
        _tool('convnext_to_mmcls').main([str(src), str(tmp_path / 'o.pth'), '--src',
                                         'torchvision'])


def _training_checkpoint(path, model, ema=True):
    hub = HistoryBuffer()
    hub.update(0.5)
    raw = {k: v + 1 for k, v in model.state_dict().items()}
    ckpt = {
        'meta': {'epoch': 3, 'iter': np.int64(30), 'cfg': 'model = dict()',
                 'dataset_meta': {'classes': ('a', 'b', 'c', 'd', 'e')}, 'seed': np.int64(1)},
        'state_dict': dict(model.state_dict()),
        'optimizer': {'state': {0: {'exp_avg': torch.ones(3)}}, 'param_groups': [{'lr': 0.1}]},
        'param_schedulers': [{'last_epoch': 3}],
        'message_hub': {'log_scalars': {'loss': hub}},
    }
    if ema:  # mmengine's EMAHook: raw weights under ema_state_dict, 'module.'-prefixed
        ckpt['ema_state_dict'] = {'module.' + k: v for k, v in raw.items()}
        ckpt['ema_state_dict']['steps'] = torch.tensor(30)
    torch.save(ckpt, path)
    return raw


@pytest.mark.parametrize('keep', ['ema', 'raw'])
def test_publish_model(tmp_path, keep, capsys):
    model = _tiny()
    src = tmp_path / 'epoch_3.pth'
    raw = _training_checkpoint(src, model)
    # the native mmengine training file is read without running code (inert stand-ins)
    assert read_weights_file(str(src))['message_hub']['log_scalars']['loss'].current() == 0.5
    _tool('publish_model').main([str(src), str(tmp_path / 'pub' / 'convnext-t.pth'), '--keep',
                                 keep])
    out = capsys.readouterr().out
    path = re.search(r'published (\S+)', out).group(1)
    date = datetime.date.today().strftime('%Y%m%d')
    assert re.fullmatch(rf'.*/pub/convnext-t_{date}-[0-9a-f]{{8}}\.pth', path)
    sha = hashlib.sha256(open(path, 'rb').read()).hexdigest()
    assert path.endswith(f'-{sha[:8]}.pth')
    published = torch.load(path, weights_only=True)
    assert sorted(published) == ['meta', 'state_dict']
    assert published['meta']['dataset_meta'] == {'classes': ['a', 'b', 'c', 'd', 'e']}
    assert published['meta']['iter'] == 30 and published['meta']['weights'] == keep
    assert published['meta']['config'] == 'model = dict()'
    expected = raw if keep == 'raw' else model.state_dict()
    assert sorted(published['state_dict']) == sorted(expected)
    assert all(torch.equal(published['state_dict'][k], v) for k, v in expected.items())
    assert not list((tmp_path / 'pub').glob('.*partial'))


def test_publish_refuses_unknown_pickles(tmp_path):
    src = tmp_path / 'weird.pth'
    torch.save({'state_dict': {}, 'obj': datetime.date(2020, 1, 1)}, src)
    with pytest.raises(CheckpointError, match=r'weird\.pth'):
        _tool('publish_model').publish(str(src), str(tmp_path / 'x'))


def test_publish_a_real_training_checkpoint(tmp_path, capsys):
    """A checkpoint written by the Runner with EMA: publish, then get_model loads it safely."""
    import sys
    sys.path.insert(0, osp.join(ROOT, 'tests', 'engine'))
    from tiny_run import build_runner

    from mmcls_convnext.apis import get_model
    runner = build_runner(tmp_path, name='pub', custom_hooks=[dict(type='EMAHook',
                                                                   momentum=0.5)])
    runner.train()
    raw_final = {k: v.clone() for k, v in runner.model.state_dict().items()}
    ckpt = tmp_path / 'pub' / 'epoch_1.pth'
    published = {}
    for keep in ('ema', 'raw'):
        path = _tool('publish_model').publish(str(ckpt), str(tmp_path / f'out-{keep}'), keep)
        published[keep] = torch.load(path, weights_only=True)
        model = get_model(osp.join(tmp_path, 'pub.py'), pretrained=path)
        assert model.dataset_meta['classes'] == ['ant', 'bee', 'cat']
    assert all(torch.equal(published['raw']['state_dict'][k], v) for k, v in raw_final.items())
    assert any(not torch.equal(published['ema']['state_dict'][k], v)
               for k, v in raw_final.items())  # the EMA weights are another set
    assert published['ema']['meta']['weights'] == 'ema'
    assert 'model = dict(' in published['ema']['meta']['config']
