# ConvNeXt-Nano (V1): depths 2,2,8,2, channels 80,160,320,640;
# 15.59M params with a 1000-class head.
# Used as a base by the leaf configs in configs/convnext/; it inherits nothing.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ConvNeXt',
        arch='nano',
        drop_path_rate=0.1,  # no official V1 ImageNet recipe for this size; 0.1 as for tiny
    ),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=640,  # must equal the backbone's last width (checked at build time)
        # label smoothing 0.1, smoothing spread over all classes as in the official recipe
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=None,  # the classifier-level init below already covers the head's Linear
    ),
    # official init: trunc-normal(std 0.02) on every conv/linear weight, zero bias
    init_cfg=dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
    # one of Mixup(0.8) / CutMix(1.0) per batch, soft one-hot targets
    train_cfg=dict(augments=[
        dict(type='Mixup', alpha=0.8),
        dict(type='CutMix', alpha=1.0),
    ]),
)
