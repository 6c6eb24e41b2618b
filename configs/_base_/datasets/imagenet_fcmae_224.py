# ImageNet-1k training images for FCMAE pretraining, 224 px; labels are not used (any folder of
# images works: see docs/self_supervised.md). Augmentation of main_pretrain.py: "simple
# augmentation" = RandomResizedCrop(224, scale=(0.2, 1.0), bicubic) + horizontal flip.
# Inherits nothing.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.2, 1.0), backend='pillow',
         interpolation='bicubic'),  # torchvision RandomResizedCrop(interpolation=3)
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),  # RandomHorizontalFlip()
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,  # --batch_size 64 per GPU (TRAINING.md)
    num_workers=10,  # --num_workers 10 (main_pretrain.py default)
    persistent_workers=True,
    pin_memory=True,  # --pin_mem True
    drop_last=True,  # the official loader drops the last incomplete batch
    dataset=dict(type='ImageNet', data_root='data/imagenet', split='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
