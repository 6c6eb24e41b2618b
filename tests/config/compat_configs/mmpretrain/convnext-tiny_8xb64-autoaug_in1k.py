# A user's MMPretrain 1.2 leaf: ConvNeXt-T on MMPretrain's imagenet_bs64_autoaug.py
# (AutoAugment's ImageNet policies).
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/datasets/imagenet_bs64_autoaug.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
