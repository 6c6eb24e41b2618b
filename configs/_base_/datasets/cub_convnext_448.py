# CUB-200-2011 at 448 px, MMPretrain's cub_bs8_448 geometry: squash to 600x600, a 448 crop
# (random for training, centred for testing) - fine-grained birds need the resolution.
# Data layout: data/CUB_200_2011/{images/,images.txt,image_class_labels.txt,
# train_test_split.txt} (the official CUB_200_2011.tgz extracted).
bgr_mean = [103.53, 116.28, 123.675]  # the preprocessor's RGB mean, in the pipeline's BGR order

data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=200,
    mean=[123.675, 116.28, 103.53],  # ImageNet's: the statistics the pretrained weights expect
    std=[58.395, 57.12, 57.375],
    to_rgb=True,  # files are decoded BGR (mmcv convention)
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=600),  # 600x600, MMPretrain's cub_bs8_448 (600 / 448 = 1.34)
    dict(type='RandomCrop', crop_size=448),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # the official ConvNeXt fine-tuning augmentation: RandAugment m9 mstd0.5 (timm's ops),
    # random erasing 0.25 with timm's per-pixel noise
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10,
         magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[round(x) for x in bgr_mean], interpolation='bicubic',
                      backend='pillow')),
    dict(type='RandomErasing', erase_prob=0.25, mode='rand', min_area_ratio=0.02,
         max_area_ratio=1 / 3, fill_color=bgr_mean, fill_std=[57.375, 57.12, 58.395],
         sampler='timm'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=600),
    dict(type='CenterCrop', crop_size=448),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(type='CUB', data_root='data/CUB_200_2011', split='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=8,
    num_workers=4,
    dataset=dict(type='CUB', data_root='data/CUB_200_2011', split='test',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

# CUB has train and test splits only: the test split is evaluated, as MMPretrain does
test_dataloader = val_dataloader
test_evaluator = val_evaluator
