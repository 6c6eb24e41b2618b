"""Losses and heads: values against independent computations."""
import math

import pytest
import torch

from mmcls_convnext.models import CrossEntropyLoss, LabelSmoothLoss, LinearClsHead
from mmcls_convnext.structures import DataSample


def manual_soft_ce(logits, target):
    """Independent soft cross entropy with explicit log-sum-exp, per sample, then mean."""
    total = 0.0
    for row, t in zip(logits.tolist(), target.tolist()):
        m = max(row)
        lse = m + math.log(sum(math.exp(v - m) for v in row))
        total += -sum(ti * (v - lse) for ti, v in zip(t, row))
    return total / len(logits)


def test_cross_entropy_hard_labels_equal_soft_one_hot():
    logits = torch.randn(4, 5)
    labels = torch.tensor([0, 3, 4, 1])
    hard = CrossEntropyLoss()(logits, labels)
    soft = CrossEntropyLoss()(logits, torch.eye(5)[labels])
    assert hard.item() == pytest.approx(manual_soft_ce(logits, torch.eye(5)[labels]), rel=1e-5)
    torch.testing.assert_close(hard, soft)


def test_cross_entropy_soft_targets_match_independent_value():
    logits = torch.randn(3, 4)
    target = torch.softmax(torch.randn(3, 4), dim=1)
    loss = CrossEntropyLoss(loss_weight=2.0)(logits, target)
    assert loss.item() == pytest.approx(2 * manual_soft_ce(logits, target), rel=1e-5)


def test_label_smooth_original_mode():
    logits = torch.randn(4, 10)
    labels = torch.tensor([1, 2, 9, 0])
    eps = 0.1
    target = torch.full((4, 10), eps / 10)
    target[torch.arange(4), labels] += 1 - eps
    loss = LabelSmoothLoss(label_smooth_val=eps, mode='original')(logits, labels)
    assert loss.item() == pytest.approx(manual_soft_ce(logits, target), rel=1e-5)


def test_label_smooth_on_mixed_soft_target_keeps_mass():
    loss_fn = LabelSmoothLoss(label_smooth_val=0.1)
    mixed = 0.7 * torch.eye(5)[[0, 1]] + 0.3 * torch.eye(5)[[2, 3]]
    smoothed = loss_fn.smooth(mixed, 5)
    torch.testing.assert_close(smoothed.sum(1), torch.ones(2))
    logits = torch.randn(2, 5)
    assert loss_fn(logits, mixed).item() == pytest.approx(manual_soft_ce(logits, smoothed),
                                                          rel=1e-5)


def test_label_smooth_classy_vision_mode():
    fn = LabelSmoothLoss(label_smooth_val=0.2, mode='classy_vision')
    smoothed = fn.smooth(torch.eye(4)[[1]], 4)
    torch.testing.assert_close(smoothed, (torch.eye(4)[[1]] + 0.05) / 1.2)


@pytest.mark.parametrize('kwargs, match', [
    (dict(label_smooth_val=1.0), r'label_smooth_val must be in \[0, 1\)'),
    (dict(label_smooth_val=0.1, mode='orignal'), "mode must be 'original'"),
])
def test_label_smooth_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LabelSmoothLoss(**kwargs)


def test_loss_rejects_mismatched_target_shape():
    with pytest.raises(ValueError, match=r'target must be labels \(N,\) or soft targets'):
        CrossEntropyLoss()(torch.randn(2, 3), torch.zeros(3, dtype=torch.long))


def samples(labels):
    return [DataSample().set_gt_label(int(v)) for v in labels]


def test_head_loss_hard_and_soft_targets():
    head = LinearClsHead(num_classes=3, in_channels=4, loss=dict(type='CrossEntropyLoss'))
    feats = (torch.randn(2, 4),)
    logits = head(feats)
    hard = head.loss(feats, samples([0, 2]))['loss']
    ref = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2]))
    torch.testing.assert_close(hard, ref)
    soft_samples = [DataSample().set_gt_score(torch.tensor([0.5, 0.5, 0.])),
                    DataSample().set_gt_score(torch.tensor([0., 0., 1.]))]
    soft = head.loss(feats, soft_samples)['loss']
    target = torch.tensor([[0.5, 0.5, 0.], [0., 0., 1.]])
    assert soft.item() == pytest.approx(manual_soft_ce(logits, target), rel=1e-5)


def test_head_predict_softmax_and_label():
    head = LinearClsHead(num_classes=4, in_channels=3)
    feats = (torch.randn(5, 3),)
    out = head.predict(feats)
    logits = head(feats)
    assert len(out) == 5
    for sample, row in zip(out, logits):
        torch.testing.assert_close(sample.pred_score, torch.softmax(row, 0))
        assert sample.pred_label.item() == int(row.argmax())
        assert sample.pred_score.sum().item() == pytest.approx(1.0, abs=1e-6)


def test_head_cal_acc_reports_topk():
    head = LinearClsHead(num_classes=3, in_channels=3, cal_acc=True, topk=(1, 2))
    with torch.no_grad():
        head.fc.weight.copy_(torch.eye(3))
        head.fc.bias.zero_()
    feats = (torch.tensor([[3., 2., 1.], [1., 3., 2.], [1., 2., 3.]]),)
    losses = head.loss(feats, samples([0, 2, 0]))
    assert losses['accuracy_top-1'].item() == pytest.approx(100 / 3, rel=1e-5)
    assert losses['accuracy_top-2'].item() == pytest.approx(200 / 3, rel=1e-5)


@pytest.mark.parametrize('kwargs, match', [
    (dict(num_classes=0, in_channels=4), 'num_classes=0 must be a positive int'),
    (dict(num_classes=3, in_channels=-1), 'in_channels=-1 must be a positive int'),
])
def test_head_rejects_bad_sizes(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LinearClsHead(**kwargs)


def test_head_rejects_spatial_features():
    head = LinearClsHead(num_classes=3, in_channels=4)
    with pytest.raises(ValueError, match=r'expects pooled features \(N, 4\)'):
        head((torch.randn(1, 4, 2, 2),))


def test_head_cal_acc_refuses_soft_targets():
    head = LinearClsHead(num_classes=3, in_channels=4, cal_acc=True)
    soft = [DataSample().set_gt_score(torch.tensor([0.5, 0.5, 0.])) for _ in range(2)]
    with pytest.raises(AssertionError, match=r'cal_acc=True needs hard labels.*after batch '
                                             r'augmentation \(Mixup/CutMix\)\. Set cal_acc=False'):
        head.loss((torch.randn(2, 4),), soft)
