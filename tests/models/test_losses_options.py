"""CrossEntropyLoss / LabelSmoothLoss options MMPretrain configs use: use_sigmoid (binary CE),
pos_weight, class_weight, per-sample weight, avg_factor, reductions.

References are written out from the formulas (log-sigmoid / log-softmax terms), independent of
the ``F.binary_cross_entropy_with_logits`` / ``F.cross_entropy`` calls in the code under test.
"""
import pytest
import torch
import torch.nn.functional as F

from mmcls_convnext.models import CrossEntropyLoss, LabelSmoothLoss, ModelConfigError


def bce_elements(logits, target, class_weight=None, pos_weight=None):
    """-(p * y * log s(x) + (1 - y) * log(1 - s(x))) * w, elementwise (N, C)."""
    pos = torch.ones(logits.shape[1]) if pos_weight is None else torch.tensor(pos_weight)
    loss = -(pos * target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits))
    return loss if class_weight is None else loss * torch.tensor(class_weight)


def softmax_ce_per_sample(logits, target, class_weight=None):
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    if class_weight is not None:
        log_p = log_p * torch.tensor(class_weight)
    return -(target * log_p).sum(dim=1)


@pytest.fixture
def batch():
    logits = torch.randn(5, 4) * 3
    multi_label = (torch.rand(5, 4) > 0.5).float()
    labels = torch.tensor([0, 3, 1, 1, 2])
    weight = torch.tensor([0.2, 1.0, 0.5, 2.0, 0.0])
    return logits, multi_label, labels, weight


def test_bce_mean_is_over_samples_and_classes(batch):
    logits, target, _, weight = batch
    loss = CrossEntropyLoss(use_sigmoid=True)
    ref = bce_elements(logits, target)
    torch.testing.assert_close(loss(logits, target), ref.mean())
    torch.testing.assert_close(loss(logits, target, weight=weight),
                               (ref * weight[:, None]).mean())
    # the heads pass avg_factor=N: the per-sample sum over classes, averaged over samples
    torch.testing.assert_close(loss(logits, target, avg_factor=5), ref.sum() / 5)
    torch.testing.assert_close(loss(logits, target, reduction_override='none'), ref)
    torch.testing.assert_close(loss(logits, target, reduction_override='sum'), ref.sum())


def test_bce_class_weight_and_pos_weight(batch):
    logits, target, _, _ = batch
    class_weight, pos_weight = [0.1, 0.9, 1.0, 2.0], [3.0, 0.5, 1.0, 0.2]
    loss = CrossEntropyLoss(use_sigmoid=True, class_weight=class_weight, pos_weight=pos_weight,
                            loss_weight=2.0)
    ref = bce_elements(logits, target, class_weight, pos_weight).mean() * 2
    torch.testing.assert_close(loss(logits, target), ref)


def test_bce_hard_labels_become_one_hot(batch):
    logits, _, labels, _ = batch
    ref = bce_elements(logits, torch.eye(4)[labels]).mean()
    torch.testing.assert_close(CrossEntropyLoss(use_sigmoid=True)(logits, labels), ref)


def test_softmax_ce_per_sample_weight_hard_and_soft(batch):
    logits, _, labels, weight = batch
    class_weight = [0.3, 0.7, 1.0, 1.5]
    one_hot = torch.eye(4)[labels]
    ref = softmax_ce_per_sample(logits, one_hot, class_weight) * weight
    loss = CrossEntropyLoss(class_weight=class_weight)
    torch.testing.assert_close(loss(logits, labels, weight=weight), ref.mean())
    soft = CrossEntropyLoss(use_soft=True, class_weight=class_weight)
    torch.testing.assert_close(soft(logits, one_hot, weight=weight), ref.mean())
    torch.testing.assert_close(loss(logits, labels, weight=weight, reduction_override='none'),
                               ref)


@pytest.mark.parametrize('kwargs, match', [
    (dict(use_sigmoid=True, use_soft=True), 'use_sigmoid=True .* and use_soft=True .* exclude'),
    (dict(pos_weight=[1., 2.]), 'pos_weight .* needs use_sigmoid=True'),
    (dict(class_weight=[1., -1.]), r'class_weight must be a non-empty list of numbers >= 0'),
    (dict(reduction='avg'), r"reduction must be 'mean', 'sum' or 'none'; got 'avg'"),
])
def test_cross_entropy_config_errors_are_assertion_errors_too(kwargs, match):
    with pytest.raises(ModelConfigError, match=match):
        CrossEntropyLoss(**kwargs)
    with pytest.raises(AssertionError, match=match):  # what MMPretrain raises
        CrossEntropyLoss(**kwargs)


