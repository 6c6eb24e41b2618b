# FCMAE self-supervised pretraining of ConvNeXt-V2-Pico on ImageNet-1k images (labels unused),
# 224 px, 64 GPUs x 64 images = 4096 (TRAINING.md: 8 nodes x 8 GPUs, --batch_size 64; on one
# 8-GPU machine add --cfg-options optim_wrapper.accumulative_counts=8 for --update_freq 8).
# The official runs use fp16 AMP: add --amp. The encoder of the result fine-tunes as
# convnext-v2-pico: model.backbone.init_cfg=dict(type='Pretrained', checkpoint=...,
# prefix='backbone.').
# 800 epochs: main_pretrain.py's default --epochs (the 1600-epoch schedule is the Base command of
# TRAINING.md).
_base_ = [
    '../_base_/models/convnext_v2/fcmae_convnext-v2-atto.py',
    '../_base_/datasets/imagenet_fcmae_224.py',
    '../_base_/schedules/adamw_bs4096_fcmae_800e.py',
    '../_base_/default_runtime.py',
]

model = dict(backbone=dict(arch='pico'))

# no validation in pretraining: keep the 3 newest checkpoints, no 'best'
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3,
                                     save_best=None))
