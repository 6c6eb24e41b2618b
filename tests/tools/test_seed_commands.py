"""The README's seed commands, verbatim, offline.

- ``get_model('convnext-tiny_32xb128_in1k', pretrained=True)`` then
  ``inference_model(model, 'demo/demo.JPEG')``;
- ``tools/test.py configs/convnext/convnext-tiny_32xb128_in1k.py <URL>`` with the zoo URL
  (through ``MMCLS_CONVNEXT_MIRROR``) and with a plain http URL, only the data root changed;
- ``tools/train.py configs/convnext/convnext-tiny_32xb128_in1k.py`` with only the data root
  changed: the full ConvNeXt-T recipe (300 epochs, batch 128, 5 workers, EMA) is stopped once
  its first epoch is checkpointed.

The published weights cannot be fetched here: a loopback server serves a test-made stand-in
under the published file name, whose sha256 starts with the published prefix
(``tests/standin_weights.py``), so download, cache, hash check and strict loading are real.
"""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tool_runs import REPO, ok, tool_env  # noqa: E402

SEED_CONFIG = 'configs/convnext/convnext-tiny_32xb128_in1k.py'
URL = ('https://download.openmmlab.com/mmclassification/v0/convnext/'
       'convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth')


def _data_root(root: Path, loaders=('test', )) -> list:
    return ['--cfg-options'] + [f'{name}_dataloader.dataset.data_root={root}' for name in loaders]


def _standin_state(folder: Path) -> dict:
    return torch.load(folder / URL.rsplit('/', 1)[-1], weights_only=True)['state_dict']


def test_get_model_pretrained_and_inference_model(standin_mirror, tmp_path, monkeypatch):
    mirror, folder, requests = standin_mirror
    monkeypatch.setenv('MMCLS_CONVNEXT_MIRROR', mirror)
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path / 'home'))
    monkeypatch.delenv('MMCLS_CONVNEXT_OFFLINE', raising=False)
    monkeypatch.chdir(REPO)
    from mmcls_convnext.apis import get_model, inference_model

    model = get_model('convnext-tiny_32xb128_in1k', pretrained=True)
    result = inference_model(model, 'demo/demo.JPEG')

    assert '/' + URL.rsplit('/', 1)[-1] in requests
    assert _cached(tmp_path / 'home' / 'checkpoints').is_file()
    for key, value in _standin_state(folder).items():
        assert torch.equal(model.state_dict()[key], value), key
    assert set(result) == {'pred_label', 'pred_score', 'pred_class', 'pred_scores'}
    assert result['pred_scores'].shape == (1000, ) and 0 <= result['pred_label'] < 1000
    assert abs(float(result['pred_scores'].sum()) - 1) < 1e-5


def _cached(folder):
    """The one cache entry of URL's file (keyed by the URL it came from)."""
    stem, tail = URL.rsplit('/', 1)[-1].rsplit('-', 1)
    entries = list(folder.glob(f'{stem}.url-*-{tail}'))
    assert len(entries) == 1, entries
    return entries[0]


@pytest.mark.parametrize('how', ['zoo URL via mirror', 'plain http URL'])
def test_test_tool_with_a_url(standin_mirror, tiny_imagenet, tmp_path, how):
    mirror, folder, requests = standin_mirror
    env = dict(MMCLS_CONVNEXT_HOME=str(tmp_path / 'home'))
    if how == 'zoo URL via mirror':
        url, env['MMCLS_CONVNEXT_MIRROR'] = URL, mirror
    else:
        url = f'{mirror}/{URL.rsplit("/", 1)[-1]}'
    env = dict(tool_env(env))
    env.pop('MMCLS_CONVNEXT_OFFLINE')
    out = tmp_path / 'metrics.json'
    proc = subprocess.run([sys.executable, 'tools/test.py', SEED_CONFIG, url,
                           *_data_root(tiny_imagenet), '--work-dir', str(tmp_path / 'work'),
                           '--out', str(out), '--out-item', 'metrics'], cwd=str(REPO), env=env,
                          capture_output=True, text=True, timeout=600)
    ok(proc)
    assert set(json.loads(out.read_text())) == {'accuracy/top1', 'accuracy/top5'}
    assert _cached(tmp_path / 'home' / 'checkpoints').is_file()
    # the recipe's EMAHook was active while the published (EMA) weights were evaluated
    # (the hook table is in the test run's log file; the console stays brief)
    logs = ''.join(p.read_text() for p in (tmp_path / 'work' / 'test').glob('*/*.log'))
    assert 'EMAHook' in logs


def test_train_tool_on_the_seed_config_with_only_the_data_root_changed(tiny_imagenet, tmp_path):
    work = tmp_path / 'work'
    cmd = [sys.executable, 'tools/train.py', SEED_CONFIG, '--work-dir', str(work),
           *_data_root(tiny_imagenet, ('train', 'val', 'test'))]
    log = open(tmp_path / 'train.log', 'w')
    proc = subprocess.Popen(cmd, cwd=str(REPO), env=tool_env(), stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 600
    try:
        while not (work / 'last_checkpoint').is_file():
            assert proc.poll() is None, (tmp_path / 'train.log').read_text()[-5000:]
            assert time.monotonic() < deadline, 'no checkpoint after 600 s'
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the recipe has 299 more epochs to go
        proc.wait(timeout=60)
        log.close()
    # the config and environment dumps are in the run's log file (the console stays brief)
    text = (tmp_path / 'train.log').read_text() + ''.join(
        p.read_text() for p in work.glob('*/*.log'))
    ckpt = torch.load(work / 'epoch_1.pth', weights_only=True)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (1, 1)  # 4 images, batch 128
    assert 'ema_state_dict' in ckpt and len(ckpt['param_schedulers']) == 2
    assert ckpt['state_dict']['backbone.stages.2.8.gamma'].shape == (384, )  # ConvNeXt-T
    assert "'num_workers': 5" in text or 'num_workers=5' in text
    assert 'Exp name: convnext-tiny_32xb128_in1k' in text
