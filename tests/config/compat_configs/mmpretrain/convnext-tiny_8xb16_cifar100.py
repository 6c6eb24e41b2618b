# A user's MMPretrain 1.2 leaf: ConvNeXt-T on MMPretrain's cifar100_bs16.py data settings.
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/datasets/cifar100_bs16.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=100))
