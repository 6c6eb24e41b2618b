# ConvNeXt-T trained from scratch on ImageNet-1k at 224 px, 32 GPUs x 128 images, 300 epochs.
# Zoo weights: convnext-tiny_32xb128_in1k (82.14 top-1).
_base_ = [
    '../_base_/models/convnext/convnext-tiny.py',
    '../_base_/datasets/imagenet_convnext_224.py',
    '../_base_/schedules/adamw_bs4096_convnext_300e.py',
    '../_base_/default_runtime.py',
]

# 128 images per GPU x 32 GPUs = 4096, the batch the schedule's lr 4e-3 is tuned for
train_dataloader = dict(batch_size=128)

# evaluate on the EMA weights; momentum 1e-4 = decay 0.9999 per iteration
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
