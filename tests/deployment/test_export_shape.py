"""Exports default their input size to the config's (issue 28, item 8): a 64 px run config is
exported and verified at 64x64, not 224; a size that is no multiple of 32 is rounded up, a
pipeline without a fixed size falls back to 224 with a note, and an explicit --shape that differs
from the config's is exported as asked, with a note."""
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmcls_convnext.apis import get_model
from mmcls_convnext.apis.export import config_input_shape

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = osp.join(REPO, 'tools', 'deployment')

CONFIG = """
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=64),
)
data_preprocessor = dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                         std=[58.395, 57.12, 57.375], to_rgb=True)
test_pipeline = [dict(type='LoadImageFromFile'), {steps} dict(type='PackInputs')]
"""
CROP_64 = "dict(type='ResizeEdge', scale=72, edge='short'), dict(type='CenterCrop', crop_size=64),"


def _write(tmp_path, name, steps):
    path = tmp_path / f'{name}.py'
    path.write_text(CONFIG.format(steps=steps))
    return str(path)


def _tool():
    spec = importlib.util.spec_from_file_location('pytorch2onnx',
                                                  osp.join(TOOLS, 'pytorch2onnx.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize('steps, expected, note', [
    (CROP_64, (64, 64), "the config's test pipeline (64x64)"),
    ("dict(type='Resize', scale=(48, 40)),", (64, 64), '(40x48), rounded up to multiples of 32: '
                                                         '64x64'),
    ('', (224, 224), 'keeps the image\'s own size (no crop or fixed resize): 224x224'),
])
def test_the_input_size_comes_from_the_test_pipeline(tmp_path, steps, expected, note):
    shape, how = config_input_shape(get_model(_write(tmp_path, 'cfg', steps)))
    assert shape == expected and note in how


def test_a_64px_config_is_exported_and_verified_at_64(tmp_path, capsys):
    ort = pytest.importorskip('onnxruntime')
    config = _write(tmp_path, 'run64', CROP_64)
    image = tmp_path / 'img.png'
    yy, xx = np.mgrid[0:80, 0:96]
    cv2.imwrite(str(image), np.stack([xx * 2, yy * 3, xx + yy], -1).astype(np.uint8))
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'run64.pth')
    torch.save({'state_dict': get_model(config).state_dict(), 'meta': {}}, ckpt)
    out = str(tmp_path / 'run64.onnx')
    report = _tool().main([config, '--checkpoint', ckpt, '--output-file', out, '--verify',
                           '--image', str(image), '--bench-runs', '1'])
    assert report['ok']
    assert 'input size 64x64: the config\'s test pipeline (64x64)' in capsys.readouterr().out
    session = ort.InferenceSession(out, providers=['CPUExecutionProvider'])
    assert session.get_inputs()[0].shape == [1, 3, 64, 64]
    # the real image was checked at the config's size: the pipeline's own 64x64 crop, no resize
    model = get_model(config, pretrained=ckpt)
    from mmcls_convnext.apis.export import preprocess_image
    x = preprocess_image(model, str(image), (64, 64))
    assert x.shape == (1, 3, 64, 64)
    with torch.no_grad():
        expected = model(x).numpy()
    got = session.run(None, {'input': x.numpy()})[0]
    np.testing.assert_allclose(got, expected, atol=1e-4)

    # an explicit --shape other than the config's: exported as asked, with a note
    _tool().main([config, '--output-file', str(tmp_path / 'r96.onnx'), '--shape', '96', '96'])
    assert "note: --shape 96 96 differs from the config's input size 64x64" in \
        capsys.readouterr().out
    session = ort.InferenceSession(str(tmp_path / 'r96.onnx'),
                                   providers=['CPUExecutionProvider'])
    assert session.get_inputs()[0].shape == [1, 3, 96, 96]
