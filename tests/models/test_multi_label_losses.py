"""Focal, asymmetric and seesaw losses against independent formulas (torchvision, BCE, CE)."""
import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss as tv_focal

from mmcls_convnext.models.errors import ModelConfigError, TargetError
from mmcls_convnext.models.losses import convert_to_one_hot, weight_reduce_loss
from mmcls_convnext.registry import MODELS


@pytest.fixture
def data():
    torch.manual_seed(0)
    return torch.randn(6, 5), (torch.rand(6, 5) > 0.6).float()


def test_focal_loss_equals_torchvision(data):
    logits, target = data
    loss = MODELS.build(dict(type='FocalLoss', gamma=2.0, alpha=0.25))
    expected = tv_focal(logits, target, alpha=0.25, gamma=2.0, reduction='mean')
    torch.testing.assert_close(loss(logits, target), expected)
    # class indices become one-hot targets
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    expected = tv_focal(logits, F.one_hot(labels, 5).float(), alpha=0.25, gamma=2.0,
                        reduction='mean')
    torch.testing.assert_close(loss(logits, labels), expected)


def test_asymmetric_loss_without_focusing_or_clip_is_bce(data):
    logits, target = data
    loss = MODELS.build(dict(type='AsymmetricLoss', gamma_pos=0., gamma_neg=0., clip=None))
    expected = F.binary_cross_entropy_with_logits(logits, target)
    torch.testing.assert_close(loss(logits, target), expected, rtol=1e-4, atol=1e-6)
    # gamma_neg down-weights easy negatives: the loss shrinks
    focused = MODELS.build(dict(type='AsymmetricLoss'))
    assert focused(logits, target) < expected


def test_seesaw_without_factors_is_cross_entropy(data):
    logits, _ = data
    labels = torch.tensor([0, 1, 2, 3, 4, 0])
    loss = MODELS.build(dict(type='SeesawLoss', p=0., q=0., num_classes=5))
    torch.testing.assert_close(loss(logits, labels), F.cross_entropy(logits, labels))
    assert loss.cum_samples.tolist() == [2, 1, 1, 1, 1]
    with pytest.raises(TargetError, match=r'num_classes=5\) got logits with 4 classes'):
        loss(logits[:, :4], labels)
    with pytest.raises(ModelConfigError, match='only a softmax version'):
        MODELS.build(dict(type='SeesawLoss', use_sigmoid=True))


def test_weight_and_reduction():
    loss = torch.tensor([[1., 2.], [3., 4.]])
    weight = torch.tensor([[0.5], [2.0]])
    assert weight_reduce_loss(loss, weight, 'sum').item() == 1.5 + 14
    assert weight_reduce_loss(loss, weight, 'mean', avg_factor=2).item() == 15.5 / 2
    assert weight_reduce_loss(loss, None, 'sum', avg_factor=2).item() == 10  # sums
    assert convert_to_one_hot(torch.tensor([[2], [0]]), 3).tolist() == [[0, 0, 1], [1, 0, 0]]
    with pytest.raises(TargetError, match='3 classes'):
        convert_to_one_hot(torch.tensor([3]), 3)
