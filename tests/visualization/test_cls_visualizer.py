"""ClsVisualizer: text lines, drawing, backends and files."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmcls_convnext.registry import VISUALIZERS
from mmcls_convnext.structures import DataSample
from mmcls_convnext.visualization import ClsVisualizer, format_prediction_lines, tensor_to_rgb

CLASSES = [f'class{i}' for i in range(6)]


def _sample():
    scores = torch.tensor([0.05, 0.4, 0.1, 0.3, 0.1, 0.05])
    return DataSample().set_gt_label(3).set_pred_score(scores).set_pred_label(1)


def test_lines_list_gt_then_topk_in_score_order():
    lines = format_prediction_lines(_sample(), CLASSES, topk=3)
    assert lines == ['Ground truth: 3 (class3)', 'Prediction:', '1. 1 (class1) 0.40',
                     '2. 3 (class3) 0.30', '3. 2 (class2) 0.10']


def test_lines_without_classes_scores_or_gt():
    lines = format_prediction_lines(_sample(), None, topk=2, draw_gt=False, draw_score=False)
    assert lines == ['Prediction:', '1. 1', '2. 3']


def test_topk_larger_than_num_classes_is_capped():
    assert len(format_prediction_lines(_sample(), CLASSES, topk=50, draw_gt=False)) == 1 + 6


def test_topk_must_be_positive():
    with pytest.raises(ValueError, match='topk must be >= 1; got 0'):
        format_prediction_lines(_sample(), CLASSES, topk=0)


def test_registered_in_our_scope():
    vis = VISUALIZERS.build(dict(type='ClsVisualizer', name='test_registered'))
    assert isinstance(vis, ClsVisualizer)


def test_small_image_is_upscaled_and_text_changes_pixels():
    vis = ClsVisualizer(name='test_upscale')
    image = np.full((32, 48, 3), 200, np.uint8)
    drawn = vis.draw_prediction(image, _sample(), CLASSES, min_size=224)
    assert drawn.shape == (224, 336, 3)
    # the dark text box covers the top-left corner; the bottom-right stays untouched
    assert drawn[:10, :30].mean() < 150
    assert (drawn[-5:, -5:] == 200).all()


def test_grey_image_accepted():
    vis = ClsVisualizer(name='test_grey')
    assert vis.draw_prediction(np.zeros((40, 40), np.uint8), _sample(), min_size=40).shape == (
        40, 40, 3)


def test_bad_image_type_is_rejected():
    vis = ClsVisualizer(name='test_bad')
    with pytest.raises(TypeError, match=r'image must be an \(H, W, 3\)'):
        vis.draw_prediction(torch.zeros(3, 8, 8), _sample())


def test_add_datasample_goes_to_local_backend(tmp_path):
    vis = ClsVisualizer(name='test_local', vis_backends=[dict(type='LocalVisBackend')],
                        save_dir=str(tmp_path))
    vis.add_datasample('img', np.zeros((32, 32, 3), np.uint8), _sample(), step=7)
    path = tmp_path / 'vis_data' / 'vis_image' / 'img_7.png'
    assert path.is_file()
    assert cv2.imread(str(path)).shape == (224, 224, 3)


def test_add_datasample_out_file_is_rgb_correct(tmp_path):
    vis = ClsVisualizer(name='test_out')
    image = np.zeros((300, 300, 3), np.uint8)
    image[..., 0] = 255  # pure red in RGB
    out = tmp_path / 'sub' / 'x.png'
    vis.add_datasample('x', image, _sample(), out_file=str(out))
    saved = cv2.imread(str(out))  # BGR
    assert osp.isfile(out)
    assert tuple(saved[-1, -1]) == (0, 0, 255)


def test_tensor_to_rgb_flips_bgr():
    t = torch.zeros(3, 2, 2, dtype=torch.uint8)
    t[0] = 10  # B
    t[2] = 30  # R
    assert tensor_to_rgb(t)[0, 0].tolist() == [30, 0, 10]
    assert tensor_to_rgb(t, bgr=False)[0, 0].tolist() == [10, 0, 30]
    assert tensor_to_rgb(torch.full((1, 2, 2), 5, dtype=torch.uint8)).shape == (2, 2, 3)


def test_tensor_to_rgb_rejects_batches():
    with pytest.raises(TypeError, match=r'shape \(C, H, W\)'):
        tensor_to_rgb(torch.zeros(1, 3, 4, 4))
