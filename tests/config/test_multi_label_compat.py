"""MMPretrain configs using the multi-label / multi-task names translate and build here."""
import torch
from mmengine.config import Config

from mmcls_convnext.config import EQUIVALENTS, translate_config
from mmcls_convnext.registry import METRICS, MODELS

TYPES = ('MultiLabelClsHead', 'MultiLabelLinearClsHead', 'CSRAHead', 'StackedLinearClsHead',
         'MultiTaskHead', 'AsymmetricLoss', 'FocalLoss', 'SeesawLoss', 'MultiLabelMetric',
         'AveragePrecision', 'VOCMultiLabelMetric', 'VOCAveragePrecision', 'VOC',
         'MultiLabelDataset')


def test_no_equivalent_entry_for_what_we_now_build():
    assert not set(TYPES) & set(EQUIVALENTS)


def test_mmpretrain_voc_csra_config_translates_and_builds():
    """MMPretrain's CSRA-on-VOC layout (its ResNet swapped for our ConvNeXt)."""
    cfg = Config(dict(
        default_scope='mmpretrain',
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='mmpretrain.ConvNeXt', arch='atto', gap_before_final_norm=False,
                          out_indices=(3,)),
            neck=None,
            head=dict(type='CSRAHead', num_classes=20, in_channels=320, num_heads=1, lam=0.1,
                      loss=dict(type='AsymmetricLoss', gamma_pos=0.0, gamma_neg=4.0))),
        data_preprocessor=dict(num_classes=20, to_onehot=True),
        test_pipeline=[dict(type='LoadImageFromFile'),
                       dict(type='PackClsInputs', meta_keys=('img_path', 'gt_label_difficult'))],
        val_evaluator=[dict(type='VOCMultiLabelMetric'),
                       dict(type='VOCMultiLabelMetric', average='micro'),
                       dict(type='mmpretrain.VOCAveragePrecision')],
    ))
    out, translation = translate_config(cfg, source='voc_csra.py', log=False)
    assert translation.origin == 'MMPretrain'
    assert out.test_pipeline[1].type == 'PackInputs'
    assert out.model.backbone.type == 'ConvNeXt'
    assert out.val_evaluator[2].type == 'VOCAveragePrecision'
    model = MODELS.build(out.model)
    assert model(torch.randn(2, 3, 64, 64), mode='tensor').shape == (2, 20)
    assert [type(METRICS.build(m)).__name__ for m in out.val_evaluator] == [
        'VOCMultiLabelMetric', 'VOCMultiLabelMetric', 'VOCAveragePrecision']


def test_mmpretrain_multi_task_and_stacked_heads_translate():
    cfg = Config(dict(default_scope='mmpretrain', model=dict(
        type='ImageClassifier', backbone=dict(type='ConvNeXt', arch='atto'),
        head=dict(type='MultiTaskHead', in_channels=320,
                  task_heads=dict(
                      colour=dict(type='StackedLinearClsHead', num_classes=4,
                                  mid_channels=[16],
                                  loss=dict(type='SeesawLoss', num_classes=4)),
                      tags=dict(type='MultiLabelLinearClsHead', num_classes=6,
                                loss=dict(type='FocalLoss', gamma=2.0)))))))
    out, _ = translate_config(cfg, source='multi_task.py', log=False)
    model = MODELS.build(out.model)
    out = model(torch.randn(1, 3, 32, 32), mode='tensor')
    assert out['colour'].shape == (1, 4) and out['tags'].shape == (1, 6)
