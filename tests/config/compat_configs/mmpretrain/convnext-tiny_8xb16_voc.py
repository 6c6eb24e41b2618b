# A user's MMPretrain 1.2 leaf: ConvNeXt-T as a multi-label classifier on MMPretrain's
# voc_bs16.py data settings (the head and its loss as MMPretrain's VOC configs write them).
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/datasets/voc_bs16.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
model = dict(
    head=dict(_delete_=True, type='MultiLabelLinearClsHead', num_classes=20, in_channels=768,
              loss=dict(type='CrossEntropyLoss', use_sigmoid=True)),
    train_cfg=dict(_delete_=True))
