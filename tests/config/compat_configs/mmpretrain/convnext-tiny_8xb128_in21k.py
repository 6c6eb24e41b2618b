# A user's MMPretrain 1.2 leaf: ConvNeXt-T on MMPretrain's imagenet21k_bs128.py data settings.
_base_ = [
    '../common/convnext_tiny.py',
    '_base_/datasets/imagenet21k_bs128.py',
    '../common/adamw_swin.py',
    '_base_/default_runtime.py',
]
model = dict(head=dict(num_classes=21842))

# MMPretrain 1.2's imagenet21k_bs128.py trains only (no val / test settings); a user who
# evaluates on a held-out split of the same tree adds them:
val_dataloader = dict(
    batch_size=128,
    num_workers=5,
    dataset=dict(
        type='ImageNet21k',
        data_root='data/imagenet21k',
        split='val',
        pipeline=[
            dict(type='LoadImageFromFile'),
            dict(type='ResizeEdge', scale=256, edge='short'),
            dict(type='CenterCrop', crop_size=224),
            dict(type='PackInputs'),
        ]),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, 5))
val_cfg = dict()
test_dataloader = val_dataloader
test_evaluator = val_evaluator
test_cfg = dict()
