"""Accuracy: equals an independent numpy top-k computation; MMPretrain's keys."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator

from mmcls_convnext.evaluation import Accuracy
from mmcls_convnext.registry import METRICS
from mmcls_convnext.structures import DataSample


def numpy_topk(scores: np.ndarray, labels: np.ndarray, k: int) -> float:
    order = np.argsort(-scores, axis=1, kind='stable')[:, :k]
    return 100.0 * np.mean([labels[i] in order[i] for i in range(len(labels))])


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    scores = rng.random((50, 10)).astype(np.float32)
    scores /= scores.sum(1, keepdims=True)
    labels = rng.integers(0, 10, 50)
    return scores, labels


def samples_from(scores, labels):
    return [DataSample().set_pred_score(torch.from_numpy(s)).set_gt_label(int(lab)).to_dict()
            for s, lab in zip(scores, labels)]


def test_registered():
    assert METRICS.get('Accuracy') is Accuracy


def test_top1_top5_equal_numpy(batch):
    scores, labels = batch
    evaluator = Evaluator(Accuracy(topk=(1, 5)))
    evaluator.process(samples_from(scores[:20], labels[:20]))
    evaluator.process(samples_from(scores[20:], labels[20:]))
    metrics = evaluator.evaluate(50)
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}
    assert metrics['accuracy/top1'] == pytest.approx(numpy_topk(scores, labels, 1))
    assert metrics['accuracy/top5'] == pytest.approx(numpy_topk(scores, labels, 5))
    assert 0 < metrics['accuracy/top1'] < metrics['accuracy/top5'] < 100


def test_perfect_scores_and_k_above_num_classes():
    scores = np.eye(3, dtype=np.float32)
    metric = Accuracy(topk=(1, 3))
    metric.process(None, samples_from(scores, np.arange(3)))
    assert metric.evaluate(3) == {'accuracy/top1': 100.0, 'accuracy/top3': 100.0}
    # top-5 of 3 classes would be a meaningless 100 %: refused, naming the config field to fix
    metric = Accuracy(topk=(1, 5))
    metric.process(None, samples_from(scores, np.arange(3)))
    with pytest.raises(ValueError, match=r'top-5 accuracy is unavailable since the predictions '
                                         r'have 3 classes.*check the `val_evaluator`'):
        metric.evaluate(3)


def test_thresholds(batch):
    scores, labels = batch
    metric = Accuracy(topk=(1,), thrs=(None, 0.15))
    metric.process(None, samples_from(scores, labels))
    out = metric.evaluate(50)
    top = scores.argmax(1)
    expected = 100.0 * np.mean((top == labels) & (scores.max(1) > 0.15))
    assert out['accuracy/top1_no-thr'] == pytest.approx(numpy_topk(scores, labels, 1))
    assert out['accuracy/top1_thr-0.15'] == pytest.approx(expected)


def test_soft_targets_use_argmax(batch):
    scores, labels = batch
    samples = [DataSample().set_pred_score(torch.from_numpy(s))
               .set_gt_score(torch.nn.functional.one_hot(torch.tensor(int(lab)), 10).float()
                             * 0.8 + 0.02).to_dict() for s, lab in zip(scores, labels)]
    metric = Accuracy(topk=(1, 5))
    metric.process(None, samples)
    assert metric.evaluate(50)['accuracy/top5'] == pytest.approx(numpy_topk(scores, labels, 5))


def test_pred_label_only(batch):
    scores, labels = batch
    samples = [DataSample().set_pred_label(int(s.argmax())).set_gt_label(int(lab))
               for s, lab in zip(scores, labels)]  # DataSample objects work too
    metric = Accuracy()
    metric.process(None, samples)
    assert metric.evaluate(50)['accuracy/top1'] == pytest.approx(numpy_topk(scores, labels, 1))
    metric = Accuracy(topk=(1, 5))
    metric.process(None, samples)
    with pytest.raises(ValueError, match=r'topk=\(1, 5\)\) needs pred_score'):
        metric.evaluate(50)


def test_errors():
    with pytest.raises(ValueError, match='topk must be positive ints'):
        Accuracy(topk=(0,))
    metric = Accuracy()
    with pytest.raises(KeyError, match='neither gt_label nor gt_score'):
        metric.process(None, [dict(pred_score=torch.ones(3))])
    with pytest.raises(KeyError, match='neither pred_score nor pred_label'):
        metric.process(None, [dict(gt_label=torch.tensor([1]))])
    with pytest.raises(ValueError, match=r'pred must be scores \(N, C\) or labels \(N,\), and '
                                         r'target labels \(N,\); got \(4, 3\) and \(5,\)'):
        Accuracy.calculate(torch.ones(4, 3), torch.ones(5))
