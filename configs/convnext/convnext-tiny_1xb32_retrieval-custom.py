# Image-to-image retrieval with ConvNeXt-T: an ImageNet-pretrained backbone, GeM pooling and an
# ArcFace head are fine-tuned on class folders; validation and test rank a gallery for every
# query image and report Recall@1/5 (a query counts as found when a gallery image of its class
# is among the k most similar). See docs/retrieval.md.
#
# Your data (same class subfolders in the three):
#   data/retrieval/train/<class>/*.jpg     images to learn the embedding from
#   data/retrieval/query/<class>/*.jpg     images to search with
#   data/retrieval/gallery/<class>/*.jpg   images to search in
#   python tools/train.py configs/convnext/convnext-tiny_1xb32_retrieval-custom.py \
#       --cfg-options model.head.num_classes=N
#   python tools/test.py configs/convnext/convnext-tiny_1xb32_retrieval-custom.py \
#       work_dirs/convnext-tiny_1xb32_retrieval-custom/epoch_30.pth
_base_ = ['../_base_/default_runtime.py']

data_root = 'data/retrieval'
num_classes = 5  # <- the number of class folders in train/

# zoo entry convnext-tiny_in21k-pre_3rdparty_in1k (backbone weights only)
checkpoint = ('https://download.openmmlab.com/mmclassification/v0/convnext/'
              'convnext-tiny_in21k-pre_3rdparty_in1k_20221219-7501e534.pth')

train_pipeline = [
    dict(type='LoadImageFromFile'),
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

gallery = dict(type='CustomDataset', data_root=data_root, data_prefix='gallery',
               pipeline=test_pipeline)
query = dict(type='CustomDataset', data_root=data_root, data_prefix='query',
             pipeline=test_pipeline)

model = dict(
    type='ImageToImageRetriever',
    image_encoder=[
        # gap_before_final_norm=False: the feature map (N, 768, 7, 7) goes to GeM
        dict(type='ConvNeXt', arch='tiny', drop_path_rate=0.1, gap_before_final_norm=False,
             init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone')),
        dict(type='GeneralizedMeanPooling', p=3.0),
    ],
    head=dict(type='ArcFaceClsHead', num_classes=num_classes, in_channels=768, scale=30.0,
              margins=0.3, loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
    # the gallery, embedded by the model before each validation and on the first test batch
    prototype=dict(
        batch_size=32,
        num_workers=2,
        dataset=gallery,
        sampler=dict(type='DefaultSampler', shuffle=False),
        collate_fn=dict(type='default_collate'),
    ),
    data_preprocessor=dict(type='ClsDataPreprocessor', mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], to_rgb=True),
)

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(type='CustomDataset', data_root=data_root, data_prefix='train',
                 pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),
)
val_dataloader = dict(
    batch_size=32,
    num_workers=2,
    # each query's gt_label = the gallery indices of its class
    dataset=dict(type='RetrievalQueryDataset', query=query, gallery=gallery),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(type='RetrievalRecall', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.),
    clip_grad=dict(max_norm=5.0),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=1,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=32)

# re-embed the gallery with the current weights before every validation
custom_hooks = [dict(type='PrepareProtoBeforeValLoopHook')]
# keep the checkpoint with the best Recall@1 (mmengine cannot guess the rule of this key)
default_hooks = dict(checkpoint=dict(save_best='retrieval/Recall@1', rule='greater'))
