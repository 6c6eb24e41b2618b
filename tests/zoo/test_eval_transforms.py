"""EvalTransforms: the weights' eval preprocessing, checked against torchvision's transforms."""
import numpy as np
import pytest
import torch
from PIL import Image

from mmcls_convnext.zoo import EvalTransforms
from mmcls_convnext.zoo.metafile import AT_224, AT_384


@pytest.fixture
def png(tmp_path):
    """A smooth 300x410 RGB image saved losslessly (so every decoder reads the same pixels)."""
    y, x = np.mgrid[0:300, 0:410]
    rgb = np.stack([(x * 0.6) % 256, (y * 0.8) % 256, ((x + y) * 0.3) % 256], axis=-1)
    rgb = (rgb + 20 * np.sin(x / 7.0)[..., None]).clip(0, 255).astype(np.uint8)
    path = tmp_path / 'smooth.png'
    Image.fromarray(rgb).save(path)
    return path


def _torchvision(preset: EvalTransforms):
    """The same recipe written with torchvision (an independent implementation)."""
    from torchvision import transforms as T
    bicubic = T.InterpolationMode.BICUBIC
    if preset.crop_mode == 'squash':
        resize = [T.Resize((preset.crop_size, preset.crop_size), interpolation=bicubic)]
    else:
        resize = [T.Resize(preset.resize_size, interpolation=bicubic),
                  T.CenterCrop(preset.crop_size)]
    return T.Compose(resize + [T.ToTensor(), T.Normalize([m / 255 for m in preset.mean],
                                                         [s / 255 for s in preset.std])])


@pytest.mark.parametrize('preset', [AT_224, AT_384], ids=['224-center', '384-squash'])
def test_matches_torchvision_on_a_lossless_image(preset, png):
    ours = preset(str(png))
    theirs = _torchvision(preset)(Image.open(png).convert('RGB'))
    assert ours.shape == theirs.shape == (3, preset.crop_size, preset.crop_size)
    assert ours.dtype == torch.float32
    torch.testing.assert_close(ours, theirs, atol=1e-5, rtol=0)


def test_path_bgr_array_and_pil_image_agree(png):
    rgb = np.asarray(Image.open(png).convert('RGB'))
    from_path = AT_224(png)
    torch.testing.assert_close(AT_224(np.ascontiguousarray(rgb[..., ::-1])), from_path)
    torch.testing.assert_close(AT_224(Image.open(png)), from_path)


def test_gives_logits_equal_to_the_models_own_preprocessing(png):
    from mmcls_convnext.apis import get_model
    from mmcls_convnext.apis.pipeline import InferencePipeline
    from mmcls_convnext.zoo import get_model_info
    name = 'convnext-v2-atto_fcmae-pre_3rdparty_in1k'
    model = get_model(name, head=dict(in_channels=64),
                      backbone=dict(arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])))
    preset = get_model_info(name).transforms()
    packed = InferencePipeline(preset.pipeline())(str(png))
    data = model.data_preprocessor(dict(inputs=[packed['inputs']],
                                        data_samples=[packed['data_samples']]))
    with torch.no_grad():
        torch.testing.assert_close(model(preset(png)[None]), model(data['inputs']))


def test_pipeline_and_preprocessor_forms():
    assert AT_224.pipeline() == [
        dict(type='LoadImageFromFile'),
        dict(type='ResizeEdge', scale=256, edge='short', backend='pillow',
             interpolation='bicubic'),
        dict(type='CenterCrop', crop_size=224),
        dict(type='PackInputs')]
    assert AT_384.pipeline()[1] == dict(type='Resize', scale=(384, 384), backend='pillow',
                                        interpolation='bicubic')
    assert AT_224.data_preprocessor() == dict(type='ClsDataPreprocessor',
                                              mean=[123.675, 116.28, 103.53],
                                              std=[58.395, 57.12, 57.375], to_rgb=True)
    assert AT_224.crop_pct == 0.875 and AT_384.crop_pct == 1.0
    assert AT_384.describe().startswith('resize to 384x384 (bicubic), no crop')


@pytest.mark.parametrize('kwargs, message', [
    (dict(crop_size=224, resize_size=256, crop_mode='letterbox'), r"crop_mode must be one of"),
    (dict(crop_size=224, resize_size=200), r'resize_size \(200\) is smaller than crop_size'),
    (dict(crop_size=384, resize_size=400, crop_mode='squash'), r'resize_size must equal '
     r'crop_size \(384\); got 400'),
    (dict(crop_size=0, resize_size=256), r'crop_size must be a positive int; got 0'),
    (dict(crop_size=224, resize_size=256, interpolation='lanczos9'), r'interpolation must be'),
    (dict(crop_size=224, resize_size=256, mean=(1.0, 2.0)), r'mean needs 3 RGB values'),
])
def test_bad_settings_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        EvalTransforms(**kwargs)


def test_bad_images_are_refused():
    with pytest.raises(ValueError, match=r'Expected an \(H, W, 3\) uint8 BGR array; got shape '
                       r'\(4, 4\)'):
        AT_224(np.zeros((4, 4), np.uint8))
    with pytest.raises(TypeError, match='Expected an image path, a BGR uint8 array or a PIL '
                       'image; got int'):
        AT_224(3)
