"""ClsVisualizer: text lines, drawing, backends and files."""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from mmcls_convnext.registry import VISUALIZERS
from mmcls_convnext.structures import DataSample
from mmcls_convnext.visualization import ClsVisualizer, format_prediction_lines, tensor_to_rgb
from mmcls_convnext.visualization.annotate import (
    BAND_COLORS,
    TEXT_COLOR,
    band_layout,
    font_size_for,
)

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


def _band_height(drawn, image_height):
    return drawn.shape[0] - image_height


def test_small_image_is_enlarged_under_a_band_of_text():
    vis = ClsVisualizer(name='test_upscale')
    image = np.full((32, 48, 3), 200, np.uint8)
    drawn = vis.draw_prediction(image, _sample(), CLASSES, min_size=224)
    # 32 px short edge: x7 nearest -> 224 x 336, the band of 7 text lines on top
    assert drawn.shape[1:] == (336, 3) and drawn.shape[0] > 224
    band = _band_height(drawn, 224)
    lines = format_prediction_lines(_sample(), CLASSES)
    assert band == band_layout(lines, font_size_for(336))[1]
    assert (drawn[band:] == 200).all()  # the picture itself is not drawn over
    # prediction 1 != ground truth 3: the band is red, with white text
    assert (drawn[:band] == BAND_COLORS[False]).all(axis=-1).mean() > 0.5
    assert (drawn[:band] == TEXT_COLOR).all(axis=-1).any()


def test_band_is_green_for_a_right_prediction_and_grey_without_truth():
    vis = ClsVisualizer(name='test_status')
    right = DataSample().set_gt_label(1).set_pred_score(torch.tensor([0.2, 0.8]))
    drawn = vis.draw_prediction(np.zeros((224, 224, 3), np.uint8), right)
    assert tuple(drawn[0, -1]) == BAND_COLORS[True]
    no_truth = DataSample().set_pred_score(torch.tensor([0.2, 0.8]))
    drawn = vis.draw_prediction(np.zeros((224, 224, 3), np.uint8), no_truth)
    assert tuple(drawn[0, -1]) == BAND_COLORS[None]


def test_grey_image_accepted():
    vis = ClsVisualizer(name='test_grey')
    drawn = vis.draw_prediction(np.zeros((40, 40), np.uint8), _sample(), min_size=40)
    # not enlarged; the band is wider than 40 px, so the picture is widened for the text
    assert drawn.shape[2] == 3 and drawn.shape[0] > 40 and drawn.shape[1] > 40


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
    height, width = cv2.imread(str(path)).shape[:2]
    assert width == 224 and height > 224


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
