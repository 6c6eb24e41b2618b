"""inference_model, ImageClassificationInferencer and FeatureExtractor on a tiny model."""
import copy
import socket

import mmcv
import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmcls_convnext.apis import (
    FeatureExtractor,
    ImageClassificationInferencer,
    get_model,
    inference_model,
)
from mmcls_convnext.registry import INFERENCERS


@pytest.fixture
def model(tiny_config):
    return get_model(tiny_config)


def test_result_keys_types_and_softmax(model, images):
    result = inference_model(model, images[0])
    assert sorted(result) == ['pred_class', 'pred_label', 'pred_score', 'pred_scores']
    assert type(result['pred_label']) is int and type(result['pred_score']) is float
    assert isinstance(result['pred_class'], str) and isinstance(result['pred_scores'], np.ndarray)
    scores = result['pred_scores']
    assert scores.shape == (5, ) and abs(float(scores.sum()) - 1) < 1e-5
    assert result['pred_label'] == int(scores.argmax())
    assert result['pred_score'] == pytest.approx(float(scores.max()))
    assert result['pred_class'] == 'abcde'[result['pred_label']]


def test_scores_are_softmax_of_the_logits(model, images):
    """Independent reference: preprocess by hand (BGR->RGB, resize, crop, normalise)."""
    result = inference_model(model, images[0])
    img = np.asarray(Image.open(images[0]).convert('RGB'))  # (48, 64): short edge 48 -> 40
    img = np.asarray(Image.fromarray(img).resize((53, 40), Image.BICUBIC))
    top, left = (40 - 32) // 2, (53 - 32) // 2
    img = img[top:top + 32, left:left + 32].astype(np.float32)
    x = (torch.from_numpy(img).permute(2, 0, 1) - torch.tensor([123.675, 116.28, 103.53])[:, None,
                                                                    None])
    x = x / torch.tensor([58.395, 57.12, 57.375])[:, None, None]
    with torch.no_grad():
        expected = model(x[None]).softmax(-1)[0].numpy()
    np.testing.assert_allclose(result['pred_scores'], expected, atol=1e-5)


def test_path_and_array_give_identical_predictions(model, images):
    by_path = inference_model(model, images[1])
    by_array = inference_model(model, mmcv.imread(images[1]))  # BGR, as cv2/mmcv read it
    assert by_path['pred_label'] == by_array['pred_label']
    np.testing.assert_array_equal(by_path['pred_scores'], by_array['pred_scores'])


def test_model_from_name_config_path_and_config(tiny_config, images):
    for spec in (tiny_config, Config.fromfile(tiny_config)):
        result = inference_model(get_model(spec), images[0])
        assert result['pred_scores'].shape == (5, )
    result = inference_model(get_model('convnext-v2-atto_fcmae-pre_3rdparty_in1k'), images[0])
    assert result['pred_scores'].shape == (1000, )  # zoo config: 256/224 ImageNet pipeline
    assert isinstance(result['pred_class'], str) and result['pred_class'] != ''


def test_batch_equals_single_and_folder_input(model, images):
    inferencer = ImageClassificationInferencer(model)
    singles = [inferencer(p)[0] for p in images]
    batched = inferencer(images, batch_size=2)
    folder = inferencer(str(images[0]).rsplit('/', 1)[0], batch_size=3)  # .txt is ignored
    assert len(batched) == len(folder) == 2
    for single, batch, from_folder in zip(singles, batched, folder):
        assert single['pred_label'] == batch['pred_label'] == from_folder['pred_label']
        np.testing.assert_allclose(single['pred_scores'], batch['pred_scores'], atol=1e-6)


def test_return_datasamples_and_class_override(model, images):
    inferencer = ImageClassificationInferencer(model, classes=['k', 'l', 'm', 'n', 'o'])
    sample = inferencer(images[0], return_datasamples=True)[0]
    assert sample.pred_score.shape == (5, ) and sample.pred_class in 'klmno'
    assert sample.img_path == images[0]
    with pytest.raises(ValueError, match='2 class names given for a head with 5 classes'):
        ImageClassificationInferencer(model, classes=['a', 'b'])


def _picture(path):
    with Image.open(path) as img:
        assert img.mode == 'RGB'
        return np.asarray(img)


