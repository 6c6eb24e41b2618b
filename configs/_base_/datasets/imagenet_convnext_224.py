# ImageNet-1k at 224 px with the ConvNeXt training augmentation (RandAugment + RandomErasing).
# Batch size per GPU is set by every leaf config (its file name says it: 32xb128 = 128).
# Data layout: data/imagenet/{train,val}/<class>/*.JPEG, or meta/{train,val}.txt lists.
bgr_mean = [103.53, 116.28, 123.675]  # the preprocessor's RGB mean, in the pipeline's BGR order
bgr_std = [57.375, 57.12, 58.395]

data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],  # RGB, 0-255 scale
    std=[58.395, 57.12, 57.375],
    to_rgb=True,  # images are decoded BGR (mmcv convention)
)

train_pipeline = [
    # JPEGs stay encoded until RandomResizedCrop has drawn its box, then decode at the
    # smallest JPEG scale that still covers it at full output size (same crop region)
    dict(type='LoadImageFromFile', lazy_decode=True),
    # backend='torch': Pillow's antialiased bicubic on torch's uint8 kernel (within 2 grey
    # levels of Pillow's resize, ~4x faster); OpenCV decodes (the pixels of Pillow's decoder).
    # The backends and their interpolations: mmcls_convnext/datasets/transforms/backends.py
    dict(type='RandomResizedCrop', scale=224, backend='torch', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='RandAugment',
        policies='timm_increasing',  # timm's 15-op 'increasing' set
        num_policies=2,
        total_level=10,
        magnitude_level=9,  # timm 'rand-m9-mstd0.5-inc1'
        magnitude_std=0.5,
        # PIL ops (backend='pillow'): timm's RandAugment pixel for pixel; fill = mean colour
        hparams=dict(pad_val=[round(x) for x in bgr_mean], interpolation='bicubic',
                     backend='pillow'),
        # the affine ops with OpenCV's bicubic warp: timm's geometry, fill and magnitudes,
        # OpenCV's cubic kernel (PSNR 44-48 dB to timm's pixels), ~3.5x faster than PIL's
        backends=dict(Rotate='cv2', Shear='cv2', Translate='cv2')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',  # per-pixel random colour, as timm's reprob 0.25 'pixel' mode
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=bgr_mean,
        fill_std=bgr_std,
        sampler='timm'),  # timm's box draws (the official recipe's), not MMPretrain's
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    # short edge 256 then a 224 centre crop: crop ratio 0.875
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=5,
    dataset=dict(type='ImageNet', data_root='data/imagenet', split='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    # one stacked uint8 tensor per batch instead of a list: ~2x faster through
    # worker processes (measured 1,440 -> 3,141 img/s on Fashion-MNIST, 2 workers)
    collate_fn=dict(type='default_collate'),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=5,
    dataset=dict(type='ImageNet', data_root='data/imagenet', split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

# ImageNet has no public test labels: testing runs on the val split
test_dataloader = val_dataloader
test_evaluator = val_evaluator
