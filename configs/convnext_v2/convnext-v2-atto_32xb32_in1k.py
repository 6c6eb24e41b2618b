# ConvNeXt-V2-Atto fine-tuned on ImageNet-1k at 224 px (RandAugment +
# RandomErasing) from FCMAE self-supervised weights, 32 GPUs x 32 images;
# lr 8e-4, weight decay 0.3, 600 epochs, no warmup.
# Zoo weights: convnext-v2-atto_fcmae-pre_3rdparty_in1k.
# The official recipe also uses layer-wise lr decay; add it with
# `optim_wrapper.constructor='LearningRateDecayOptimWrapperConstructor'` and
# `optim_wrapper.paramwise_cfg.layer_decay_rate=...` (official: 0.9 per block for atto and tiny,
# 0.6 per group of 3 blocks for base; our constructor groups blocks like the latter).
_base_ = [
    '../_base_/models/convnext_v2/convnext-v2-atto.py',
    '../_base_/datasets/imagenet_convnext_224.py',
    '../_base_/schedules/adamw_bs1024_convnext-v2-atto-nano_600e.py',
    '../_base_/default_runtime.py',
]

# 32 images per GPU x 32 GPUs = 1024, the batch the schedule's lr 8e-4 is tuned for
train_dataloader = dict(batch_size=32)

# evaluate on the EMA weights; momentum 1e-4 = decay 0.9999 per iteration
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
