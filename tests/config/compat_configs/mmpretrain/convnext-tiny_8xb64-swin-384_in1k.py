# A user's MMPretrain 1.2 leaf: ConvNeXt-T at 384 px on MMPretrain's imagenet_bs64_swin_384.py,
# with the test-time augmentation MMPretrain's documentation has users write for
# `tools/test.py --tta`: the image and its horizontal flip, class scores averaged.
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/datasets/imagenet_bs64_swin_384.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
tta_model = dict(type='AverageClsScoreTTA')
tta_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='Resize', scale=384, backend='pillow', interpolation='bicubic')],
            [dict(type='RandomFlip', prob=1.),
             dict(type='RandomFlip', prob=0.)],
            [dict(type='PackInputs')],
        ])
]
