"""ImageClassifier: modes, feature stages, width check, scope handling."""
import pytest
import torch
from mmengine.registry import DefaultScope

from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample

ARCH = dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])


def build(**overrides):
    cfg = dict(
        type='ImageClassifier',
        backbone=dict(type='ConvNeXt', arch=ARCH),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=64,
                  loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1)),
        data_preprocessor=dict(mean=[127.5] * 3, std=[127.5] * 3, num_classes=5))
    cfg.update(overrides)
    return MODELS.build(cfg)


def test_tensor_mode_gives_raw_logits():
    model = build().eval()
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        logits = model(x)
        assert logits.shape == (3, 5)
        torch.testing.assert_close(logits, model.head.fc(model.backbone(x)[-1]))


def test_loss_and_predict_modes():
    model = build()
    x = torch.randn(2, 3, 32, 32)
    data = [DataSample().set_gt_label(1), DataSample().set_gt_label(4)]
    losses = model(x, data, mode='loss')
    assert set(losses) == {'loss'} and losses['loss'].requires_grad
    preds = model.eval()(x, mode='predict')
    assert len(preds) == 2 and preds[0].pred_score.shape == (5,)


def test_invalid_mode_raises():
    modes = r"\('tensor', 'loss', 'predict'\)"
    with pytest.raises(ValueError, match=r'Invalid mode "train".*' + modes):
        build()(torch.randn(1, 3, 32, 32), mode='train')
    with pytest.raises(RuntimeError, match=r'Invalid mode "train"'):  # MMPretrain's type
        build()(torch.randn(1, 3, 32, 32), mode='train')


def test_extract_feat_stages():
    model = build(neck=dict(type='GlobalAveragePooling'),
                  backbone=dict(type='ConvNeXt', arch=ARCH, gap_before_final_norm=False,
                                out_indices=(2, 3))).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        backbone = model.extract_feat(x, stage='backbone')
        neck = model.extract_feat(x, stage='neck')
        pre = model.extract_feat(x, stage='pre_logits')
    assert [tuple(t.shape) for t in backbone] == [(1, 32, 4, 4), (1, 64, 2, 2)]
    assert [tuple(t.shape) for t in neck] == [(1, 32), (1, 64)]
    torch.testing.assert_close(pre, neck[-1])
    with pytest.raises(ValueError, match=r"Invalid stage 'head'"):
        model.extract_feat(x, stage='head')


def test_head_backbone_width_mismatch_names_both():
    with pytest.raises(ValueError, match=r'head.in_channels=768 does not match '
                                         r'backbone.num_features=64.*in_channels=64'):
        build(head=dict(type='LinearClsHead', num_classes=5, in_channels=768))


def test_train_cfg_augments_reach_preprocessor_and_make_soft_targets():
    model = build(train_cfg=dict(augments=[dict(type='Mixup', alpha=0.8)]))
    data = dict(inputs=[torch.randint(0, 255, (3, 32, 32), dtype=torch.uint8)
                        for _ in range(4)],
                data_samples=[DataSample().set_gt_label(i) for i in range(4)])
    out = model.data_preprocessor(data, training=True)
    scores = torch.stack([s.gt_score for s in out['data_samples']])
    assert scores.shape == (4, 5)
    torch.testing.assert_close(scores.sum(1), torch.ones(4))
    loss = model(out['inputs'], out['data_samples'], mode='loss')['loss']
    assert torch.isfinite(loss)


def test_builds_in_our_scope_when_another_scope_is_current():
    with DefaultScope.overwrite_default_scope('mmengine'):
        model = build()
    assert type(model.backbone).__name__ == 'ConvNeXt'


def test_extract_feats_runs_extract_feat_per_batch():
    model = build(neck=dict(type='GlobalAveragePooling')).eval()
    batches = [torch.randn(2, 3, 32, 32), torch.randn(1, 3, 64, 64)]
    with torch.no_grad():
        multi = model.extract_feats(batches, stage='pre_logits')
        single = [model.extract_feat(x, stage='pre_logits') for x in batches]
    assert len(multi) == 2
    for got, ref in zip(multi, single):
        torch.testing.assert_close(got, ref)
    assert [tuple(f.shape) for f in multi] == [(2, 64), (1, 64)]
    with pytest.raises(TypeError, match=r'list or tuple of input batches; got Tensor.*use '
                                        r'`extract_feat`'):
        model.extract_feats(batches[0])


def test_pre_logits_without_head_explains():
    model = build(head=None).eval()
    with pytest.raises(ValueError, match=r"No head or the head has no pre_logits\(\).*"
                                         r"use stage='neck'"):
        model.extract_feat(torch.randn(1, 3, 32, 32), stage='pre_logits')
