"""Model-zoo data: every published ConvNeXt (V1) and ConvNeXt V2 checkpoint.

Facts from MMPretrain 1.2.0's metafiles (names, files, params, FLOPs, accuracies, sources). The
names keep MMPretrain's mix of ``in21k-pre_3rdparty`` and ``in21k-pre-3rdparty`` on purpose:
they are what users type. ``docs/model_zoo.md`` is generated from this table
(``python -m mmcls_convnext.zoo.docgen``); a test keeps the two in sync.

The three ``*_3rdparty_in21k`` rows list the params/FLOPs of the model their config builds,
with the 21,841-class head the weights hold (MMPretrain lists the 1000-class numbers).

Each row: (name, config stem, file name, params in M, GFLOPs (MACs) at the eval resolution,
top-1, top-5, training data, converted-from weights file or None).
"""
from typing import Optional, Tuple

V1_PREFIX = 'https://download.openmmlab.com/mmclassification/v0/convnext/'
V2_PREFIX = 'https://download.openmmlab.com/mmclassification/v0/convnext-v2/'
V1_OFFICIAL = 'https://dl.fbaipublicfiles.com/convnext/'
V2_OFFICIAL = 'https://dl.fbaipublicfiles.com/convnext/convnextv2/'
V1_CODE = 'https://github.com/facebookresearch/ConvNeXt'
V2_CODE = 'https://github.com/facebookresearch/ConvNeXt-V2'

IN1K = ('ImageNet-1k', )
IN21K = ('ImageNet-21k', )
IN21K_1K = ('ImageNet-21k', 'ImageNet-1k')

Row = Tuple[str, str, str, float, float, Optional[float], Optional[float], Tuple[str, ...],
            Optional[str]]

