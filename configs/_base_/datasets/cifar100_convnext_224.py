# CIFAR-100 for fine-tuning an ImageNet-pretrained ConvNeXt: the 32x32 images upsampled to the
# 224 px the weights were trained at (at 32 px ConvNeXt's /32 downsampling leaves a 1x1 map;
# transfer benchmarks fine-tune CIFAR at the pretraining resolution).
# Data layout: data/cifar100/cifar-100-python/{train,test,meta} (cifar-100-python.tar.gz
# extracted there; the dataset downloads it when online).
bgr_mean = [103.53, 116.28, 123.675]  # the preprocessor's RGB mean, in BGR order
bgr_std = [57.375, 57.12, 58.395]

data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=100,
    mean=[123.675, 116.28, 103.53],  # ImageNet's: the statistics the pretrained weights expect
    std=[58.395, 57.12, 57.375],
    to_rgb=True,  # PackInputs gives BGR (a PIL image's RGB is reversed), as for image files
)

train_pipeline = [
    # the CIFAR augmentation (MMPretrain's cifar100_bs16): 4 px padding, random 32 crop, flip
    dict(type='RandomCrop', crop_size=32, padding=4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # CIFAR samples are RGB arrays: as an RGB PIL image the Pillow ops below see true colours
    dict(type='NumpyToPIL', to_rgb=False),
    # to the pretraining resolution; Pillow's bicubic, as the ImageNet pipelines
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    # the official ConvNeXt fine-tuning augmentation: RandAugment m9 mstd0.5 (timm's ops) ...
    dict(type='RandAugment', policies='timm_increasing', num_policies=2, total_level=10,
         magnitude_level=9, magnitude_std=0.5,
         hparams=dict(pad_val=[round(x) for x in bgr_mean], interpolation='bicubic',
                      backend='pillow')),
    # ... and random erasing 0.25, timm's per-pixel noise
    dict(type='RandomErasing', erase_prob=0.25, mode='rand', min_area_ratio=0.02,
         max_area_ratio=1 / 3, fill_color=bgr_mean, fill_std=bgr_std, sampler='timm'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='NumpyToPIL', to_rgb=False),
    dict(type='ResizeEdge', scale=224, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    dataset=dict(type='CIFAR100', data_root='data/cifar100', split='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    dataset=dict(type='CIFAR100', data_root='data/cifar100', split='test',
                 pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))

# CIFAR-100 has no separate validation split: the test split is evaluated, as MMPretrain does
test_dataloader = val_dataloader
test_evaluator = val_evaluator