def test_show_dir_draws_with_the_inferencer_visualizer(model, images, tmp_path):
    from mmcls_convnext.visualization import ClsVisualizer
    inferencer = ImageClassificationInferencer(model)
    assert inferencer.visualizer is None  # built on the first call that draws
    array = mmcv.imread(images[1])
    inferencer([images[0], array], show_dir=str(tmp_path / 'vis'))
    assert isinstance(inferencer.visualizer, ClsVisualizer)
    # paths keep their stem; arrays are numbered by the pictures drawn so far (as MMPretrain)
    assert sorted(p.name for p in (tmp_path / 'vis').iterdir()) == ['1.png', 'img0.png']
    drawn = _picture(tmp_path / 'vis' / 'img0.png')
    # 48 px short edge: enlarged x5 (nearest) to reach 224 px, with the label band on top
    assert drawn.shape[1] == 64 * 5 and drawn.shape[0] > 48 * 5
    original = np.asarray(Image.open(images[0]).convert('RGB'))
    assert (drawn[-48 * 5:] == original.repeat(5, axis=0).repeat(5, axis=1)).all()
    assert (drawn[:-48 * 5] != drawn[-1, -1]).any()  # the band above holds the label
    assert _picture(tmp_path / 'vis' / '1.png').shape[1] == 50 * 5
    # a size the caller chooses is kept (no enlarging); the band still goes above the image
    inferencer(images[0], show_dir=str(tmp_path / 'scaled'), rescale_factor=2.)
    scaled = _picture(tmp_path / 'scaled' / 'img0.png')
    plain = mmcv.imrescale(mmcv.imread(images[0]), 2.)[..., ::-1]
    left = (scaled.shape[1] - 128) // 2
    assert scaled.shape[0] > 96 and (scaled[-96:, left:left + 128] == plain).all()
    inferencer(array, show_dir=str(tmp_path / 'vis'), resize=35)
    resized = _picture(tmp_path / 'vis' / '3.png')  # short edge 35: 35 x 49 under the band
    left = (resized.shape[1] - 35) // 2  # the band is wider than 35 px: image centred below
    assert (resized[-49:, left:left + 35] == mmcv.imresize(array, (35, 49))[..., ::-1]).all()


def test_draw_score_false_draws_other_text(model, images, tmp_path):
    inferencer = ImageClassificationInferencer(model)
    inferencer(images[0], show_dir=str(tmp_path / 'a'), resize=256)
    inferencer(images[0], show_dir=str(tmp_path / 'b'), resize=256, draw_score=False)
    with_score, without = _picture(tmp_path / 'a' / 'img0.png'), _picture(tmp_path / 'b' /
                                                                          'img0.png')
    assert with_score.shape[1] == without.shape[1] == 341  # short edge 256, under the band
    assert (with_score[-256:] == without[-256:]).all()
    assert (with_score != without).any()


def test_inferencer_config_is_the_model_config(model):
    inferencer = ImageClassificationInferencer(model)
    assert inferencer.config is model._config is model.cfg and inferencer.cfg is model.cfg


def test_bad_drawing_options_are_refused(model, images, tmp_path, monkeypatch):
    inferencer = ImageClassificationInferencer(model)
    with pytest.raises(ValueError, match=r'resize must be a positive int \(pixels\); got 0'):
        inferencer(images[0], show_dir=str(tmp_path), resize=0)
    with pytest.raises(ValueError, match=r'rescale_factor must be > 0; got -1'):
        inferencer(images[0], show_dir=str(tmp_path), rescale_factor=-1)
    monkeypatch.delenv('DISPLAY', raising=False)
    with pytest.raises(ValueError, match='show=True needs a display'):
        inferencer(images[0], show=True)


def test_config_path_without_weights_runs_offline_with_a_warning(tiny_config, images):
    message = r'tiny_cfg\.py names no weights .* random initial weights'
    with pytest.warns(UserWarning, match=message):
        inferencer = ImageClassificationInferencer(tiny_config)
    assert inferencer.config.filename == tiny_config
    assert sorted(inferencer(images[0])[0]) == ['pred_class', 'pred_label', 'pred_score',
                                                'pred_scores']
    with pytest.warns(UserWarning, match=message):
        result = inference_model(tiny_config, images[1])
    assert result['pred_class'] in 'abcde'
    named = inference_model(tiny_config, images[1], pretrained=False, classes=list('vwxyz'))
    assert named['pred_class'] in 'vwxyz'
    assert ImageClassificationInferencer.list_models('convnext-v2-atto*') == [
        'convnext-v2-atto_fcmae-pre_3rdparty_in1k']


def test_progress_bar_for_many_inputs(model, images, capsys):
    ImageClassificationInferencer(model)(images, batch_size=1)
    assert 'Inference' in capsys.readouterr().err


def test_bad_inputs_name_the_input(model, tmp_path):
    inferencer = ImageClassificationInferencer(model)
    missing = str(tmp_path / 'missing.jpg')
    with pytest.raises(FileNotFoundError, match=r'Input image .*missing\.jpg does not exist'):
        inference_model(model, missing)
    sock = socket.socket()
    sock.bind(('127.0.0.1', 0))
    port = sock.getsockname()[1]
    sock.close()
    url = f'http://127.0.0.1:{port}/cat.jpg'
    with pytest.raises(ValueError, match=rf'Cannot fetch input image {url}'):
        inferencer(url)
    with pytest.raises(ValueError, match=r'batch_size must be a positive int; got 0'):
        inferencer(missing, batch_size=0)
    with pytest.raises(TypeError, match='inference_model takes one image'):
        inference_model(model, [missing])
    with pytest.raises(ValueError, match=r'must be \(H, W\) or \(H, W, 1\|3\|4\)'):
        inferencer(np.zeros((2, 3, 4, 5), dtype=np.uint8))


