# ConvNeXt-V2 fine-tune recipe for atto, femto, pico and nano: AdamW lr 8e-4, weight decay 0.3,
# total batch 1024, 600 epochs of cosine decay without warmup. Inherits nothing.
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=8e-4, weight_decay=0.3, eps=1e-8, betas=(0.9, 0.999)),
    # no weight decay on norm weights, biases and other 1-D parameters (GRN gamma, beta)
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0),
    # no clip_grad: no gradient clipping (official recipe)
)

param_scheduler = [
    # no warmup for the small models: cosine decay to 1e-5 from the first epoch
    dict(type='CosineAnnealingLR', eta_min=1e-5, by_epoch=True),
]

train_cfg = dict(by_epoch=True, max_epochs=600, val_interval=1)
val_cfg = dict()
test_cfg = dict()

# lr 8e-4 is for a total batch of 1024 (32 GPUs x 32); `--auto-scale-lr` rescales it
# linearly for the batch you actually run.
auto_scale_lr = dict(base_batch_size=1024)