# yapf: disable
# name, config stem, file, params M, GFLOPs, top-1, top-5, data, official file
V1_ROWS: Tuple[Row, ...] = (
    ('convnext-tiny_32xb128_in1k', 'convnext-tiny_32xb128_in1k',
     'convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth', 28.59, 4.46, 82.14, 96.06, IN1K, None),
    ('convnext-tiny_32xb128-noema_in1k', 'convnext-tiny_32xb128_in1k',
     'convnext-tiny_32xb128-noema_in1k_20221208-5d4509c7.pth', 28.59, 4.46, 81.95, 95.89, IN1K,
     None),
    ('convnext-tiny_in21k-pre_3rdparty_in1k', 'convnext-tiny_32xb128_in1k',
     'convnext-tiny_in21k-pre_3rdparty_in1k_20221219-7501e534.pth', 28.59, 4.46, 82.90, 96.62,
     IN21K_1K, 'convnext_tiny_22k_1k_224.pth'),
    ('convnext-tiny_in21k-pre_3rdparty_in1k-384px', 'convnext-tiny_32xb128_in1k-384px',
     'convnext-tiny_in21k-pre_3rdparty_in1k-384px_20221219-c1182362.pth', 28.59, 13.14, 84.11,
     97.14, IN21K_1K, 'convnext_tiny_22k_1k_384.pth'),
    ('convnext-small_32xb128_in1k', 'convnext-small_32xb128_in1k',
     'convnext-small_32xb128_in1k_20221207-4ab7052c.pth', 50.22, 8.69, 83.16, 96.56, IN1K, None),
    ('convnext-small_32xb128-noema_in1k', 'convnext-small_32xb128_in1k',
     'convnext-small_32xb128-noema_in1k_20221208-4a618995.pth', 50.22, 8.69, 83.21, 96.48, IN1K,
     None),
    ('convnext-small_in21k-pre_3rdparty_in1k', 'convnext-small_32xb128_in1k',
     'convnext-small_in21k-pre_3rdparty_in1k_20221219-aeca4c93.pth', 50.22, 8.69, 84.59, 97.41,
     IN21K_1K, 'convnext_small_22k_1k_224.pth'),
    ('convnext-small_in21k-pre_3rdparty_in1k-384px', 'convnext-small_32xb128_in1k-384px',
     'convnext-small_in21k-pre_3rdparty_in1k-384px_20221219-96f0bb87.pth', 50.22, 25.58, 85.75,
     97.88, IN21K_1K, 'convnext_small_22k_1k_384.pth'),
    ('convnext-base_32xb128_in1k', 'convnext-base_32xb128_in1k',
     'convnext-base_32xb128_in1k_20221207-fbdb5eb9.pth', 88.59, 15.36, 83.66, 96.74, IN1K, None),
    ('convnext-base_32xb128-noema_in1k', 'convnext-base_32xb128_in1k',
     'convnext-base_32xb128-noema_in1k_20221208-f8182678.pth', 88.59, 15.36, 83.64, 96.61, IN1K,
     None),
    ('convnext-base_3rdparty_in1k', 'convnext-base_32xb128_in1k',
     'convnext-base_3rdparty_32xb128_in1k_20220124-d0915162.pth', 88.59, 15.36, 83.85, 96.74,
     IN1K, 'convnext_base_1k_224_ema.pth'),
    ('convnext-base_3rdparty-noema_in1k', 'convnext-base_32xb128_in1k',
     'convnext-base_3rdparty_32xb128-noema_in1k_20220222-dba4f95f.pth', 88.59, 15.36, 83.71,
     96.60, IN1K, 'convnext_base_1k_224.pth'),
    ('convnext-base_3rdparty_in1k-384px', 'convnext-base_32xb128_in1k-384px',
     'convnext-base_3rdparty_in1k-384px_20221219-c8f1dc2b.pth', 88.59, 45.21, 85.10, 97.34,
     IN1K, 'convnext_base_1k_384.pth'),
    ('convnext-base_3rdparty_in21k', 'convnext-base_32xb128_in21k',
     'convnext-base_3rdparty_in21k_20220124-13b83eec.pth', 109.95, 15.38, None, None, IN21K,
     'convnext_base_22k_224.pth'),
    ('convnext-base_in21k-pre_3rdparty_in1k', 'convnext-base_32xb128_in1k',
     'convnext-base_in21k-pre-3rdparty_32xb128_in1k_20220124-eb2d6ada.pth', 88.59, 15.36, 85.81,
     97.86, IN21K_1K, 'convnext_base_22k_1k_224.pth'),
    ('convnext-base_in21k-pre-3rdparty_in1k-384px', 'convnext-base_32xb128_in1k-384px',
     'convnext-base_in21k-pre-3rdparty_in1k-384px_20221219-4570f792.pth', 88.59, 45.21, 86.82,
     98.25, IN21K_1K, 'convnext_base_22k_1k_384.pth'),
    ('convnext-large_3rdparty_in1k', 'convnext-large_64xb64_in1k',
     'convnext-large_3rdparty_64xb64_in1k_20220124-f8a0ded0.pth', 197.77, 34.37, 84.30, 96.89,
     IN1K, 'convnext_large_1k_224_ema.pth'),
    ('convnext-large_3rdparty_in1k-384px', 'convnext-large_64xb64_in1k-384px',
     'convnext-large_3rdparty_in1k-384px_20221219-6dd29d10.pth', 197.77, 101.10, 85.50, 97.59,
     IN1K, 'convnext_large_1k_384.pth'),
    ('convnext-large_3rdparty_in21k', 'convnext-large_64xb64_in21k',
     'convnext-large_3rdparty_in21k_20220124-41b5a79f.pth', 229.80, 34.40, None, None, IN21K,
     'convnext_large_22k_224.pth'),
    ('convnext-large_in21k-pre_3rdparty_in1k', 'convnext-large_64xb64_in1k',
     'convnext-large_in21k-pre-3rdparty_64xb64_in1k_20220124-2412403d.pth', 197.77, 34.37,
     86.61, 98.04, IN21K_1K, 'convnext_large_22k_1k_224.pth'),
    ('convnext-large_in21k-pre-3rdparty_in1k-384px', 'convnext-large_64xb64_in1k-384px',
     'convnext-large_in21k-pre-3rdparty_in1k-384px_20221219-6d38dd66.pth', 197.77, 101.10,
     87.46, 98.37, IN21K_1K, 'convnext_large_22k_1k_384.pth'),
    ('convnext-xlarge_3rdparty_in21k', 'convnext-xlarge_64xb64_in21k',
     'convnext-xlarge_3rdparty_in21k_20220124-f909bad7.pth', 392.90, 60.97, None, None, IN21K,
     'convnext_xlarge_22k_224.pth'),
    ('convnext-xlarge_in21k-pre_3rdparty_in1k', 'convnext-xlarge_64xb64_in1k',
     'convnext-xlarge_in21k-pre-3rdparty_64xb64_in1k_20220124-76b6863d.pth', 350.20, 60.93,
     86.97, 98.20, IN21K_1K, 'convnext_xlarge_22k_1k_224_ema.pth'),
    ('convnext-xlarge_in21k-pre-3rdparty_in1k-384px', 'convnext-xlarge_64xb64_in1k-384px',
     'convnext-xlarge_in21k-pre-3rdparty_in1k-384px_20221219-b161bc14.pth', 350.20, 179.20,
     87.76, 98.55, IN21K_1K, 'convnext_xlarge_22k_1k_384_ema.pth'),
)

