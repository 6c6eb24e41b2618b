# ConvNeXt-B on ImageNet-1k at 384 px (crop + flip only, whole-image test), 32 GPUs x 128.
# Zoo weights: convnext-base_3rdparty_in1k-384px (85.10 top-1).
_base_ = [
    '../_base_/models/convnext/convnext-base.py',
    '../_base_/datasets/imagenet_convnext_384.py',
    '../_base_/schedules/adamw_bs4096_convnext_300e.py',
    '../_base_/default_runtime.py',
]

# 128 images per GPU x 32 GPUs = 4096, the batch the schedule's lr 4e-3 is tuned for
train_dataloader = dict(batch_size=128)

# the official 384 px recipe clips the gradient norm at 5 (none at 224 px)
optim_wrapper = dict(clip_grad=dict(max_norm=5.0))

# slower EMA at 384 px: momentum 4e-5 = decay 0.99996 per iteration
custom_hooks = [dict(type='EMAHook', momentum=4e-5, priority='ABOVE_NORMAL')]
