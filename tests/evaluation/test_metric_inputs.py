"""Accuracy / ConfusionMatrix static helpers take lists, numpy arrays and labels, as in MMPretrain.

References are plain numpy / python loops, not the code under test.
"""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mmcls_convnext.evaluation import Accuracy, ConfusionMatrix, MetricInputError
from mmcls_convnext.structures import DataSample


@pytest.fixture
def data():
    rng = np.random.default_rng(3)
    scores = rng.random((30, 6))
    labels = rng.integers(0, 6, 30)
    return scores, labels


def topk_percent(scores, labels, k, thr=None):
    """Independent: a hit when the label is among the k best and its score passes thr."""
    hits = 0
    for row, label in zip(scores, labels):
        best = sorted(range(len(row)), key=lambda c: -row[c])[:k]
        hits += label in best and (thr is None or row[label] > thr)
    return 100.0 * hits / len(labels)


@pytest.mark.parametrize('convert', [np.asarray, lambda a: a.tolist(), torch.as_tensor],
                         ids=['numpy', 'list', 'tensor'])
def test_accuracy_calculate_from_scores_any_container(data, convert):
    scores, labels = data
    table = Accuracy.calculate(convert(scores), convert(labels), topk=(1, 3), thrs=(None, 0.5))
    assert len(table) == 2 and all(len(row) == 2 for row in table)
    for row, k in zip(table, (1, 3)):
        for value, thr in zip(row, (None, 0.5)):
            assert isinstance(value, torch.Tensor) and value.shape == (1,)
            assert value.item() == pytest.approx(topk_percent(scores, labels, k, thr), rel=1e-6)


def test_accuracy_calculate_from_labels_ignores_topk_and_thrs(data):
    scores, labels = data
    pred_labels = scores.argmax(1)
    acc = Accuracy.calculate(list(pred_labels), labels, topk=(1,), thrs=(0.99,))
    assert isinstance(acc, torch.Tensor) and acc.shape == (1,)
    assert acc.item() == pytest.approx(100.0 * np.mean(pred_labels == labels))


def test_accuracy_calculate_errors(data):
    scores, labels = data
    with pytest.raises(TypeError, match=r"<class 'str'> is not a valid Accuracy.calculate "
                                        r'target'):
        Accuracy.calculate(scores, 'hi')
    with pytest.raises(ValueError, match=r'Top-7 accuracy is unavailable since the number of '
                                         r'categories is 6; use topk values <= 6'):
        Accuracy.calculate(scores, labels, topk=(1, 7))


def test_accuracy_labels_only_reports_top1_whatever_the_thresholds(data):
    scores, labels = data
    samples = [DataSample().set_pred_label(int(s.argmax())).set_gt_label(int(t)).to_dict()
               for s, t in zip(scores, labels)]
    metric = Accuracy(thrs=(0., 0.6, None))
    metric.process(None, samples)
    assert metric.evaluate(30) == {
        'accuracy/top1': pytest.approx(topk_percent(scores, labels, 1))}


@pytest.mark.parametrize('kwargs, match', [
    (dict(thrs='0.5'), 'thrs must be a number, None, or a sequence'),
    (dict(topk=(1, True)), 'topk must be positive ints'),
])
def test_accuracy_rejects_bad_arguments_also_as_assertion(kwargs, match):
    with pytest.raises(AssertionError, match=match):  # MMPretrain asserts these
        Accuracy(**kwargs)
    with pytest.raises(ValueError, match=match):
        Accuracy(**kwargs)


def loop_matrix(pred_labels, labels, num_classes):
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    for p, t in zip(pred_labels, labels):
        matrix[t, p] += 1
    return matrix


@pytest.mark.parametrize('convert', [np.asarray, lambda a: a.tolist(), torch.as_tensor],
                         ids=['numpy', 'list', 'tensor'])
def test_confusion_matrix_calculate_infers_classes_from_scores(data, convert):
    scores, labels = data
    matrix = ConfusionMatrix.calculate(convert(scores), convert(labels))
    assert isinstance(matrix, torch.Tensor) and matrix.shape == (6, 6)
    np.testing.assert_array_equal(matrix.numpy(), loop_matrix(scores.argmax(1), labels, 6))


def test_confusion_matrix_calculate_from_labels_needs_num_classes(data):
    scores, labels = data
    pred_labels = list(scores.argmax(1))
    with pytest.raises(MetricInputError, match='Please specify the `num_classes`'):
        ConfusionMatrix.calculate(pred_labels, labels)
    matrix = ConfusionMatrix.calculate(pred_labels, labels, num_classes=8)
    np.testing.assert_array_equal(matrix.numpy(), loop_matrix(pred_labels, labels, 8))
    with pytest.raises(ValueError, match='num_classes=4 but the scores have 6 classes'):
        ConfusionMatrix.calculate(scores, labels, num_classes=4)
    with pytest.raises(TypeError, match=r"<class 'str'> is not a valid ConfusionMatrix"):
        ConfusionMatrix.calculate(pred_labels, 'hi', num_classes=6)


def test_confusion_matrix_metric_labels_only_needs_num_classes(data):
    scores, labels = data
    samples = [dict(pred_label=torch.tensor([int(s.argmax())]), gt_label=torch.tensor([int(t)]))
               for s, t in zip(scores, labels)]
    metric = ConfusionMatrix()
    metric.process(None, samples)
    with pytest.raises(AssertionError, match=r"Please specify the `num_classes`, e\.g\. "
                                             r"val_evaluator = dict\(type='ConfusionMatrix'"):
        metric.evaluate(30)
    metric = ConfusionMatrix(num_classes=6)
    metric.process(None, samples)
    result = metric.evaluate(30)['confusion_matrix/result']
    np.testing.assert_array_equal(result.numpy(), loop_matrix(scores.argmax(1), labels, 6))


def test_confusion_matrix_plot_show_flag(monkeypatch):
    import matplotlib.pyplot as plt
    matrix = torch.tensor([[2, 0, 1], [0, 1, 1], [0, 0, 1]])
    shown = []
    monkeypatch.setattr(plt, 'show', lambda *a, **k: shown.append(True))
    fig = ConfusionMatrix.plot(matrix, include_values=True, show=False)
    assert isinstance(fig, Figure) and not shown
    assert sorted(t.get_text() for t in fig.axes[0].texts) == sorted('201011001')
    fig = ConfusionMatrix.plot(matrix, show=True)
    assert shown == [True] and isinstance(fig, Figure)
    plt.close(fig)
    with pytest.raises(TypeError):  # options are keyword-only: no silent positional mix-up
        ConfusionMatrix.plot(matrix, True)