# V2 rows are regular: (arch, kind, resolution, params M, GFLOPs, top-1, top-5, hash).
# kind 'fcmae': the self-supervised FCMAE encoder (backbone only, no head, no results);
# 'in1k': FCMAE pre-training + ImageNet-1k fine-tuning; 'in21k': + ImageNet-21k intermediate
# fine-tuning, then ImageNet-1k.
V2_ROWS = (
    ('atto', 'fcmae', 224, 3.71, 0.55, None, None, '07514db4'),
    ('atto', 'in1k', 224, 3.71, 0.55, 76.64, 93.04, '23765f83'),
    ('femto', 'fcmae', 224, 5.23, 0.78, None, None, 'adbe2082'),
    ('femto', 'in1k', 224, 5.23, 0.78, 78.48, 93.98, '92a75d75'),
    ('pico', 'fcmae', 224, 9.07, 1.37, None, None, '147b1b59'),
    ('pico', 'in1k', 224, 9.07, 1.37, 80.31, 95.08, 'd20263ca'),
    ('nano', 'fcmae', 224, 15.62, 2.45, None, None, '3dd1f29e'),
    ('nano', 'in1k', 224, 15.62, 2.45, 81.86, 95.75, 'fe1aaaf2'),
    ('nano', 'in21k', 224, 15.62, 2.45, 82.04, 96.16, '91fa8ae2'),
    ('nano', 'in21k', 384, 15.62, 7.21, 83.36, 96.75, 'f951ae87'),
    ('tiny', 'fcmae', 224, 28.64, 4.47, None, None, '80513adc'),
    ('tiny', 'in1k', 224, 28.64, 4.47, 82.94, 96.29, '471a86de'),
    ('tiny', 'in21k', 224, 28.64, 4.47, 83.89, 96.96, '8cc8b8f2'),
    ('tiny', 'in21k', 384, 28.64, 13.14, 85.09, 97.63, 'd8579f84'),
    ('base', 'fcmae', 224, 88.72, 15.38, None, None, '8a798eaf'),
    ('base', 'in1k', 224, 88.72, 15.38, 84.87, 97.08, '00a70fa4'),
    ('base', 'in21k', 224, 88.72, 15.38, 86.74, 98.02, 'c48d16a5'),
    ('base', 'in21k', 384, 88.72, 45.21, 87.63, 98.42, '379425cc'),
    ('large', 'fcmae', 224, 197.96, 34.40, None, None, 'bf38df92'),
    ('large', 'in1k', 224, 197.96, 34.40, 85.76, 97.59, 'ef393013'),
    ('large', 'in21k', 224, 197.96, 34.40, 87.26, 98.24, 'd9c4dc0c'),
    ('large', 'in21k', 384, 197.96, 101.10, 88.18, 98.52, '9139a1f3'),
    ('huge', 'fcmae', 224, 660.29, 115.00, None, None, 'fe43ae6c'),
    ('huge', 'in1k', 224, 660.29, 115.00, 86.25, 97.75, 'f795e5b8'),
    ('huge', 'in21k', 384, 660.29, 337.96, 88.68, 98.73, '02a4eb35'),
    ('huge', 'in21k', 512, 660.29, 600.81, 88.86, 98.74, 'ce32e63c'),
)
# yapf: enable
