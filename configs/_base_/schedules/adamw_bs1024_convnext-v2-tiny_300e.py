# ConvNeXt-V2 fine-tune recipe for tiny: AdamW lr 3.2e-3, total batch 1024, 300 epochs,
# 40 warmup epochs then cosine decay. Inherits nothing.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=3.2e-3, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    # no weight decay on norm weights, biases and other 1-D parameters (GRN gamma, beta)
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0),
    # no clip_grad: no gradient clipping (official recipe)
)

param_scheduler = [
    # linear warmup from lr*1e-3, updated every iteration over the first 40 epochs
    dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=40, convert_to_iter_based=True),
    # then cosine decay to 1e-5 over the remaining epochs
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True, begin=40),
]

train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr 3.2e-3 is for a total batch of 1024 (32 GPUs x 32); `--auto-scale-lr` rescales it
# linearly for the batch you actually run.
auto_scale_lr = dict(base_batch_size=1024)
