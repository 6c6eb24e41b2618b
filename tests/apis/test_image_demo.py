"""demo/image_demo.py runs on the public API and uses --device, --checkpoint and --show-dir."""
import importlib.util
import json
import os.path as osp

import pytest
import torch
from PIL import Image

from mmcls_convnext.apis import get_model

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_IMG = osp.join(ROOT, 'demo', 'demo.JPEG')


def _demo():
    spec = importlib.util.spec_from_file_location('image_demo',
                                                  osp.join(ROOT, 'demo', 'image_demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_photo_is_shipped():
    with Image.open(DEMO_IMG) as img:
        assert img.format == 'JPEG' and img.size == (451, 300)


def test_demo_with_config_and_checkpoint(tiny_config, tmp_path, capsys):
    model = get_model(tiny_config)
    ckpt = tmp_path / 'w.pth'
    torch.save({'state_dict': model.state_dict()}, ckpt)
    _demo().main([DEMO_IMG, tiny_config, '--checkpoint', str(ckpt), '--device', 'cpu',
                  '--show-dir', str(tmp_path / 'vis')])
    out = capsys.readouterr().out.splitlines()
    result = json.loads(out[0])
    assert result['pred_class'] in 'abcde' and 0 < result['pred_score'] <= 1
    assert 'device: cpu' in out
    with Image.open(tmp_path / 'vis' / 'demo.png') as img:
        assert img.size[0] == 451 and img.size[1] > 300  # the label band sits above the photo


def test_demo_device_is_used(tiny_config):
    with pytest.raises(RuntimeError):  # an unknown device string reaches torch
        _demo().main([DEMO_IMG, tiny_config, '--device', 'nodevice'])


def test_demo_unknown_model_exits_with_message(capsys):
    with pytest.raises(SystemExit, match=r"error: Failed to find model 'convnext-tinyy': it is "
                       r'not a model-zoo name.*Did you mean'):
        _demo().main([DEMO_IMG, 'convnext-tinyy'])