def test_cross_entropy_runtime_shape_errors(batch):
    logits, _, labels, _ = batch
    with pytest.raises(ValueError, match=r'class_weight has 3 entries but the logits have 4'):
        CrossEntropyLoss(class_weight=[1., 1., 1.])(logits, labels)
    with pytest.raises(ValueError, match=r'weight must hold one value per sample, shape \(5,\); '
                                         r'got shape \(5, 1\)'):
        CrossEntropyLoss()(logits, labels, weight=torch.ones(5, 1))


def test_label_smooth_multi_label_mean_without_avg_factor():
    # One sample, three classes: the mean of the three binary terms (0.4133), not their sum.
    logits = torch.tensor([[1., -1., 1.]])
    smoothed = torch.tensor([[0.9, 0.1, 0.9]])
    loss = LabelSmoothLoss(label_smooth_val=0.1, mode='multi_label')
    ref = bce_elements(logits, smoothed).mean()
    assert ref.item() == pytest.approx(0.41326, abs=1e-4)
    torch.testing.assert_close(loss(logits, torch.tensor([[1, 0, 1]])), ref)
    torch.testing.assert_close(loss(logits, torch.tensor([[1, 0, 1]]), avg_factor=1),
                               bce_elements(logits, smoothed).sum())
    assert loss(logits, torch.tensor([[1, 0, 1]]), reduction_override='none').shape == (1, 3)


def test_label_smooth_original_with_sigmoid():
    logits = torch.tensor([[1., -1.]])
    loss = LabelSmoothLoss(label_smooth_val=0.1, use_sigmoid=True)
    ref = bce_elements(logits, torch.tensor([[0.95, 0.05]])).mean()  # 0.9 * one-hot + 0.1 / 2
    assert ref.item() == pytest.approx(0.3633, abs=1e-4)
    torch.testing.assert_close(loss(logits, torch.tensor([0])), ref)


def test_label_smooth_per_sample_weight():
    logits = torch.randn(3, 5)
    labels = torch.tensor([4, 0, 2])
    weight = torch.tensor([1.0, 0.5, 0.0])
    target = torch.eye(5)[labels] * 0.8 + 0.2 / 5
    ref = softmax_ce_per_sample(logits, target) * weight
    loss = LabelSmoothLoss(label_smooth_val=0.2)
    torch.testing.assert_close(loss(logits, labels, weight=weight), ref.mean())
    torch.testing.assert_close(loss(logits, labels, weight=weight, avg_factor=3), ref.sum() / 3)


def test_label_smooth_named_smoothing_functions():
    loss = LabelSmoothLoss(label_smooth_val=0.2, mode='classy_vision', num_classes=4)
    one_hot = torch.eye(4)[[1, 3]]
    torch.testing.assert_close(loss.original_smooth_label(one_hot), (one_hot + 0.05) / 1.2)
    multi = LabelSmoothLoss(label_smooth_val=0.2, mode='multi_label')
    torch.testing.assert_close(multi.multilabel_smooth_label(torch.tensor([[1., 0.]])),
                               torch.tensor([[0.8, 0.2]]))
    assert multi.use_sigmoid and not loss.use_sigmoid


@pytest.mark.parametrize('kwargs, match', [
    (dict(label_smooth_val='0.1'), r"label_smooth_val must be a number in \[0, 1\); got '0.1'"),
    (dict(label_smooth_val=0.1, mode='multilabel'), "Did you mean 'multi_label'"),
    (dict(label_smooth_val=0.1, reduction='unknown'), "reduction must be 'mean'"),
    (dict(label_smooth_val=0.1, mode='multi_label', use_sigmoid=False),
     'needs use_sigmoid=True'),
])
def test_label_smooth_config_errors_are_assertion_errors_too(kwargs, match):
    with pytest.raises(AssertionError, match=match):
        LabelSmoothLoss(**kwargs)
