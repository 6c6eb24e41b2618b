# CPU quickstart: a 1.18M-parameter ConvNeXt trained from scratch on Fashion-MNIST at 32 px,
# 1 process x 128 images. `make demo` runs it as it is: 12 epochs, 90.69 % top-1 on the 10k test
# set (91.18 % with flip test-time augmentation); training took 254 s on 2 idle cores. See
# docs/quickstart.md for the measured times and accuracies, and the recipes tried.
_base_ = [
    '../_base_/datasets/fashion-mnist_32.py',
    '../_base_/default_runtime.py',
]

model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ConvNeXt',
        # a quarter-width ConvNeXt with one block per stage but three in stage 3 (tiny: 3-3-9-3)
        arch=dict(depths=[1, 1, 3, 1], channels=[32, 64, 128, 256]),
        # the usual 4x4 patchify stem: 32 px -> 8x8 -> 4x4 -> 2x2 -> 1x1 feature maps. A 2x2 stem
        # (16 px first stage) costs ~4x the compute for a small gain on this dataset.
        stem_patch_size=4,
        # 10 epochs do overfit (train 94.9 % vs test 90.6 %): stochastic depth 0.1 gave 90.93 %
        # vs 90.64 % without (same recipe otherwise, measured side by side)
        drop_path_rate=0.1,
    ),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=256,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        init_cfg=None,  # covered by the classifier-level init below
    ),
    init_cfg=dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
)

optim_wrapper = dict(
    # lr 2e-3 for a batch of 128; 4e-3 (the ImageNet value) gave the same accuracy after 10
    # epochs (90.58 % vs 90.64 %) and was worse early on (89.38 % vs 89.50 % after 5)
    optimizer=dict(type='AdamW', lr=2e-3, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999),
                   # torch's fused AdamW kernel (CPU and CUDA): the step over this model's 74
                   # parameter groups took 1.2 ms instead of 6.3 ms (2 threads, AMD EPYC)
                   fused=True),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0),
)

param_scheduler = [
    # 200-iteration linear warmup (less than half of the first epoch)
    dict(type='LinearLR', start_factor=1e-3, by_epoch=False, begin=0, end=200),
    # cosine decay over the whole run, stepped every iteration; follows train_cfg.max_epochs
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=0,
         convert_to_iter_based=True),
]

# 12 epochs fit in 5 minutes of training on 2 idle CPU cores with room to spare (timed: 254 s,
# ~20.5 s per epoch with validation, plus start-up; see docs/quickstart.md). At this
# budget accuracy follows the number of epochs: the job gave 90.61 % with 9 epochs and 90.81 %
# with 12 (the bare loop: 90.84 %; 24 epochs, twice the budget: 91.08 %). Nothing else tried
# beat this recipe at the same compute (bare loop, side by side, 12 epochs, all within
# +-0.15 %): no layer scale 90.71 %, lr 3e-3 with a one-epoch warmup and AdamW beta2 0.99
# 90.75 %, weight decay 0.1 with stochastic depth 0.2 90.87 %, weight EMA (decay 0.999)
# 90.89 %; and at equal compute the deeper/higher-resolution variants lost: 2x2 stem with a
# 16 px 16-channel stage added (8 epochs) 90.38 %, depths 2-2-2-1 (9 epochs) 90.28 %, 2x2 stem
# on 28 px, half widths (13 epochs) 90.68 %; BatchNorm instead of LayerNorm 90.69 %, 48 px
# input 90.91 % (1.3x the cost), batch 64 90.77 %, random 2-px translation 89.97 % (91.40 % only
# after 30 epochs). (The 12-epoch job gave 90.81 % before the fused AdamW step and the cropped
# small-map depthwise kernels changed the rounding, 90.69 % after: the spread of one seed.)
train_cfg = dict(by_epoch=True, max_epochs=12, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr 2e-3 is tuned for one process with 128 images; `--auto-scale-lr` rescales it linearly
auto_scale_lr = dict(base_batch_size=128)

# The dataset reads the Debian idx files directly (no export to PNG folders): the 70k images
# are decoded once into memory when it is built, resized to 32 px once (cache_steps='auto'),
# and per sample only the flip and packing run, in this process (num_workers=0; both set by
# the dataset base). Measured side by side (docs/quickstart.md): building the cached training
# set took 42 s vs 68 s for the cached PNG folders plus a 97 s export, and a batch loads no
# slower; without the cache the per-sample resize made loading 1.47x slower. With 2 loader
# workers decoding PNGs (before any cache) the workers and the 2 compute threads fought over 2
# cores: the loop ran at 0.48x the bare training step.

default_hooks = dict(logger=dict(interval=50))  # 469 iterations per epoch
randomness = dict(seed=0)  # a reproducible quickstart
