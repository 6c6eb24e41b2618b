# Fine-tune ConvNeXt-V2-Tiny on ImageNet-1k from FCMAE weights with the official recipe
# (TRAINING.md of facebookresearch/ConvNeXt-V2): lr 3.2e-3 (blr 8e-4) x 1024 / 256 for 32 GPUs x
# 32, 300 epochs, --layer_decay_type 'single' --layer_decay 0.9, EMA evaluation, --mixup 0.8
# --cutmix 1.0 (in the model base), RandAugment + RandomErasing 0.25, label smoothing. Our layer-
# decay constructor gives one layer id per group of 3 blocks of stage 3 (the official 'group'
# type); the official atto/tiny recipe decays per block ('single'), so the per-layer factors here
# are coarser than the official ones. The encoder comes from Meta's FCMAE weights (zoo:
# convnext-v2-tiny_3rdparty-fcmae_in1k). For your own pretraining pass its checkpoint instead
# (CKPT: e.g. work_dirs/<the fcmae-pre config>/epoch_<N>.pth):
#   --cfg-options model.backbone.init_cfg.checkpoint=CKPT
_base_ = [
    '../_base_/models/convnext_v2/convnext-v2-tiny.py',
    '../_base_/datasets/imagenet_convnext_224.py',
    '../_base_/schedules/adamw_bs1024_convnext-v2-tiny_300e.py',
    '../_base_/default_runtime.py',
]

model = dict(
    backbone=dict(init_cfg=dict(
        type='Pretrained',
        checkpoint='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-tiny_3rdparty-fcmae_in1k_20230104-80513adc.pth',  # noqa: E501
        prefix='backbone.')),
    # the classifier-level init would overwrite the loaded encoder: init the head only
    init_cfg=None,
    # main_finetune.py: trunc_normal_(head.weight, std=2e-5), bias 0
    head=dict(init_cfg=dict(_delete_=True, type='TruncNormal', layer='Linear', std=2e-5,
                            bias=0.)),
)

optim_wrapper = dict(
    constructor='LearningRateDecayOptimWrapperConstructor',
    paramwise_cfg=dict(layer_decay_rate=0.9, norm_decay_mult=0.0, bias_decay_mult=0.0,
                       flat_decay_mult=0.0),
)

# 32 images per GPU x 32 GPUs = 1024 (the official fine-tuning batch)
train_dataloader = dict(batch_size=32)

# --model_ema True --model_ema_eval True: evaluate on the EMA weights (decay 0.9999)
custom_hooks = [dict(type='EMAHook', momentum=1e-4, priority='ABOVE_NORMAL')]
