# ConvNeXt-Huge (V1): depths 3,3,27,3, channels 352,704,1408,2816;
# 659.94M params with a 1000-class head.
# Used as a base by the leaf configs in configs/convnext/; it inherits nothing.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ConvNeXt',
        arch='huge',
        drop_path_rate=0.5,  # no official V1 recipe for huge; 0.5 as for large/xlarge
    ),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=2816,  # must equal the backbone's last width (checked at build time)
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
