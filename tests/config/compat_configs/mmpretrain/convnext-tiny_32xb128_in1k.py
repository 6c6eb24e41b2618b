# Leaf config in MMPretrain 1.2's layout (configs/convnext/convnext-tiny_32xb128_in1k.py).
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/imagenet_bs64_swin_224.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=4e-3), clip_grad=None)
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
auto_scale_lr = dict(base_batch_size=4096)