def test_headless_model_is_refused():
    with pytest.raises(ValueError, match='no classification head .*FeatureExtractor'):
        ImageClassificationInferencer('convnext-v2-atto_3rdparty-fcmae_in1k', pretrained=False)


def test_registered_inferencer():
    assert INFERENCERS.get('ImageClassificationInferencer') is ImageClassificationInferencer


def test_feature_extractor_stages(tiny_config, images):
    extractor = FeatureExtractor(tiny_config, pretrained=False, backbone=dict(
        out_indices=(0, 1, 2, 3), gap_before_final_norm=False))
    feats = extractor(images, batch_size=2)
    assert len(feats) == 2
    assert [tuple(f.shape) for f in feats[0]] == [(8, 8, 8), (16, 4, 4), (32, 2, 2), (64, 1, 1)]
    pooled = FeatureExtractor(tiny_config, pretrained=False, stage='pre_logits')(images[0])[0]
    assert len(pooled) == 1 and pooled[0].shape == (64, )
    with pytest.raises(ValueError, match=r"Unknown stage 'head'; choose one of"):
        FeatureExtractor(tiny_config, pretrained=False, stage='head')
    with pytest.raises(TypeError, match=r"Model options \['head'\] only apply"):
        FeatureExtractor(get_model(tiny_config), head=dict(num_classes=2))


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_matches_cpu(tiny_config, images):
    model = get_model(tiny_config)
    gpu_model = copy.deepcopy(model)
    cpu = ImageClassificationInferencer(model, device='cpu')(images)
    gpu = ImageClassificationInferencer(gpu_model, device='cuda')(images)
    assert next(gpu_model.parameters()).is_cuda
    for a, b in zip(cpu, gpu):
        np.testing.assert_allclose(a['pred_scores'], b['pred_scores'], atol=1e-4)


@pytest.mark.parametrize('name,size', [('convnext-v2-atto_fcmae-pre_3rdparty_in1k', 224),
                                       ('convnext-v2-nano_fcmae-in21k-pre_3rdparty_in1k-384px',
                                        384)])
def test_zoo_models_use_their_config_eval_pipeline(name, size, images):
    inferencer = ImageClassificationInferencer(name, pretrained=False)
    names = [type(t).__name__ for t in inferencer.pipeline.transforms]
    assert names == (['ResizeEdge', 'CenterCrop', 'PackInputs'] if size == 224 else
                     ['Resize', 'PackInputs'])
    data, originals = inferencer.prepare(images)
    assert [tuple(x.shape) for x in data['inputs']] == [(3, size, size)] * 2
    assert originals[1].shape == (70, 50, 3)


def test_weights_path_for_a_built_model(tiny_config, images, tmp_path):
    trained = get_model(tiny_config)
    path = tmp_path / 'w.pth'
    torch.save({'state_dict': trained.state_dict(),
                'meta': {'dataset_meta': {'classes': list('vwxyz')}}}, path)
    expected = inference_model(trained, images[0])
    fresh = get_model(tiny_config)  # other random weights
    result = ImageClassificationInferencer(fresh, pretrained=str(path))(images[0])[0]
    np.testing.assert_array_equal(result['pred_scores'], expected['pred_scores'])
    assert result['pred_class'] in 'vwxyz'


@pytest.mark.parametrize('array, message', [
    (np.full((32, 32, 3), 0.5, np.float32), r'holds values in \[0, 1\] \(normalised pixels\?\): '
     r'inputs are 0-255 pixel values'),
    (np.full((32, 32, 3), np.nan, np.float32), 'contains NaN or infinite values'),
    (np.zeros((32, 32, 3), bool), r'dtype bool\): expected uint8 pixel values 0-255'),
    (np.full((32, 32, 3), 300, np.int64), r'holds values 300\.\.300, outside the 0-255'),
    (np.zeros((0, 0, 3), np.uint8), r'0, 3\), dtype uint8\) is empty'),
])
def test_arrays_that_are_not_pixels_are_refused(model, array, message):
    """Issue 20, finding 5: float [0, 1] arrays were taken as 0-255 pixels silently, int64 /
    bool / 0x0 arrays failed inside cv2, an all-NaN image gave a NaN score."""
    with pytest.raises(ValueError, match=rf'Input array \(shape .*{message}'):
        inference_model(model, array)


def test_integer_arrays_within_0_255_equal_uint8(model):
    pixels = np.random.default_rng(0).integers(0, 256, (32, 32, 3))
    as_int64 = inference_model(model, pixels)
    as_uint8 = inference_model(model, pixels.astype(np.uint8))
    np.testing.assert_array_equal(as_int64['pred_scores'], as_uint8['pred_scores'])
