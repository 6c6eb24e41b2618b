"""The visualizer's text for multi-label predictions: every predicted label, best first."""
import torch

from mmcls_convnext.structures import DataSample
from mmcls_convnext.visualization.cls_visualizer import format_prediction_lines

CLASSES = ['cat', 'dog', 'person', 'car']


def _sample(scores, labels):
    sample = DataSample().set_pred_score(torch.tensor(scores)).set_pred_label(labels)
    sample.set_metainfo(dict(multi_label=True))
    return sample


def test_lists_each_predicted_label_with_its_score_best_first():
    sample = _sample([0.6, 0.1, 0.93, 0.55], [0, 2, 3])
    assert format_prediction_lines(sample, CLASSES, draw_gt=False) == [
        'Prediction (3 labels):', '- 2 (person) 0.93', '- 0 (cat) 0.60', '- 3 (car) 0.55']


def test_none_above_threshold_names_the_best_class():
    sample = _sample([0.2, 0.4, 0.1, 0.3], [])
    assert format_prediction_lines(sample, CLASSES, draw_gt=False) == [
        'Prediction: no class above the threshold (best: 1 (dog) 0.40)']


def test_single_label_samples_keep_the_top_k_list():
    sample = DataSample().set_pred_score(torch.tensor([0.1, 0.7, 0.2, 0.0]))
    assert format_prediction_lines(sample, CLASSES, topk=2, draw_gt=False) == [
        'Prediction:', '1. 1 (dog) 0.70', '2. 2 (person) 0.20']
