"""RetrievalRecall and RetrievalAveragePrecision against numpy and scikit-learn."""
import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from mmcls_convnext.evaluation.metrics import (
    MetricInputError,
    RetrievalAveragePrecision,
    RetrievalRecall,
)
from mmcls_convnext.registry import METRICS
from mmcls_convnext.structures import DataSample


def _random_case(seed, queries=7, gallery=12):
    rng = np.random.default_rng(seed)
    scores = rng.random((queries, gallery))  # distinct: no ties
    relevant = rng.random((queries, gallery)) < 0.25
    relevant[np.arange(queries), rng.integers(0, gallery, queries)] = True  # >= 1 each
    return scores, relevant


def _recall_at_k(scores, relevant, k):
    order = np.argsort(-scores, axis=1)[:, :k]
    return 100 * np.mean([relevant[i, order[i]].any() for i in range(len(scores))])


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_recall_at_k_is_the_share_of_queries_with_a_hit(seed):
    scores, relevant = _random_case(seed)
    ks = (1, 2, 5, 12)
    got = RetrievalRecall.calculate(scores, relevant.astype(int), topk=ks)
    for k, value in zip(ks, got):
        assert value.item() == pytest.approx(_recall_at_k(scores, relevant, k))
    assert got[-1].item() == 100.0  # the whole gallery always holds a relevant item

    # through the Evaluator path: one sample per query, gt_label = relevant gallery indices
    metric = METRICS.build(dict(type='RetrievalRecall', topk=ks))
    samples = [DataSample().set_pred_score(torch.tensor(s)).set_gt_label(np.flatnonzero(r))
               for s, r in zip(scores, relevant)]
    metric.process(None, [s.to_dict() for s in samples])
    result = metric.evaluate(len(samples))
    for k in ks:
        assert result[f'retrieval/Recall@{k}'] == pytest.approx(_recall_at_k(scores, relevant, k))


@pytest.mark.parametrize('seed', [0, 1, 2])
def test_full_list_ap_is_sklearns_average_precision(seed):
    scores, relevant = _random_case(seed)
    expected = 100 * np.mean([average_precision_score(r, s) for s, r in zip(scores, relevant)])
    got = RetrievalAveragePrecision.calculate(scores, relevant.astype(int), topk=scores.shape[1])
    assert got == pytest.approx(expected)
    metric = METRICS.build(dict(type='RetrievalAveragePrecision', topk=scores.shape[1]))
    metric.process(None, [DataSample().set_pred_score(torch.tensor(s)).set_gt_score(
        torch.tensor(r, dtype=torch.float32)).to_dict() for s, r in zip(scores, relevant)])
    assert metric.evaluate(len(scores))[f'retrieval/mAP@{scores.shape[1]}'] == \
        pytest.approx(expected)


def test_truncated_ap_counts_only_the_top_k_hits():
    scores, relevant = _random_case(5)
    k = 4
    expected = []
    for s, r in zip(scores, relevant):
        hits = r[np.argsort(-s)][:k]
        precisions = np.cumsum(hits) / np.arange(1, k + 1)
        expected.append(100 * (precisions * hits).sum() / r.sum())
    got = RetrievalAveragePrecision.calculate(scores, relevant, topk=k)
    assert got == pytest.approx(np.mean(expected))


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match='`topk` must be a'):
        RetrievalRecall(topk=(1, 0))
    with pytest.raises(MetricInputError, match="Invalid `mode`"):
        RetrievalAveragePrecision(topk=3, mode='voc')
    with pytest.raises(RuntimeError, match='selected index k out of range: topk=5 .* only 3'):
        RetrievalRecall.calculate(np.random.rand(2, 3), np.ones((2, 3)), topk=5)
    metric = RetrievalRecall(topk=1)
    sample = DataSample().set_pred_score(torch.rand(3)).set_gt_label([4])
    with pytest.raises(MetricInputError, match='outside the gallery of 3 items'):
        metric.process(None, [sample.to_dict()])
    with pytest.raises(MetricInputError, match='no query samples'):
        RetrievalRecall(topk=1).evaluate(1)
