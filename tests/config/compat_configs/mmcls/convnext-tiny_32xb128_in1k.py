# Leaf config in MMClassification 1.x's layout; the EMA hook named in its scope, as users of
# other OpenMMLab packages write it ('mmcls.X').
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/imagenet_bs64_swin_224.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
train_dataloader = dict(batch_size=128)
optim_wrapper = dict(optimizer=dict(lr=4e-3), clip_grad=None)
custom_hooks = [dict(type='mmcls.EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
auto_scale_lr = dict(base_batch_size=4096)
