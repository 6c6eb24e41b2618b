"""tools/deployment (apis.export_model, deploy/): ONNX and TorchScript export of a tiny ConvNeXt,
checked independently."""
import importlib.util
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch

from mmcls_convnext.apis import get_model
from mmcls_convnext.apis.export import preprocess_image
from mmcls_convnext.deploy.verify import verify

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools', 'deployment')

CONFIG = """
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64),
)
data_preprocessor = dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], to_rgb=True)
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=40, edge='short'),
    dict(type='CenterCrop', crop_size=32),
    dict(type='PackInputs'),
]
"""


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(name, osp.join(TOOLS, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """A config, a checkpoint with non-trivial weights, and a real-looking image."""
    root = tmp_path_factory.mktemp('deploy')
    config = root / 'tiny_convnext.py'
    config.write_text(CONFIG)
    model = get_model(str(config))
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():  # spread the logits: untrained heads output ~0
            p.add_(torch.randn(p.shape, generator=g) * 0.1)
    ckpt = root / 'tiny.pth'
    torch.save({'state_dict': model.state_dict(), 'meta': {}}, ckpt)
    image = root / 'img.png'
    yy, xx = np.mgrid[0:48, 0:64]
    cv2.imwrite(str(image), np.stack([xx * 4, yy * 5, (xx + yy) * 2], -1).astype(np.uint8))
    return dict(config=str(config), ckpt=str(ckpt), image=str(image), root=root)


def _reference(tiny, x):
    model = get_model(tiny['config'], pretrained=tiny['ckpt'])
    with torch.no_grad():
        return model(x).numpy()


def test_onnx_dynamic_batch_matches_pytorch(tiny):
    ort = pytest.importorskip('onnxruntime')
    out = str(tiny['root'] / 'dyn.onnx')
    report = _load_tool('pytorch2onnx').main([
        tiny['config'], '--checkpoint', tiny['ckpt'], '--output-file', out, '--shape', '32',
        '32', '--dynamic-export', '--verify', '--image', tiny['image'], '--bench-runs', '2'])
    assert report['ok'] and set(report['max_abs_diff']) == {'random', 'real'}
    assert all(d <= 1e-4 for d in report['max_abs_diff'].values())
    assert set(report['latency_ms']) == {'pytorch', 'onnxruntime'}
    # independent check: a fresh session, batch 4, against the checkpoint loaded anew
    x = torch.randn(4, 3, 32, 32)
    got = ort.InferenceSession(out, providers=['CPUExecutionProvider']).run(
        None, {'input': x.numpy()})[0]
    ref = _reference(tiny, x)
    assert got.shape == (4, 10)
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)
    assert np.abs(ref).max() > 0.1  # the comparison is not between near-zero logits


def test_onnx_fixed_batch_and_old_opset(tiny):
    ort = pytest.importorskip('onnxruntime')
    out = str(tiny['root'] / 'fixed.onnx')
    _load_tool('pytorch2onnx').main([tiny['config'], '--checkpoint', tiny['ckpt'],
                                     '--output-file', out, '--shape', '64', '32',
                                     '--opset', '13'])
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    assert session.get_inputs()[0].shape == [1, 3, 64, 32]
    x = torch.randn(1, 3, 64, 32)
    np.testing.assert_allclose(session.run(None, {'input': x.numpy()})[0], _reference(tiny, x),
                               atol=1e-4, rtol=0)
    invalid = ort.capi.onnxruntime_pybind11_state.InvalidArgument
    with pytest.raises(invalid, match='(?i)dimension'):
        session.run(None, {'input': np.zeros((2, 3, 64, 32), np.float32)})


def test_torchscript_matches_pytorch_for_any_batch(tiny):
    out = str(tiny['root'] / 'tiny.pt')
    report = _load_tool('pytorch2torchscript').main([
        tiny['config'], '--checkpoint', tiny['ckpt'], '--output-file', out, '--shape', '32',
        '32', '--verify', '--dynamic-export', '--image', tiny['image'], '--bench-runs', '2'])
    assert report['ok'] and set(report['latency_ms']) == {'pytorch', 'torchscript'}
    module = torch.jit.load(out)
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        np.testing.assert_allclose(module(x).numpy(), _reference(tiny, x), atol=1e-4, rtol=0)


def test_real_image_uses_the_config_preprocessing(tiny):
    model = get_model(tiny['config'], pretrained=tiny['ckpt'])
    x = preprocess_image(model, tiny['image'], (32, 32))
    # independent: BGR file -> resize short edge 48->40 -> centre crop 32 -> RGB -> normalise
    bgr = cv2.imread(tiny['image'])
    resized = cv2.resize(bgr, (53, 40), interpolation=cv2.INTER_LINEAR)
    top, left = (40 - 32) // 2, (53 - 32) // 2
    rgb = resized[top:top + 32, left:left + 32, ::-1].astype(np.float32)
    ref = (rgb - [123.675, 116.28, 103.53]) / [58.395, 57.12, 57.375]
    assert x.shape == (1, 3, 32, 32)
    np.testing.assert_allclose(x[0].permute(1, 2, 0).numpy(), ref, atol=0.05)


def test_verify_reports_failure_beyond_tolerance(tiny):
    model = get_model(tiny['config'], pretrained=tiny['ckpt'])
    inputs = {'random': torch.randn(1, 3, 32, 32), 'real': torch.randn(1, 3, 32, 32)}

    def off_by_1e3(x):
        with torch.no_grad():
            return model(x).numpy() + 1e-3
    report = verify('fake', off_by_1e3, model, inputs, tolerance=1e-4, bench_runs=1)
    assert not report['ok']
    assert report['max_abs_diff']['random'] == pytest.approx(1e-3, rel=1e-3)


@pytest.mark.parametrize('args, error, match', [
    (['--shape', '30', '32'], ValueError, r'--shape 30 32: ConvNeXt needs H and W'),
    (['--opset', '9'], ValueError, r'--opset 9 is not supported; choose 13-20'),
    (['--threads', '0'], ValueError, r'--threads must be >= 1; got 0'),
    (['--verify', '--image', '/nonexistent.png'], FileNotFoundError,
     r'Image /nonexistent.png does not exist'),
])
def test_onnx_bad_arguments(tiny, args, error, match):
    out = str(tiny['root'] / 'bad.onnx')
    with pytest.raises(error, match=match):
        _load_tool('pytorch2onnx').main([tiny['config'], '--output-file', out] + args)


def test_missing_onnx_package_is_explained(tiny, monkeypatch):
    monkeypatch.setitem(sys.modules, 'onnx', None)  # import onnx -> ImportError
    with pytest.raises(ImportError, match=r'pip install -r requirements/deploy.txt'):
        _load_tool('pytorch2onnx').main([tiny['config'], '--output-file',
                                         str(tiny['root'] / 'x.onnx'), '--shape', '32', '32'])


def test_missing_config_file():
    with pytest.raises(FileNotFoundError, match='Config file /no/such.py does not exist'):
        _load_tool('pytorch2torchscript').main(['/no/such.py'])


def test_script_exit_code_and_output(tiny):
    out = str(tiny['root'] / 'cli.pt')
    proc = subprocess.run(
        [sys.executable, osp.join(TOOLS, 'pytorch2torchscript.py'), tiny['config'],
         '--checkpoint', tiny['ckpt'], '--output-file', out, '--shape', '32', '32', '--verify',
         '--image', tiny['image'], '--bench-runs', '2', '--threads', '1'],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert 'verification PASSED' in proc.stdout
    assert 'CPU latency, batch 1 (1, 3, 32, 32), 1 thread(s)' in proc.stdout
    for step in ('] loading ', '] tracing to TorchScript (input 32x32)',
                 '] verify: torchscript vs pytorch on the real input',
                 '] latency: 2/2 interleaved runs of pytorch, torchscript'):
        assert step in proc.stdout, step  # progress while it runs
