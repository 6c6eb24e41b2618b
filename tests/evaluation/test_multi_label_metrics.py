"""MultiLabelMetric / AveragePrecision / VOC metrics against scikit-learn and numpy counts on
random data (ties and empty classes included), and their one-line errors."""
import numpy as np
import pytest
import sklearn.metrics
import torch
from mmengine.evaluator import Evaluator

from mmcls_convnext.evaluation.metrics import (
    AveragePrecision,
    MetricInputError,
    MultiLabelMetric,
)
from mmcls_convnext.registry import METRICS
from mmcls_convnext.structures import DataSample


def _evaluator(*cfgs) -> Evaluator:
    return Evaluator([METRICS.build(cfg) for cfg in cfgs])


@pytest.fixture
def random_data():
    rng = np.random.default_rng(0)
    # scores rounded to 1 decimal: many ties, which AP must treat as one threshold
    scores = np.round(rng.random((40, 6)), 1)
    target = (rng.random((40, 6)) < 0.3).astype(int)
    target[:, 5] = 0  # a class without positives
    return scores, target


@pytest.mark.parametrize('average', ['macro', 'micro', None])
@pytest.mark.parametrize('thr, topk', [(0.5, None), (0.25, None), (None, 2)])
def test_precision_recall_f1_match_sklearn(random_data, average, thr, topk):
    scores, target = random_data
    if topk is not None:  # top-k among tied scores is arbitrary: untie them
        scores = scores + np.arange(scores.size).reshape(scores.shape) * 1e-6
    if thr is not None:
        pred = (scores >= thr).astype(int)
    else:
        pred = np.zeros_like(target)
        np.put_along_axis(pred, np.argsort(-scores, 1, kind='stable')[:, :topk], 1, 1)
    p, r, f, support = MultiLabelMetric.calculate(scores, target, average=average, thr=thr,
                                                  topk=topk)
    kw = dict(average=average, zero_division=0)
    np.testing.assert_allclose(p, 100 * sklearn.metrics.precision_score(target, pred, **kw))
    np.testing.assert_allclose(r, 100 * sklearn.metrics.recall_score(target, pred, **kw))
    np.testing.assert_allclose(f, 100 * sklearn.metrics.f1_score(target, pred, **kw))
    assert int(support) == target.sum()


def test_average_precision_matches_sklearn_with_ties(random_data):
    scores, target = random_data
    per_class = AveragePrecision.calculate(scores, target, average=None).numpy()
    for c in range(5):
        assert per_class[c] == pytest.approx(
            100 * sklearn.metrics.average_precision_score(target[:, c], scores[:, c]))
    assert per_class[5] == 0  # no positive: AP 0, counted in the mean (MMPretrain's rule)
    assert float(AveragePrecision.calculate(scores, target)) == pytest.approx(per_class.mean())


def test_evaluator_keys_and_index_list_labels(random_data):
    scores, target = random_data
    samples = [DataSample().set_pred_score(torch.tensor(s, dtype=torch.float32))
               .set_gt_label(np.flatnonzero(t)) for s, t in zip(scores, target)]
    evaluator = _evaluator(dict(type='MultiLabelMetric', average='micro'),
                           dict(type='AveragePrecision'),
                           dict(type='MultiLabelMetric', thr=0.3, items=['support']))
    evaluator.process(samples)
    res = evaluator.evaluate(len(samples))
    pred = (scores >= 0.5).astype(int)
    assert res['multi-label/precision_micro'] == pytest.approx(
        100 * sklearn.metrics.precision_score(target, pred, average='micro'))
    assert res['multi-label/mAP'] == pytest.approx(
        float(AveragePrecision.calculate(scores, target)))
    assert res['multi-label/support_thr-0.30'] == target.sum()


def test_voc_difficult_labels_ignored_or_counted():
    scores = np.array([[0.9, 0.2, 0.7], [0.1, 0.8, 0.6], [0.6, 0.3, 0.2], [0.2, 0.1, 0.9]])
    labels = [[0], [1], [0], [2]]
    difficult = [[2], [], [1], [0]]  # image 3 has a difficult class 0 object only
    results = {}
    for mode in (None, True, False):
        samples = []
        for s, lbl, hard in zip(scores, labels, difficult):
            sample = DataSample().set_pred_score(torch.tensor(s)).set_gt_label(lbl)
            sample.set_metainfo(dict(gt_label_difficult=hard))
            samples.append(sample)
        evaluator = _evaluator(dict(type='VOCAveragePrecision', average=None,
                                    difficult_as_positive=mode))
        evaluator.process(samples)
        results[mode] = evaluator.evaluate(4)['multi-label/AP_classwise']
    plain = np.zeros((4, 3), dtype=int)
    for i, lbl in enumerate(labels):
        plain[i, lbl] = 1
    hard = np.zeros((4, 3), dtype=bool)
    for i, h in enumerate(difficult):
        hard[i, h] = True
    for c in range(3):
        keep = ~hard[:, c]
        ignored = sklearn.metrics.average_precision_score(plain[keep, c], scores[keep, c])
        positive = sklearn.metrics.average_precision_score(plain[:, c] | hard[:, c],
                                                           scores[:, c])
        negative = sklearn.metrics.average_precision_score(plain[:, c], scores[:, c])
        assert results[None][c] == pytest.approx(100 * ignored)
        assert results[True][c] == pytest.approx(100 * positive)
        assert results[False][c] == pytest.approx(100 * negative)


@pytest.mark.parametrize('cfg, match', [
    (dict(type='MultiLabelMetric', thr=1.2), r'thr=1\.2 must be a number in \[0, 1\]'),
    (dict(type='MultiLabelMetric', average='macr'), r"Invalid `average`.*did you mean 'macro'"),
    (dict(type='AveragePrecision', average='micro'), r'Invalid `average`'),
    (dict(type='VOCMultiLabelMetric', difficult_as_positive='yes'), 'difficult_as_positive'),
])
def test_bad_arguments_are_one_line(cfg, match):
    with pytest.raises((MetricInputError, TypeError), match=match) as info:
        METRICS.build(cfg)
    assert '\n' not in str(info.value)


def test_label_outside_num_classes_names_the_image():
    sample = DataSample(metainfo=dict(img_path='imgs/cat_dog.jpg'))
    sample.set_pred_score(torch.rand(4)).set_gt_label([1, 4])
    metric = METRICS.build(dict(type='MultiLabelMetric'))
    with pytest.raises(MetricInputError, match=r'cat_dog\.jpg.*\[4\] out of range for '
                                               r'num_classes=4') as info:
        metric.process(None, [sample.to_dict()])
    assert '\n' not in str(info.value)
