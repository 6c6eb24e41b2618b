# FCMAE self-supervised pretraining of ConvNeXt-V2-Large on ImageNet-1k images (labels unused),
# 224 px, 64 GPUs x 64 images = 4096 (TRAINING.md: 8 nodes x 8 GPUs, --batch_size 64; on one
# 8-GPU machine add --cfg-options optim_wrapper.accumulative_counts=8 for --update_freq 8).
# The official runs use fp16 AMP: add --amp. The encoder of the result fine-tunes as
# convnext-v2-large: model.backbone.init_cfg=dict(type='Pretrained', checkpoint=...,
# prefix='backbone.').
# 1600 epochs: TRAINING.md's ConvNeXt V2-Base command (--epochs 1600); used for base and the
# larger models. Pass --cfg-options train_cfg.max_epochs=800 for the shorter schedule.
_base_ = [
    '../_base_/models/convnext_v2/fcmae_convnext-v2-atto.py',
    '../_base_/datasets/imagenet_fcmae_224.py',
    '../_base_/schedules/adamw_bs4096_fcmae_800e.py',
    '../_base_/default_runtime.py',
]

model = dict(backbone=dict(arch='large'))
train_cfg = dict(max_epochs=1600)

# no validation in pretraining: keep the 3 newest checkpoints, no 'best'
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                                     save_best=None))
