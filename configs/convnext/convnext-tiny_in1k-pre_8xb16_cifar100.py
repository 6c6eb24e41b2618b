# Fine-tune ImageNet-1k ConvNeXt-T on CIFAR-100 at 224 px, 8 GPUs x 16 images (MMPretrain's
# naming: <model>_<pretraining>-pre_<gpus>x<batch>_<data>). The recipe is the official ConvNeXt
# fine-tuning recipe (the paper's ImageNet-1k fine-tuning table / the repository's fine-tune
# command: AdamW, lr 5e-5 at batch 512, weight decay 1e-8, layer-wise lr decay 0.8, no warmup,
# cosine to 0.02x the lr, RandAugment m9-mstd0.5, random erasing 0.25, label smoothing 0.1, no
# Mixup/CutMix, EMA of the weights), with the batch, epochs and EMA momentum fitted to a 50k-image
# dataset (below).
#   python tools/train.py configs/convnext/convnext-tiny_in1k-pre_8xb16_cifar100.py
_base_ = [
    '../_base_/models/convnext/convnext-tiny.py',
    '../_base_/datasets/cifar100_convnext_224.py',
    '../_base_/default_runtime.py',
]

# zoo entry convnext-tiny_32xb128_in1k: ConvNeXt-T trained on ImageNet-1k (82.14 top-1)
checkpoint = ('https://download.openmmlab.com/mmclassification/v0/convnext/'
              'convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth')

model = dict(
    backbone=dict(
        # 0.1: ConvNeXt-T's own rate (its ImageNet-1k recipe); the official fine-tuning table
        # uses 0.0-0.4 growing with model size on 1.28M images, and 50k images need no less
        drop_path_rate=0.1,
        # backbone weights only: the 1000-class head is not loaded, the 100-class head starts
        # from the trunc-normal init
        init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='backbone'),
    ),
    head=dict(num_classes=100),  # label smoothing 0.1 from the model base = the official value
    train_cfg=None,  # official fine-tuning: Mixup and CutMix off
)

optim_wrapper = dict(
    # official lr 5e-5 at batch 512, scaled linearly to 8 x 16 = 128: 1.25e-5; weight decay 1e-8
    optimizer=dict(type='AdamW', lr=5e-5 * 128 / 512, weight_decay=1e-8, eps=1e-8,
                   betas=(0.9, 0.999)),
    # official layer-wise lr decay 0.8: the stem learns at 0.8**7 = 0.21x the head's lr
    constructor='LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.8, norm_decay_mult=0., bias_decay_mult=0.,
                       flat_decay_mult=0.),
)

# official: no warmup, cosine decay to min_lr 1e-6 = 0.02 x the lr of 5e-5 (the ConvNeXt
# repository's default), applied per layer group as there (its min lr is scaled by the decay too)
param_scheduler = [
    dict(type='CosineAnnealingLR', eta_min_ratio=1e-6 / 5e-5, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]

# 100 epochs (MMPretrain's fine-tunes of small datasets, e.g. its CUB recipes, train 100): the
# official 30 epochs are 75k steps on ImageNet, 30 epochs of CIFAR-100 at batch 128 only 11.7k;
# 100 give 39k steps
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# the lr above is for 8 x 16 images; --auto-scale-lr rescales it for another total batch
auto_scale_lr = dict(base_batch_size=128)

# EMA of the weights (the official fine-tune evaluates the EMA model): momentum 2.5e-4 averages
# over ~1 / 2.5e-4 = 4k steps, the last ~10 % of the 39k (ImageNet's 1e-4 would average over
# a quarter of the run, dragging in weights from far before the end)
custom_hooks = [dict(type='EMAHook', momentum=2.5e-4, priority='ABOVE_NORMAL')]
