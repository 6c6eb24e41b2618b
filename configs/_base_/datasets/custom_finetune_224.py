# A small custom dataset of class folders at 224 px with light augmentation, for fine-tuning.
# Layout (any number of classes; folder names sorted alphabetically give the label order):
#   data/custom/train/<class>/*.jpg   data/custom/val/<class>/*.jpg
# Change the location with --cfg-options train_dataloader.dataset.data_root=... (and val/test).
data_preprocessor = dict(
    type='ClsDataPreprocessor',
    mean=[123.675, 116.28, 103.53],  # ImageNet RGB mean/std: the pretrained weights expect them
    std=[58.395, 57.12, 57.375],
    to_rgb=True,  # images are decoded BGR (mmcv convention)
)

train_pipeline = [
    # JPEGs stay encoded until RandomResizedCrop has drawn its box, then decode at the
    # smallest JPEG scale that still covers it at full output size (same crop region)
    dict(type='LoadImageFromFile', lazy_decode=True),
    # milder crops than the from-scratch recipe (scale 0.08-1): small datasets need less noise
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.25, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=4,
    dataset=dict(type='CustomDataset', data_root='data/custom', data_prefix='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    # one stacked uint8 tensor per batch instead of a list: ~2x faster through
    # worker processes (measured 1,440 -> 3,141 img/s on Fashion-MNIST, 2 workers)
    collate_fn=dict(type='default_collate'),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(type='CustomDataset', data_root='data/custom', data_prefix='val',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
# top-1 only: top-5 is meaningless (and invalid) with fewer than 5 classes
val_evaluator = dict(type='Accuracy', topk=(1, ))

test_dataloader = val_dataloader
test_evaluator = val_evaluator
