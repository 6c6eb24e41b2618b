"""Multi-label, CSRA, stacked-linear and multi-task heads against hand-written computations."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcls_convnext.models.errors import ModelConfigError, TargetError
from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample, MultiTaskDataSample


def _head(**kwargs):
    return MODELS.build(dict(type='MultiLabelLinearClsHead', num_classes=5, in_channels=4,
                             **kwargs))


def test_loss_is_binary_cross_entropy_on_multi_hot_targets():
    torch.manual_seed(0)
    head = _head()
    feats = (torch.randn(3, 4),)
    labels = [[0, 3], [], [1, 2, 4]]
    samples = [DataSample().set_gt_label(lbl) for lbl in labels]
    loss = head.loss(feats, samples)['loss']
    target = np.zeros((3, 5), dtype=np.float32)
    for i, lbl in enumerate(labels):
        target[i, lbl] = 1
    logits = head(feats).detach().numpy().astype(np.float64)
    prob = 1 / (1 + np.exp(-logits))
    # MMPretrain's reduction: element sum divided by the batch size (avg_factor)
    expected = -(target * np.log(prob) + (1 - target) * np.log(1 - prob)).sum() / 3
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    # gt_score targets are used as they are
    soft = [DataSample().set_gt_score(torch.tensor(t)) for t in target]
    assert head.loss(feats, soft)['loss'].item() == pytest.approx(expected, rel=1e-5)


def test_predict_threshold_and_topk():
    torch.manual_seed(0)
    head = _head(thr=0.3)
    feats = (torch.randn(4, 4),)
    scores = torch.sigmoid(head(feats)).detach()
    preds = head.predict(feats)
    for pred, score in zip(preds, scores):
        torch.testing.assert_close(pred.pred_score, score)
        assert pred.pred_label.tolist() == [i for i, s in enumerate(score.tolist()) if s >= 0.3]
    top = _head(topk=2)
    top.load_state_dict(head.state_dict())
    assert top.thr is None
    for pred, score in zip(top.predict(feats), scores):
        assert sorted(pred.pred_label.tolist()) == sorted(np.argsort(-score.numpy())[:2])
    # thr wins over topk when both are set; neither -> thr 0.5
    assert _head(thr=0.2, topk=2).thr == 0.2 and _head().thr == 0.5


@pytest.mark.parametrize('kwargs, match', [
    (dict(thr=1.5), r'thr=1\.5 must be a number in \[0, 1\]'),
    (dict(thr=-0.1), r'thr=-0\.1 must be a number in \[0, 1\]'),
    (dict(topk=6), r'topk=6 is more than num_classes=5'),
    (dict(topk=0), r'topk=0 must be a positive int'),
])
def test_bad_thresholds_are_one_line(kwargs, match):
    with pytest.raises(ModelConfigError, match=match) as info:
        _head(**kwargs)
    assert '\n' not in str(info.value)


def test_a_label_outside_num_classes_names_the_image():
    head = _head()
    sample = DataSample(metainfo=dict(img_path='VOC2007/JPEGImages/000042.jpg'))
    sample.set_gt_label([1, 7])
    with pytest.raises(TargetError, match=r'000042\.jpg.*\[7\] out of range for '
                                          r'num_classes=5') as info:
        head.loss((torch.randn(1, 4),), [sample])
    assert '\n' not in str(info.value)


def test_batch_targets_are_the_samples_multi_hot_rows():
    from mmcls_convnext.models.heads.multi_label_cls_head import multi_hot_targets
    labels = [[1, 3], [], [4, 4, 0], [2]]  # an image without labels; a repeated index
    samples = [DataSample().set_gt_label(label) for label in labels]
    expected = torch.zeros(4, 5)
    for i, label in enumerate(labels):
        for k in label:
            expected[i, k] = 1
    assert torch.equal(multi_hot_targets(samples, 5, 'Head'), expected)
    samples[2] = DataSample(metainfo=dict(img_path='b.jpg')).set_gt_label([9])
    with pytest.raises(TargetError, match=r'annotation of b\.jpg.*\[9\] out of range'):
        multi_hot_targets(samples, 5, 'Head')


@pytest.mark.parametrize('label, kind', [([0, 1, 0], 'one-hot/multi-hot vector'),
                                         ([2, 4], 'several class indices')])
def test_single_label_head_refuses_multi_label_targets(label, kind):
    head = MODELS.build(dict(type='LinearClsHead', num_classes=5, in_channels=4))
    samples = [DataSample().set_gt_label(0), DataSample().set_gt_label(label)]
    with pytest.raises(TargetError, match=f'{kind}.*MultiLabelLinearClsHead') as info:
        head.loss((torch.randn(2, 4),), samples)
    assert '\n' not in str(info.value)


def test_csra_head_matches_a_hand_computation():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='CSRAHead', num_classes=3, in_channels=4, num_heads=2,
                             lam=0.1))
    x = torch.randn(2, 4, 3, 3)
    out = head((x,)).detach().numpy()
    expected = np.zeros((2, 3))
    for module, temp in zip(head.csra_heads, (1, 99)):
        w = module.head.weight.detach().numpy()[:, :, 0, 0]  # (C, in)
        w = w / np.linalg.norm(w, axis=1, keepdims=True)
        score = np.einsum('ci,nihw->nchw', w, x.numpy()).reshape(2, 3, -1)
        base = score.mean(-1)
        if temp == 99:
            att = score.max(-1)
        else:
            soft = np.exp(score * temp) / np.exp(score * temp).sum(-1, keepdims=True)
            att = (score * soft).sum(-1)
        expected += base + 0.1 * att
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match='feature map'):
        head((torch.randn(2, 4),))
    with pytest.raises(ModelConfigError, match='num_heads=3'):
        MODELS.build(dict(type='CSRAHead', num_classes=3, in_channels=4, num_heads=3, lam=0.1))


def test_stacked_linear_head_is_the_layers_in_order():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='StackedLinearClsHead', num_classes=3, in_channels=4,
                             mid_channels=[6, 5]))
    x = torch.randn(2, 4)
    h = x
    for block in head.layers[:-1]:
        h = F.relu(F.linear(h, block.fc.weight, block.fc.bias))
    expected = F.linear(h, head.layers[-1].fc.weight, head.layers[-1].fc.bias)
    torch.testing.assert_close(head((x,)), expected)
    assert head.layers[-1].act is None and head.layers[-1].norm is None
    # softmax prediction as LinearClsHead
    pred = head.predict((x,))
    torch.testing.assert_close(pred[0].pred_score, F.softmax(expected[0], 0))


def test_multi_task_loss_masks_images_without_the_task():
    torch.manual_seed(0)
    head = MODELS.build(dict(type='MultiTaskHead', in_channels=4,
                             task_heads=dict(colour=dict(type='LinearClsHead', num_classes=3),
                                             tags=dict(type='MultiLabelLinearClsHead',
                                                       num_classes=5))))
    feats = (torch.randn(3, 4),)
    samples = []
    for i in range(3):
        s = MultiTaskDataSample()
        if i != 1:  # image 1 has no colour annotation
            s.set_field(DataSample().set_gt_label(i), 'colour')
        s.set_field(DataSample().set_gt_label([i, 4]), 'tags')
        samples.append(s)
    losses = head.loss(feats, samples)
    assert set(losses) == {'colour_loss', 'colour_mask_size', 'tags_loss', 'tags_mask_size'}
    assert losses['colour_mask_size'].item() == 2 and losses['tags_mask_size'].item() == 3
    logits = head.task_heads['colour'](feats)[[0, 2]]
    expected = F.cross_entropy(logits, torch.tensor([0, 2]))
    assert losses['colour_loss'].item() == pytest.approx(expected.item(), rel=1e-5)
    preds = head.predict(feats, samples)
    assert preds[1].colour.eval_mask is False and preds[0].colour.eval_mask is True
    assert preds[0].tags.gt_label.tolist() == [0, 4] and 'pred_label' in preds[0].tags
    with pytest.raises(TargetError, match='list of MultiTaskDataSample'):
        head.loss(feats, samples[0])


def test_preprocessor_to_onehot_gives_multi_hot_targets():
    prep = MODELS.build(dict(type='ClsDataPreprocessor', num_classes=4, to_onehot=True))
    samples = [DataSample().set_gt_label([0, 3]), DataSample().set_gt_label(2),
               DataSample().set_gt_label([])]
    out = prep(dict(inputs=[torch.zeros(3, 8, 8)] * 3, data_samples=samples), training=True)
    assert torch.stack([s.gt_score for s in out['data_samples']]).tolist() == [
        [1, 0, 0, 1], [0, 0, 1, 0], [0, 0, 0, 0]]
    bad = [DataSample(metainfo=dict(img_path='x/0001.jpg')).set_gt_label([1, 4])]
    with pytest.raises(ValueError, match=r'0\.\.3.*\[1, 4\] of x/0001\.jpg'):
        prep(dict(inputs=[torch.zeros(3, 8, 8)], data_samples=bad), training=True)
