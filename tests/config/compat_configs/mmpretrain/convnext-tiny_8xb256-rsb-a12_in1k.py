# A user's MMPretrain 1.2 leaf: ConvNeXt-T with the data settings of the "ResNet strikes back"
# A1/A2 recipes (imagenet_bs256_rsb_a12.py), and what MMPretrain's RSB leaves add to them:
# binary cross-entropy, Mixup (0.1) / CutMix (1.0) and repeated augmentation.
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/datasets/imagenet_bs256_rsb_a12.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
model = dict(
    head=dict(
        loss=dict(
            _delete_=True, type='CrossEntropyLoss', loss_weight=1.0, use_sigmoid=True)),
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.1),
        dict(type='CutMix', alpha=1.0)
    ]))
train_dataloader = dict(sampler=dict(type='RepeatAugSampler', shuffle=True))
