"""The opt-in inference fast path through tools/test.py and get_model (config key)."""
import json
import sys
from pathlib import Path

import pytest
import torch

from mmcls_convnext.apis import get_model
from mmcls_convnext.engine.entrypoints import test as test_entry

sys.path.insert(0, str(Path(__file__).parent))
from tiny_run import build_runner  # noqa: E402

torch.set_num_threads(1)


def test_test_tool_fast_inference_gives_the_same_metrics(tmp_path):
    build_runner(tmp_path).train()
    config, ckpt = str(tmp_path / 'run.py'), str(tmp_path / 'run' / 'epoch_1.pth')
    results = {}
    for name, extra in (('default', []),
                        ('fast', ['--cfg-options', 'fast_inference.mode=prepack'])):
        out = tmp_path / f'{name}.json'
        assert test_entry.main([config, ckpt, '--work-dir', str(tmp_path / name), '--out',
                                str(out), '--out-item', 'metrics'] + extra) == 0
        results[name] = json.loads(out.read_text())
    assert results['fast'] == results['default']


def test_fast_inference_with_tta_is_refused(tmp_path):
    build_runner(tmp_path).train()
    with pytest.raises(ValueError, match='fast_inference works for single-process testing '
                                         'without --tta'):
        test_entry.main([str(tmp_path / 'run.py'), str(tmp_path / 'run' / 'epoch_1.pth'),
                         '--tta', '--cfg-options', 'fast_inference.mode=prepack'])


def test_get_model_fast_inference_matches_default():
    arch = dict(backbone=dict(arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
                head=dict(in_channels=64, num_classes=7))
    torch.manual_seed(0)
    plain = get_model('convnext-tiny_32xb128_in1k', **arch)
    torch.manual_seed(0)
    fast = get_model('convnext-tiny_32xb128_in1k', fast_inference=dict(mode='prepack'), **arch)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), plain(x), rtol=1e-4, atol=1e-4)
    assert fast._config is not None and fast is not plain
    with pytest.raises(KeyError, match=r"Unknown key\(s\) \['mdoe'\] in config fast_inference"):
        get_model('convnext-tiny_32xb128_in1k', fast_inference=dict(mdoe='prepack'), **arch)


def test_fast_inference_with_ema_evaluates_the_ema_state_dict(tmp_path):
    """The fast path folds the weights once: the EMA hook is left out, state_dict evaluated."""
    ema = [dict(type='EMAHook', momentum=0.5, priority='ABOVE_NORMAL')]
    build_runner(tmp_path, custom_hooks=ema).train()
    config, ckpt = str(tmp_path / 'run.py'), str(tmp_path / 'run' / 'epoch_1.pth')
    results = {}
    for name, extra in (('default', []),
                        ('fast', ['--cfg-options', 'fast_inference.mode=prepack'])):
        out = tmp_path / f'{name}.pkl'
        assert test_entry.main([config, ckpt, '--work-dir', str(tmp_path / name), '--out',
                                str(out)] + extra) == 0
        from mmengine.fileio import load
        results[name] = {p['sample_idx']: p['pred_score'] for p in load(str(out))}
    for idx, score in results['default'].items():
        torch.testing.assert_close(results['fast'][idx], score, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match='fast_inference evaluates one set of weights'):
        test_entry.main([config, ckpt, '--work-dir', str(tmp_path / 'x'), '--cfg-options',
                         'fast_inference.mode=prepack', 'custom_hooks.0.evaluate_on_origin=True'])
