"""ConfusionMatrix: counts equal a plain loop; the plot is a matplotlib figure."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from mmcls_convnext.evaluation import ConfusionMatrix, plot_confusion_matrix
from mmcls_convnext.registry import METRICS


@pytest.fixture
def preds():
    rng = np.random.default_rng(1)
    return rng.random((40, 4)).astype(np.float32), rng.integers(0, 4, 40)


def test_counts_match_loop(preds):
    scores, labels = preds
    metric = METRICS.build(dict(type='ConfusionMatrix'))
    metric.process(None, [dict(pred_score=torch.from_numpy(s), gt_label=torch.tensor([int(t)]))
                          for s, t in zip(scores, labels)])
    result = metric.evaluate(40)['confusion_matrix/result']
    expected = np.zeros((4, 4), int)
    for s, t in zip(scores, labels):
        expected[t, s.argmax()] += 1
    np.testing.assert_array_equal(result.numpy(), expected)
    assert int(result.sum()) == 40


def test_labels_and_num_classes():
    metric = ConfusionMatrix(num_classes=5)
    metric.process(None, [dict(pred_label=torch.tensor([1]), gt_label=torch.tensor([2]))])
    result = metric.evaluate(1)['confusion_matrix/result']
    assert result.shape == (5, 5) and result[2, 1] == 1


def test_calculate_errors():
    with pytest.raises(ValueError, match=r'target labels must be in \[0, 3\); got \[0, 3\]'):
        ConfusionMatrix.calculate(torch.tensor([0, 1]), torch.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match='num_classes must be a positive int'):
        ConfusionMatrix(num_classes=0)


def test_plot_returns_labelled_figure(tmp_path):
    matrix = torch.tensor([[5, 1], [2, 7]])
    fig = plot_confusion_matrix(matrix, classes=['cat', 'dog'], normalize=True)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ['cat', 'dog']
    assert ax.get_ylabel() == 'True label' and ax.get_xlabel() == 'Predicted label'
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(['0.83', '0.17', '0.22', '0.78'])
    fig.savefig(tmp_path / 'cm.png')
    assert (tmp_path / 'cm.png').stat().st_size > 1000
    with pytest.raises(ValueError, match='3 class names given for a 2x2 matrix'):
        ConfusionMatrix.plot(matrix, classes=['a', 'b', 'c'])


def test_a_huge_num_classes_is_refused_before_allocating():
    """Issue 20, finding 4: a results file whose records say num_classes=1e8 made
    confusion_matrix.py try to allocate 8e16 bytes."""
    from mmcls_convnext.evaluation.metrics import ConfusionMatrix
    from mmcls_convnext.evaluation.metrics.utils import MetricInputError
    with pytest.raises(MetricInputError, match=r'num_classes=100000000: a confusion matrix of '
                       r'100000000 x 100000000 counts would take 8e\+07 GB; at most 32768'):
        ConfusionMatrix.calculate(torch.tensor([0]), torch.tensor([0]), num_classes=10 ** 8)
