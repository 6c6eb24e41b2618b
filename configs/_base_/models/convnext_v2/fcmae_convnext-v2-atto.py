# FCMAE pretraining model (ConvNeXt V2 paper, arXiv 2301.00808, Sec. 3; official code
# facebookresearch/ConvNeXt-V2 models/fcmae.py, main_pretrain.py) with a ConvNeXt-V2-Atto
# encoder; the leaf configs set the arch. Inherits nothing.
model = dict(
    type='FCMAE',
    backbone=dict(
        type='ConvNeXt',
        arch='atto',
        use_grn=True,  # V2: GRN in every block
        layer_scale_init_value=0.,  # V2: no layer scale
        drop_path_rate=0.,  # SparseConvNeXtV2's default; pretraining uses no stochastic depth
    ),
    # decoder_embed_dim 512, decoder_depth 1 (main_pretrain.py defaults, the paper's choice)
    decoder=dict(embed_dims=512, depth=1),
    mask_ratio=0.6,  # --mask_ratio 0.6 (main_pretrain.py default; paper Sec. 3)
    norm_pix_loss=True,  # --norm_pix_loss is on by default in main_pretrain.py
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        # transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]) x 255
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        to_rgb=True,  # images are decoded BGR (mmcv convention)
    ),
)
