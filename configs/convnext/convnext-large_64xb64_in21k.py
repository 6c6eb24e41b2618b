# ConvNeXt-L pre-trained on ImageNet-21k (21,841 classes) at 224 px, 64 GPUs x 64 images.
# Zoo weights: convnext-large_3rdparty_in21k. Builds ConvNeXt-L (MMPretrain's builds base).
_base_ = [
    '../_base_/models/convnext/convnext-large.py',
    '../_base_/datasets/imagenet21k_convnext_224.py',
    '../_base_/schedules/adamw_bs4096_convnext_300e.py',
    '../_base_/default_runtime.py',
]

# 64 images per GPU x 64 GPUs = 4096, the batch the schedule's lr 4e-3 is tuned for
train_dataloader = dict(batch_size=64)

model = dict(
    backbone=dict(drop_path_rate=0.1),  # the official ImageNet-21k pre-training value
    head=dict(num_classes=21841),  # ImageNet-21k (fall11) classes
)

# ImageNet-21k pre-training: 90 epochs with 5 warmup epochs (the rest as for ImageNet-1k)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=5),
]
train_cfg = dict(max_epochs=90)

# the official ImageNet-21k pre-training uses no EMA
custom_hooks = []
