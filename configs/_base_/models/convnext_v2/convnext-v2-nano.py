# ConvNeXt-V2-Nano: depths 2,2,8,2, channels 80,160,320,640,
# GRN in every block and no layer scale;
# 15.62M params with a 1000-class head. Values from the official ConvNeXt-V2 fine-tune recipe.
# Used as a base by the leaf configs in configs/convnext_v2/; it inherits nothing.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ConvNeXt',
        arch='nano',
        drop_path_rate=0.1,
        use_grn=True,  # V2: global response normalisation after the expansion layer
        layer_scale_init_value=0.,  # V2 drops the per-channel layer scale (no 'gamma')
    ),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=640,  # must equal the backbone's last width (checked at build time)
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.2, mode='original'),
        init_cfg=None,  # the classifier-level init below already covers the head's Linear
    ),
    init_cfg=dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
    # the official fine-tune recipe of the four smallest V2 models turns Mixup/CutMix off
    train_cfg=None,
)
