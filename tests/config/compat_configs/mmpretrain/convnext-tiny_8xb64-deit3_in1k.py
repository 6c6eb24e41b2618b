# A user's MMPretrain 1.2 leaf: ConvNeXt-T on MMPretrain's imagenet_bs64_deit3_224.py, with
# repeated augmentation (RepeatAugSampler, 3 repeats) and an EMA of the weights.
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/datasets/imagenet_bs64_deit3_224.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
train_dataloader = dict(sampler=dict(type='RepeatAugSampler', shuffle=True))
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
