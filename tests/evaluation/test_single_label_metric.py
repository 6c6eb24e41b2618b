"""SingleLabelMetric: values against plain numpy counts, hand-checked cases, keys and errors."""
import numpy as np
import pytest
import torch

from mmcls_convnext.evaluation import MetricInputError, SingleLabelMetric
from mmcls_convnext.registry import METRICS
from mmcls_convnext.structures import DataSample

ALL_ITEMS = ('precision', 'recall', 'f1-score', 'support')


def reference(scores, labels, thr=None, num_classes=None):
    """Independent: per-class (precision, recall, f1 in percent, support) by counting loops."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim == 1:  # labels
        pred, kept = scores.astype(int), [True] * len(scores)
    else:
        num_classes = scores.shape[1]
        pred = scores.argmax(1)
        kept = [thr is None or row.max() > thr for row in scores]
    tp = np.zeros(num_classes)
    npred = np.zeros(num_classes)
    ngt = np.zeros(num_classes)
    for p, g, k in zip(pred, labels, kept):
        ngt[g] += 1
        if k:
            npred[p] += 1
            tp[p] += p == g
    return tp, npred, ngt


def per_class(tp, npred, ngt):
    precision = [100 * t / n if n else 0. for t, n in zip(tp, npred)]
    recall = [100 * t / n if n else 0. for t, n in zip(tp, ngt)]
    f1 = [2 * p * r / (p + r) if p + r else 0. for p, r in zip(precision, recall)]
    return precision, recall, f1, list(ngt)


def evaluate(samples, **kwargs):
    metric = METRICS.build(dict(type='SingleLabelMetric', **kwargs))
    metric.process(None, [s.to_dict() if isinstance(s, DataSample) else s for s in samples])
    return metric.evaluate(len(samples))


def score_samples(scores, labels):
    return [DataSample().set_pred_score(torch.as_tensor(s, dtype=torch.float32))
            .set_gt_label(int(g)) for s, g in zip(scores, labels)]


@pytest.fixture
def data():
    rng = np.random.default_rng(7)
    scores = rng.dirichlet(np.ones(5), size=40)
    labels = rng.integers(0, 5, 40)
    return scores, labels


@pytest.mark.parametrize('thr', [0., 0.4, None])
def test_macro_micro_and_classwise_against_numpy_counts(data, thr):
    scores, labels = data
    tp, npred, ngt = reference(scores, labels, thr)
    precision, recall, f1, support = per_class(tp, npred, ngt)
    samples = score_samples(scores, labels)
    macro = evaluate(samples, thrs=thr, items=ALL_ITEMS)
    assert macro == pytest.approx({'single-label/precision': np.mean(precision),
                                   'single-label/recall': np.mean(recall),
                                   'single-label/f1-score': np.mean(f1),
                                   'single-label/support': 40}, rel=1e-5)
    assert isinstance(macro['single-label/support'], int)
    classwise = evaluate(samples, thrs=thr, items=ALL_ITEMS, average=None)
    assert set(classwise) == {f'single-label/{i}_classwise' for i in ALL_ITEMS}
    for item, expected in zip(ALL_ITEMS, (precision, recall, f1, support)):
        assert classwise[f'single-label/{item}_classwise'] == pytest.approx(expected, rel=1e-5)
    micro = evaluate(samples, thrs=thr, items=ALL_ITEMS, average='micro')
    p, r = 100 * tp.sum() / max(npred.sum(), 1), 100 * tp.sum() / ngt.sum()
    assert micro == pytest.approx({'single-label/precision_micro': p,
                                   'single-label/recall_micro': r,
                                   'single-label/f1-score_micro': 2 * p * r / (p + r),
                                   'single-label/support_micro': 40}, rel=1e-5)


def test_hand_checked_case_with_a_class_never_predicted():
    # class 2 is never predicted: its precision is 0 (zero division), not NaN
    pred = [0, 0, 1, 1, 0]
    target = [0, 1, 1, 2, 0]
    precision, recall, f1, support = SingleLabelMetric.calculate(
        pred, target, average=None, num_classes=3)
    assert precision.tolist() == pytest.approx([200 / 3, 50., 0.])
    assert recall.tolist() == pytest.approx([100., 50., 0.])
    assert f1.tolist() == pytest.approx([80., 50., 0.])
    assert support.tolist() == [2, 2, 1]
    macro = SingleLabelMetric.calculate(np.array(pred), np.array(target), num_classes=3)
    assert [v.item() for v in macro] == pytest.approx([350 / 9, 50., 130 / 3, 5])


def test_threshold_drops_low_score_predictions_from_precision_but_not_from_support():
    scores = [[0.9, 0.1], [0.55, 0.45], [0.3, 0.7], [0.6, 0.4]]
    target = [0, 1, 1, 0]  # sample 1 is wrong (predicts 0 at 0.55)
    (low, high) = SingleLabelMetric.calculate(scores, target, thrs=(0.5, 0.65),
                                              average='micro')
    assert [v.item() for v in low] == pytest.approx([75., 75., 75., 4])
    # at 0.65 only samples 0 and 2 predict anything; both right
    assert [v.item() for v in high] == pytest.approx([100., 50., 200 / 3, 4])
    # macro, no threshold: class 0 predicted by samples 0, 1, 3 (2 right), class 1 by sample 2;
    # at 0.58 the wrong 0.55 prediction of sample 1 is dropped
    keys = evaluate(score_samples(scores, target), thrs=(0.58, None), items=['precision'])
    assert keys == pytest.approx({'single-label/precision_thr-0.58': 100.,
                                  'single-label/precision_no-thr': 100 * (2 / 3 + 1) / 2})


def test_label_only_samples_need_num_classes_and_ignore_thresholds():
    samples = [dict(pred_label=torch.tensor([p]), gt_label=torch.tensor([g]))
               for p, g in zip([0, 2, 2, 1], [0, 2, 1, 1])]
    with pytest.raises(MetricInputError, match=r"Please specify the `num_classes`, e\.g\. "
                       r"val_evaluator = dict\(type='SingleLabelMetric', num_classes=10\)"):
        evaluate(samples)
    # MMPretrain's check: in process(), as the first such sample arrives, not after the run
    metric = SingleLabelMetric()
    with pytest.raises(MetricInputError, match='the `num_classes` must be specified'):
        metric.process(None, samples[:1])
    assert metric.results == []
    # a sample's own num_classes (DataSample metainfo, as set_pred_score sets it) is enough
    own = [dict(s, num_classes=3) for s in samples]
    assert evaluate(own, average=None) == evaluate(samples, num_classes=3, average=None)
    with pytest.raises(MetricInputError, match=r'different num_classes \[3, 4\]'):
        evaluate(own[:2] + [dict(s, num_classes=4) for s in samples[2:]])
    metrics = evaluate(samples, num_classes=3, thrs=(0.9, None), average=None)
    expected = {'single-label/precision_classwise': [100., 100., 50.],
                'single-label/recall_classwise': [100., 50., 100.],
                'single-label/f1-score_classwise': [100., 200 / 3, 200 / 3]}
    assert metrics.keys() == expected.keys()  # no threshold suffix: thrs do not apply
    for key, values in expected.items():
        assert metrics[key] == pytest.approx(values)


def test_items_pick_and_order_the_keys_and_prefix_replaces_the_default(data):
    scores, labels = data
    metrics = evaluate(score_samples(scores, labels), items=('support', 'recall'), prefix='val')
    assert list(metrics) == ['val/recall', 'val/support']
    assert evaluate(score_samples(scores, labels), items='f1-score').keys() == {
        'single-label/f1-score'}


def test_no_items_report_nothing_but_still_check_the_samples(data):
    """MMPretrain allows items=() (the metric reports no key); the samples are still checked."""
    scores, labels = data
    assert evaluate(score_samples(scores, labels), items=()) == {}
    with pytest.raises(ValueError, match=r'target labels must be in \[0, 5\)'):
        evaluate(score_samples(scores[:2], [0, 7]), items=())


def test_calculate_returns_one_tuple_per_threshold_of_0d_or_per_class_tensors(data):
    scores, labels = data
    table = SingleLabelMetric.calculate(torch.as_tensor(scores), labels.tolist(),
                                        thrs=(0., 0.3, None))
    assert len(table) == 3 and all(len(row) == 4 and all(v.ndim == 0 for v in row)
                                   for row in table)
    per_class_row = SingleLabelMetric.calculate(scores, labels, thrs=0.3, average=None)[0]
    assert [tuple(v.shape) for v in per_class_row] == [(5,)] * 4
    tp, npred, ngt = reference(scores, labels, 0.3)
    assert per_class_row[0].tolist() == pytest.approx(per_class(tp, npred, ngt)[0], rel=1e-5)


@pytest.mark.parametrize('kwargs, message', [
    (dict(items=('precision', 'recal')), r"The metric 'recal' is not supported by "
     r"SingleLabelMetric: choose items from \('precision', 'recall', 'f1-score', 'support'\); "
     r"did you mean 'recall'\?"),
    (dict(average='mirco'), r"Invalid average='mirco': choose from \('macro', 'micro', None\) "
     r".*did you mean 'micro'\?"),
    (dict(num_classes=0), r'num_classes must be a positive int or None; got 0'),
    (dict(thrs='high'), r"thrs must be a number, None, or a sequence of them"),
])
def test_bad_arguments_name_the_valid_choices(kwargs, message):
    with pytest.raises(MetricInputError, match=message) as caught:
        SingleLabelMetric(**kwargs)
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize('args, kwargs, error, message', [
    (([0, 1], [0, 1]), dict(), MetricInputError, r'Please specify the `num_classes`'),
    (([[.5, .5]], [0]), dict(average='weighted'), MetricInputError, r"Invalid average="),
    (([[.5, .5]], [0]), dict(num_classes=3), MetricInputError,
     r'num_classes=3 but the scores have 2 classes'),
    (([0, 3], [0, 1]), dict(num_classes=3), ValueError, r'pred labels must be in \[0, 3\); '
     r'got \[0, 3\]'),
    (([[.5, .5]], [0, 1]), dict(), ValueError, r'got \(1, 2\) and \(2,\)'),
    (('01', [0, 1]), dict(num_classes=2), TypeError, r'not a valid SingleLabelMetric\.calculate'),
])
def test_calculate_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        SingleLabelMetric.calculate(*args, **kwargs)


def test_evaluate_errors():
    with pytest.raises(MetricInputError, match='got no samples'):
        SingleLabelMetric().evaluate(1)
    mixed = [dict(pred_score=torch.rand(3), gt_label=torch.tensor([0])),
             dict(pred_score=torch.rand(4), gt_label=torch.tensor([1]))]
    with pytest.raises(MetricInputError, match=r'different lengths \[3, 4\]'):
        evaluate(mixed)
    with pytest.raises(MetricInputError, match=r'num_classes=5\) but the predictions have 3'):
        evaluate(mixed[:1], num_classes=5)
