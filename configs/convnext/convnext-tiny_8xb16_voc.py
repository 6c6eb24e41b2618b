# Multi-label: ConvNeXt-T fine-tuned on PASCAL VOC 2007 (20 classes; trainval -> test), 8 GPUs x 16.
# MMPretrain's VOC recipe (configs/_base_/datasets/voc_bs16.py: VOC dataset, 224 px, multi-hot
# targets from the data preprocessor, VOCMultiLabelMetric macro + micro and VOCAveragePrecision)
# with a ConvNeXt-T started from ImageNet-1k weights, and the optimizer of our fine-tune recipe
# (AdamW + layer-wise lr decay; MMPretrain's VGG/ResNet VOC configs use SGD, which suits
# ConvNeXt's LayerNorm/GELU blocks worse).
#
# Data: data/VOCdevkit/VOC2007/{JPEGImages,Annotations,ImageSets/Main} from
# VOCtrainval_06-Nov-2007.tar + VOCtest_06-Nov-2007.tar (see docs/multi_label.md).
#   python tools/train.py configs/convnext/convnext-tiny_8xb16_voc.py
#   python tools/test.py configs/convnext/convnext-tiny_8xb16_voc.py work_dirs/.../best_*.pth
# Reports multi-label/mAP, precision/recall/f1-score (CP/CR/CF1: per-class means) and
# precision_micro/recall_micro/f1-score_micro (OP/OR/OF1: over all labels) at threshold 0.5.
_base_ = [
    '../_base_/models/convnext/convnext-tiny.py',
    '../_base_/default_runtime.py',
]

num_classes = 20
data_root = 'data/VOCdevkit/VOC2007'

# zoo entry convnext-tiny_32xb128_in1k (82.14 top-1 on ImageNet-1k); backbone keys only: the
# 1000-class head is not loaded and the 20-class head starts from its own init
checkpoint = ('https://download.openmmlab.com/mmclassification/v0/convnext/'
              'convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth')

model = dict(
    backbone=dict(
        drop_path_rate=0.1,
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone'),
    ),
    head=dict(
        _delete_=True,
        type='MultiLabelLinearClsHead',
        num_classes=num_classes,
        in_channels=768,
        # binary cross entropy per class (MultiLabelLinearClsHead's default loss, written out)
        loss=dict(type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        # a class is predicted when its sigmoid score is >= 0.5 (the metrics use 0.5 too)
        thr=0.5,
        init_cfg=None,  # the classifier-level trunc-normal init covers the new Linear
    ),
    # no Mixup/CutMix: mixing two images' label sets blurs which objects are present, and
    # MMPretrain's VOC recipes train without them
    train_cfg=None,
)

data_preprocessor = dict(
    type='ClsDataPreprocessor',
    num_classes=num_classes,
    mean=[123.675, 116.28, 103.53],  # ImageNet RGB mean/std: the pretrained weights expect them
    std=[58.395, 57.12, 57.375],
    to_rgb=True,
    # gt_label index lists -> multi-hot gt_score targets for the sigmoid loss (MMPretrain's)
    to_onehot=True,
)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # VOC images often hold small objects near the borders: crops keep >= 25% of the area
    # (ImageNet's 8% could cut every labelled object out while the labels stay)
    dict(type='RandomResizedCrop', scale=224, crop_ratio_range=(0.25, 1.0), backend='pillow',
         interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bicubic'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs',
         # the VOC metrics need the labels that occur only on difficult objects
         meta_keys=('sample_idx', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'flip',
                    'flip_direction', 'gt_label_difficult')),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=5,
    dataset=dict(type='VOC', data_root=data_root, split='trainval', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)

val_dataloader = dict(
    batch_size=16,
    num_workers=5,
    dataset=dict(type='VOC', data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)

# CP/CR/CF1 (per-class means), OP/OR/OF1 (over all labels) and mAP; a label present only on
# difficult objects is ignored (difficult_as_positive=None), as in the VOC devkit
val_evaluator = [
    dict(type='VOCMultiLabelMetric'),
    dict(type='VOCMultiLabelMetric', average='micro'),
    dict(type='VOCAveragePrecision'),
]

test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(
    # 4e-4 at 128 images per step: our fine-tune recipe's 1e-4 at 32, scaled linearly
    optimizer=dict(type='AdamW', lr=4e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    # layer-wise lr decay: the stem learns at 0.8**7 = 0.21x the head's lr
    constructor='LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.8, norm_decay_mult=0., bias_decay_mult=0.,
                       flat_decay_mult=0.),
    clip_grad=dict(max_norm=5.0),  # guards the first steps of the fresh head
)

param_scheduler = [
    # 1 warmup epoch (~40 iterations of 128 images on the 5,011 trainval images), then cosine
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=1,
         convert_to_iter_based=True),
]

# 30 epochs, ~1,200 iterations: VOC has 5k training images, 1/250 of ImageNet
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()

auto_scale_lr = dict(base_batch_size=128)

default_hooks = dict(
    # keep the best checkpoint by mAP ('auto' would take the first metric, CP)
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                    save_best='multi-label/mAP', rule='greater'),
)

custom_hooks = []  # no EMA over a 30-epoch fine-tune
