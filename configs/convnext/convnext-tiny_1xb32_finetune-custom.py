# Fine-tune ImageNet-pretrained ConvNeXt-T on a small custom dataset (class folders), 1 GPU x 32.
# The from-scratch ImageNet recipe (lr 4e-3, 300 epochs, Mixup/CutMix, RandAugment) fails on
# small datasets; this one starts from the in21k-pretrained ImageNet-1k weights, keeps the
# backbone and re-initialises the head, with a low lr, layer-wise lr decay, 30 epochs and light
# augmentation.
#
# Your data: data/custom/{train,val}/<class>/*.jpg (see _base_/datasets/custom_finetune_224.py).
# Your class count: edit `num_classes` below, or pass --cfg-options model.head.num_classes=N.
#   python tools/train.py configs/convnext/convnext-tiny_1xb32_finetune-custom.py \
#       --cfg-options model.head.num_classes=5 train_dataloader.dataset.data_root=data/flowers \
#       val_dataloader.dataset.data_root=data/flowers test_dataloader.dataset.data_root=data/flowers
_base_ = [
    '../_base_/models/convnext/convnext-tiny.py',
    '../_base_/datasets/custom_finetune_224.py',
    '../_base_/default_runtime.py',
]

num_classes = 5  # <- the number of class folders in your train/ directory

# zoo entry convnext-tiny_in21k-pre_3rdparty_in1k (82.90 top-1 on ImageNet-1k)
checkpoint = ('https://download.openmmlab.com/mmclassification/v0/convnext/'
              'convnext-tiny_in21k-pre_3rdparty_in1k_20221219-7501e534.pth')

model = dict(
    backbone=dict(
        drop_path_rate=0.1,
        # backbone weights only (keys 'backbone.*'): the 1000-class head is not loaded, so there
        # is no size-mismatch warning and the new head starts from the trunc-normal init
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone'),
    ),
    head=dict(num_classes=num_classes),
    train_cfg=None,  # no Mixup/CutMix: they slow convergence on a few thousand images
)

optim_wrapper = dict(
    # a low lr for pretrained weights: 1e-4 at batch 32 (from scratch: 4e-3 at batch 4096)
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    # layer-wise lr decay: the stem learns at 0.8**7 = 0.21x the head's lr, so the pretrained
    # low-level features move least. Remove `constructor` and set
    # paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0., flat_decay_mult=0.) to turn it off.
    constructor='LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.8, norm_decay_mult=0., bias_decay_mult=0.,
                       flat_decay_mult=0.),
    clip_grad=dict(max_norm=5.0),  # guards the first steps of the fresh head
)

param_scheduler = [
    # 1 warmup epoch (per iteration) while the new head settles, then cosine decay
    dict(type='LinearLR', start_factor=1e-2, by_epoch=True, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', eta_min=1e-6, by_epoch=True, begin=1,
         convert_to_iter_based=True),
]

train_cfg = dict(by_epoch=True, max_epochs=30, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr 1e-4 is for one GPU with 32 images; `--auto-scale-lr` rescales it for your batch
auto_scale_lr = dict(base_batch_size=32)

custom_hooks = []  # no EMA over a 30-epoch fine-tune
