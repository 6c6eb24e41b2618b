# FCMAE pretraining schedule (main_pretrain.py / TRAINING.md of facebookresearch/ConvNeXt-V2):
# AdamW, lr = blr 1.5e-4 x total batch / 256, weight decay 0.05, betas (0.9, 0.95), 40 linear
# warmup epochs then cosine to 0, 800 epochs (the 1600-epoch leaves override max_epochs).
# Inherits nothing.
optim_wrapper = dict(
    # 1.5e-4 * 4096 / 256 = 2.4e-3 for the official total batch of 4096 (64 GPUs x 64, or
    # 8 GPUs x 64 x --update_freq 8)
    optimizer=dict(type='AdamW', lr=1.5e-4 * 4096 / 256, weight_decay=0.05, betas=(0.9, 0.95)),
    # timm's add_weight_decay: no decay on 1-D parameters and biases (LayerNorm, biases; the
    # official sparse GRN's gamma/beta are (1, C) and are decayed, ours are (C,): decayed too)
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0,
                       custom_keys={'.grn.': dict(decay_mult=1.0)}),
    # no gradient clipping (main_pretrain.py passes no clip_grad to the loss scaler)
)

param_scheduler = [
    # --warmup_epochs 40: lr rises linearly from ~0, updated every iteration (utils.py
    # adjust_learning_rate: lr * epoch / warmup_epochs with fractional epochs)
    dict(type='LinearLR', start_factor=1e-6, by_epoch=True, end=40, convert_to_iter_based=True),
    # then a half cosine to --min_lr 0 over the remaining epochs
    dict(type='CosineAnnealingLR', eta_min=0., by_epoch=True, begin=40,
         convert_to_iter_based=True),
]

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=800)  # --epochs 800 (default)

# lr 2.4e-3 is for a total batch of 4096; `--auto-scale-lr` rescales it linearly for the
# batch you actually run (the official blr x batch / 256 rule)
auto_scale_lr = dict(base_batch_size=4096)
