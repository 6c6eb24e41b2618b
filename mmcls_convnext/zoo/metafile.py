"""Model-zoo data: every published ConvNeXt (V1) and ConvNeXt V2 checkpoint, one named record each.

Facts from MMPretrain 1.2.0's metafiles (names, files, params, FLOPs, accuracies, sources) and
the official releases (github.com/facebookresearch/ConvNeXt and ConvNeXt-V2: the original
files, licences). The names keep MMPretrain's mix of ``in21k-pre_3rdparty`` and
``in21k-pre-3rdparty`` on purpose: they are what users type. URLs are written out in full, so
a search for a file name finds its record. ``docs/model_zoo.md`` is generated from these
records (``python -m mmcls_convnext.zoo.docgen``); a test keeps the two in sync.

The three ``*_3rdparty_in21k`` records list the params/FLOPs of the model their config builds,
with the 21,841-class head the weights hold (MMPretrain lists the 1000-class numbers).

Family defaults (:func:`_v1`, :func:`_v2`): the code repository of converted weights; the
licence (OpenMMLab-trained V1 files: Apache-2.0, as MMPretrain; files converted from the
official V1 release: MIT, its licence; every V2 file: CC BY-NC 4.0, the official V2 weights'
licence); an ImageNet-1k head; eval at 224 px (short edge 256, centre crop 224, bicubic).
"""
from typing import Optional, Tuple

from .eval_transforms import EvalTransforms
from .model_info import IMAGENET_1K, IMAGENET_21K, ModelInfo

V1_CODE = 'https://github.com/facebookresearch/ConvNeXt'
V2_CODE = 'https://github.com/facebookresearch/ConvNeXt-V2'

IN1K = ('ImageNet-1k', )
IN21K = ('ImageNet-21k', )
IN21K_1K = ('ImageNet-21k', 'ImageNet-1k')

# the test pipelines of the official releases (and of the configs under configs/)
AT_224 = EvalTransforms(crop_size=224, resize_size=256)  # crop ratio 0.875
AT_384 = EvalTransforms(crop_size=384, resize_size=384, crop_mode='squash')
AT_512 = EvalTransforms(crop_size=512, resize_size=512, crop_mode='squash')


def _v1(*, name: str, arch: str, config: str, weights: str, params_m: float, gflops: float,
        top1: Optional[float] = None, top5: Optional[float] = None,
        training_data: Tuple[str, ...] = IN1K, converted_from: Optional[str] = None,
        label_set: Optional[str] = IMAGENET_1K,
        preprocessing: EvalTransforms = AT_224) -> ModelInfo:
    """A ConvNeXt (V1) record: trained with MMPretrain, or converted from the official files."""
    official = converted_from is not None
    return ModelInfo(name=name, family='ConvNeXt', arch=arch, config=config, weights=weights,
                     params_m=params_m, gflops=gflops, top1=top1, top5=top5,
                     training_data=training_data, converted_from=converted_from,
                     code=V1_CODE if official else None,
                     licence='MIT' if official else 'Apache-2.0', label_set=label_set,
                     preprocessing=preprocessing)


def _v2(*, name: str, arch: str, config: str, weights: str, converted_from: str,
        params_m: float, gflops: float, top1: Optional[float] = None,
        top5: Optional[float] = None, training_data: Tuple[str, ...] = IN1K,
        label_set: Optional[str] = IMAGENET_1K,
        preprocessing: EvalTransforms = AT_224) -> ModelInfo:
    """A ConvNeXt V2 record, converted from the official release. ``label_set=None``: the
    self-supervised FCMAE encoder (backbone only, no head, no results)."""
    return ModelInfo(name=name, family='ConvNeXt V2', arch=arch, config=config, weights=weights,
                     params_m=params_m, gflops=gflops, top1=top1, top5=top5,
                     training_data=training_data, converted_from=converted_from, code=V2_CODE,
                     licence='CC-BY-NC-4.0', label_set=label_set, preprocessing=preprocessing)


# yapf: disable
V1_MODELS: Tuple[ModelInfo, ...] = (
    _v1(name='convnext-tiny_32xb128_in1k', arch='tiny',
        config='configs/convnext/convnext-tiny_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth',  # noqa: E501
        params_m=28.59, gflops=4.46, top1=82.14, top5=96.06),
    _v1(name='convnext-tiny_32xb128-noema_in1k', arch='tiny',
        config='configs/convnext/convnext-tiny_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-tiny_32xb128-noema_in1k_20221208-5d4509c7.pth',  # noqa: E501
        params_m=28.59, gflops=4.46, top1=81.95, top5=95.89),
    _v1(name='convnext-tiny_in21k-pre_3rdparty_in1k', arch='tiny',
        config='configs/convnext/convnext-tiny_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-tiny_in21k-pre_3rdparty_in1k_20221219-7501e534.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_tiny_22k_1k_224.pth',
        params_m=28.59, gflops=4.46, top1=82.90, top5=96.62, training_data=IN21K_1K),
    _v1(name='convnext-tiny_in21k-pre_3rdparty_in1k-384px', arch='tiny',
        config='configs/convnext/convnext-tiny_32xb128_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-tiny_in21k-pre_3rdparty_in1k-384px_20221219-c1182362.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_tiny_22k_1k_384.pth',
        params_m=28.59, gflops=13.14, top1=84.11, top5=97.14,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v1(name='convnext-small_32xb128_in1k', arch='small',
        config='configs/convnext/convnext-small_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-small_32xb128_in1k_20221207-4ab7052c.pth',  # noqa: E501
        params_m=50.22, gflops=8.69, top1=83.16, top5=96.56),
    _v1(name='convnext-small_32xb128-noema_in1k', arch='small',
        config='configs/convnext/convnext-small_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-small_32xb128-noema_in1k_20221208-4a618995.pth',  # noqa: E501
        params_m=50.22, gflops=8.69, top1=83.21, top5=96.48),
    _v1(name='convnext-small_in21k-pre_3rdparty_in1k', arch='small',
        config='configs/convnext/convnext-small_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-small_in21k-pre_3rdparty_in1k_20221219-aeca4c93.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_small_22k_1k_224.pth',
        params_m=50.22, gflops=8.69, top1=84.59, top5=97.41, training_data=IN21K_1K),
    _v1(name='convnext-small_in21k-pre_3rdparty_in1k-384px', arch='small',
        config='configs/convnext/convnext-small_32xb128_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-small_in21k-pre_3rdparty_in1k-384px_20221219-96f0bb87.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_small_22k_1k_384.pth',
        params_m=50.22, gflops=25.58, top1=85.75, top5=97.88,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v1(name='convnext-base_32xb128_in1k', arch='base',
        config='configs/convnext/convnext-base_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_32xb128_in1k_20221207-fbdb5eb9.pth',  # noqa: E501
        params_m=88.59, gflops=15.36, top1=83.66, top5=96.74),
    _v1(name='convnext-base_32xb128-noema_in1k', arch='base',
        config='configs/convnext/convnext-base_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_32xb128-noema_in1k_20221208-f8182678.pth',  # noqa: E501
        params_m=88.59, gflops=15.36, top1=83.64, top5=96.61),
    _v1(name='convnext-base_3rdparty_in1k', arch='base',
        config='configs/convnext/convnext-base_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_3rdparty_32xb128_in1k_20220124-d0915162.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_base_1k_224_ema.pth',
        params_m=88.59, gflops=15.36, top1=83.85, top5=96.74),
    _v1(name='convnext-base_3rdparty-noema_in1k', arch='base',
        config='configs/convnext/convnext-base_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_3rdparty_32xb128-noema_in1k_20220222-dba4f95f.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_base_1k_224.pth',
        params_m=88.59, gflops=15.36, top1=83.71, top5=96.60),
    _v1(name='convnext-base_3rdparty_in1k-384px', arch='base',
        config='configs/convnext/convnext-base_32xb128_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_3rdparty_in1k-384px_20221219-c8f1dc2b.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_base_1k_384.pth',
        params_m=88.59, gflops=45.21, top1=85.10, top5=97.34, preprocessing=AT_384),
    _v1(name='convnext-base_3rdparty_in21k', arch='base',
        config='configs/convnext/convnext-base_32xb128_in21k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_3rdparty_in21k_20220124-13b83eec.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_base_22k_224.pth',
        params_m=109.95, gflops=15.38, training_data=IN21K, label_set=IMAGENET_21K),
    _v1(name='convnext-base_in21k-pre_3rdparty_in1k', arch='base',
        config='configs/convnext/convnext-base_32xb128_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_in21k-pre-3rdparty_32xb128_in1k_20220124-eb2d6ada.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_base_22k_1k_224.pth',
        params_m=88.59, gflops=15.36, top1=85.81, top5=97.86, training_data=IN21K_1K),
    _v1(name='convnext-base_in21k-pre-3rdparty_in1k-384px', arch='base',
        config='configs/convnext/convnext-base_32xb128_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-base_in21k-pre-3rdparty_in1k-384px_20221219-4570f792.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_base_22k_1k_384.pth',
        params_m=88.59, gflops=45.21, top1=86.82, top5=98.25,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v1(name='convnext-large_3rdparty_in1k', arch='large',
        config='configs/convnext/convnext-large_64xb64_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-large_3rdparty_64xb64_in1k_20220124-f8a0ded0.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_large_1k_224_ema.pth',
        params_m=197.77, gflops=34.37, top1=84.30, top5=96.89),
    _v1(name='convnext-large_3rdparty_in1k-384px', arch='large',
        config='configs/convnext/convnext-large_64xb64_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-large_3rdparty_in1k-384px_20221219-6dd29d10.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_large_1k_384.pth',
        params_m=197.77, gflops=101.10, top1=85.50, top5=97.59, preprocessing=AT_384),
    _v1(name='convnext-large_3rdparty_in21k', arch='large',
        config='configs/convnext/convnext-large_64xb64_in21k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-large_3rdparty_in21k_20220124-41b5a79f.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_large_22k_224.pth',
        params_m=229.80, gflops=34.40, training_data=IN21K, label_set=IMAGENET_21K),
    _v1(name='convnext-large_in21k-pre_3rdparty_in1k', arch='large',
        config='configs/convnext/convnext-large_64xb64_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-large_in21k-pre-3rdparty_64xb64_in1k_20220124-2412403d.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_large_22k_1k_224.pth',
        params_m=197.77, gflops=34.37, top1=86.61, top5=98.04, training_data=IN21K_1K),
    _v1(name='convnext-large_in21k-pre-3rdparty_in1k-384px', arch='large',
        config='configs/convnext/convnext-large_64xb64_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-large_in21k-pre-3rdparty_in1k-384px_20221219-6d38dd66.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_large_22k_1k_384.pth',
        params_m=197.77, gflops=101.10, top1=87.46, top5=98.37,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v1(name='convnext-xlarge_3rdparty_in21k', arch='xlarge',
        config='configs/convnext/convnext-xlarge_64xb64_in21k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-xlarge_3rdparty_in21k_20220124-f909bad7.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_xlarge_22k_224.pth',
        params_m=392.90, gflops=60.97, training_data=IN21K, label_set=IMAGENET_21K),
    _v1(name='convnext-xlarge_in21k-pre_3rdparty_in1k', arch='xlarge',
        config='configs/convnext/convnext-xlarge_64xb64_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-xlarge_in21k-pre-3rdparty_64xb64_in1k_20220124-76b6863d.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_xlarge_22k_1k_224_ema.pth',
        params_m=350.20, gflops=60.93, top1=86.97, top5=98.20, training_data=IN21K_1K),
    _v1(name='convnext-xlarge_in21k-pre-3rdparty_in1k-384px', arch='xlarge',
        config='configs/convnext/convnext-xlarge_64xb64_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext/convnext-xlarge_in21k-pre-3rdparty_in1k-384px_20221219-b161bc14.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnext_xlarge_22k_1k_384_ema.pth',
        params_m=350.20, gflops=179.20, top1=87.76, top5=98.55,
        training_data=IN21K_1K, preprocessing=AT_384),
)

# V2 kinds: *_3rdparty-fcmae_in1k = the FCMAE encoder; *_fcmae-pre_3rdparty_in1k = FCMAE
# pre-training + ImageNet-1k fine-tuning; *_fcmae-in21k-pre_* = + ImageNet-21k intermediate
# fine-tuning, then ImageNet-1k.
V2_MODELS: Tuple[ModelInfo, ...] = (
    _v2(name='convnext-v2-atto_3rdparty-fcmae_in1k', arch='atto',
        config='configs/convnext_v2/convnext-v2-atto_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-atto_3rdparty-fcmae_in1k_20230104-07514db4.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/pt_only/convnextv2_atto_1k_224_fcmae.pt',  # noqa: E501
        params_m=3.71, gflops=0.55, label_set=None),
    _v2(name='convnext-v2-atto_fcmae-pre_3rdparty_in1k', arch='atto',
        config='configs/convnext_v2/convnext-v2-atto_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-atto_fcmae-pre_3rdparty_in1k_20230104-23765f83.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/convnextv2_atto_1k_224_ema.pt',  # noqa: E501
        params_m=3.71, gflops=0.55, top1=76.64, top5=93.04),
    _v2(name='convnext-v2-femto_3rdparty-fcmae_in1k', arch='femto',
        config='configs/convnext_v2/convnext-v2-femto_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-femto_3rdparty-fcmae_in1k_20230104-adbe2082.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/pt_only/convnextv2_femto_1k_224_fcmae.pt',  # noqa: E501
        params_m=5.23, gflops=0.78, label_set=None),
    _v2(name='convnext-v2-femto_fcmae-pre_3rdparty_in1k', arch='femto',
        config='configs/convnext_v2/convnext-v2-femto_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-femto_fcmae-pre_3rdparty_in1k_20230104-92a75d75.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/convnextv2_femto_1k_224_ema.pt',  # noqa: E501
        params_m=5.23, gflops=0.78, top1=78.48, top5=93.98),
    _v2(name='convnext-v2-pico_3rdparty-fcmae_in1k', arch='pico',
        config='configs/convnext_v2/convnext-v2-pico_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-pico_3rdparty-fcmae_in1k_20230104-147b1b59.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/pt_only/convnextv2_pico_1k_224_fcmae.pt',  # noqa: E501
        params_m=9.07, gflops=1.37, label_set=None),
    _v2(name='convnext-v2-pico_fcmae-pre_3rdparty_in1k', arch='pico',
        config='configs/convnext_v2/convnext-v2-pico_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-pico_fcmae-pre_3rdparty_in1k_20230104-d20263ca.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/convnextv2_pico_1k_224_ema.pt',  # noqa: E501
        params_m=9.07, gflops=1.37, top1=80.31, top5=95.08),
    _v2(name='convnext-v2-nano_3rdparty-fcmae_in1k', arch='nano',
        config='configs/convnext_v2/convnext-v2-nano_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-nano_3rdparty-fcmae_in1k_20230104-3dd1f29e.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/pt_only/convnextv2_nano_1k_224_fcmae.pt',  # noqa: E501
        params_m=15.62, gflops=2.45, label_set=None),
    _v2(name='convnext-v2-nano_fcmae-pre_3rdparty_in1k', arch='nano',
        config='configs/convnext_v2/convnext-v2-nano_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-nano_fcmae-pre_3rdparty_in1k_20230104-fe1aaaf2.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/convnextv2_nano_1k_224_ema.pt',  # noqa: E501
        params_m=15.62, gflops=2.45, top1=81.86, top5=95.75),
    _v2(name='convnext-v2-nano_fcmae-in21k-pre_3rdparty_in1k', arch='nano',
        config='configs/convnext_v2/convnext-v2-nano_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-nano_fcmae-in21k-pre_3rdparty_in1k_20230104-91fa8ae2.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_nano_22k_224_ema.pt',  # noqa: E501
        params_m=15.62, gflops=2.45, top1=82.04, top5=96.16, training_data=IN21K_1K),
    _v2(name='convnext-v2-nano_fcmae-in21k-pre_3rdparty_in1k-384px', arch='nano',
        config='configs/convnext_v2/convnext-v2-nano_32xb32_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-nano_fcmae-in21k-pre_3rdparty_in1k-384px_20230104-f951ae87.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_nano_22k_384_ema.pt',  # noqa: E501
        params_m=15.62, gflops=7.21, top1=83.36, top5=96.75,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v2(name='convnext-v2-tiny_3rdparty-fcmae_in1k', arch='tiny',
        config='configs/convnext_v2/convnext-v2-tiny_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-tiny_3rdparty-fcmae_in1k_20230104-80513adc.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/pt_only/convnextv2_tiny_1k_224_fcmae.pt',  # noqa: E501
        params_m=28.64, gflops=4.47, label_set=None),
    _v2(name='convnext-v2-tiny_fcmae-pre_3rdparty_in1k', arch='tiny',
        config='configs/convnext_v2/convnext-v2-tiny_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-tiny_fcmae-pre_3rdparty_in1k_20230104-471a86de.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/convnextv2_tiny_1k_224_ema.pt',  # noqa: E501
        params_m=28.64, gflops=4.47, top1=82.94, top5=96.29),
    _v2(name='convnext-v2-tiny_fcmae-in21k-pre_3rdparty_in1k', arch='tiny',
        config='configs/convnext_v2/convnext-v2-tiny_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-tiny_fcmae-in21k-pre_3rdparty_in1k_20230104-8cc8b8f2.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_tiny_22k_224_ema.pt',  # noqa: E501
        params_m=28.64, gflops=4.47, top1=83.89, top5=96.96, training_data=IN21K_1K),
    _v2(name='convnext-v2-tiny_fcmae-in21k-pre_3rdparty_in1k-384px', arch='tiny',
        config='configs/convnext_v2/convnext-v2-tiny_32xb32_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-tiny_fcmae-in21k-pre_3rdparty_in1k-384px_20230104-d8579f84.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_tiny_22k_384_ema.pt',  # noqa: E501
        params_m=28.64, gflops=13.14, top1=85.09, top5=97.63,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v2(name='convnext-v2-base_3rdparty-fcmae_in1k', arch='base',
        config='configs/convnext_v2/convnext-v2-base_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-base_3rdparty-fcmae_in1k_20230104-8a798eaf.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/pt_only/convnextv2_base_1k_224_fcmae.pt',  # noqa: E501
        params_m=88.72, gflops=15.38, label_set=None),
    _v2(name='convnext-v2-base_fcmae-pre_3rdparty_in1k', arch='base',
        config='configs/convnext_v2/convnext-v2-base_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-base_fcmae-pre_3rdparty_in1k_20230104-00a70fa4.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/convnextv2_base_1k_224_ema.pt',  # noqa: E501
        params_m=88.72, gflops=15.38, top1=84.87, top5=97.08),
    _v2(name='convnext-v2-base_fcmae-in21k-pre_3rdparty_in1k', arch='base',
        config='configs/convnext_v2/convnext-v2-base_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-base_fcmae-in21k-pre_3rdparty_in1k_20230104-c48d16a5.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_base_22k_224_ema.pt',  # noqa: E501
        params_m=88.72, gflops=15.38, top1=86.74, top5=98.02, training_data=IN21K_1K),
    _v2(name='convnext-v2-base_fcmae-in21k-pre_3rdparty_in1k-384px', arch='base',
        config='configs/convnext_v2/convnext-v2-base_32xb32_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-base_fcmae-in21k-pre_3rdparty_in1k-384px_20230104-379425cc.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_base_22k_384_ema.pt',  # noqa: E501
        params_m=88.72, gflops=45.21, top1=87.63, top5=98.42,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v2(name='convnext-v2-large_3rdparty-fcmae_in1k', arch='large',
        config='configs/convnext_v2/convnext-v2-large_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-large_3rdparty-fcmae_in1k_20230104-bf38df92.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/pt_only/convnextv2_large_1k_224_fcmae.pt',  # noqa: E501
        params_m=197.96, gflops=34.40, label_set=None),
    _v2(name='convnext-v2-large_fcmae-pre_3rdparty_in1k', arch='large',
        config='configs/convnext_v2/convnext-v2-large_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-large_fcmae-pre_3rdparty_in1k_20230104-ef393013.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/convnextv2_large_1k_224_ema.pt',  # noqa: E501
        params_m=197.96, gflops=34.40, top1=85.76, top5=97.59),
    _v2(name='convnext-v2-large_fcmae-in21k-pre_3rdparty_in1k', arch='large',
        config='configs/convnext_v2/convnext-v2-large_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-large_fcmae-in21k-pre_3rdparty_in1k_20230104-d9c4dc0c.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_large_22k_224_ema.pt',  # noqa: E501
        params_m=197.96, gflops=34.40, top1=87.26, top5=98.24, training_data=IN21K_1K),
    _v2(name='convnext-v2-large_fcmae-in21k-pre_3rdparty_in1k-384px', arch='large',
        config='configs/convnext_v2/convnext-v2-large_32xb32_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-large_fcmae-in21k-pre_3rdparty_in1k-384px_20230104-9139a1f3.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_large_22k_384_ema.pt',  # noqa: E501
        params_m=197.96, gflops=101.10, top1=88.18, top5=98.52,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v2(name='convnext-v2-huge_3rdparty-fcmae_in1k', arch='huge',
        config='configs/convnext_v2/convnext-v2-huge_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-huge_3rdparty-fcmae_in1k_20230104-fe43ae6c.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/pt_only/convnextv2_huge_1k_224_fcmae.pt',  # noqa: E501
        params_m=660.29, gflops=115.00, label_set=None),
    _v2(name='convnext-v2-huge_fcmae-pre_3rdparty_in1k', arch='huge',
        config='configs/convnext_v2/convnext-v2-huge_32xb32_in1k.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-huge_fcmae-pre_3rdparty_in1k_20230104-f795e5b8.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im1k/convnextv2_huge_1k_224_ema.pt',  # noqa: E501
        params_m=660.29, gflops=115.00, top1=86.25, top5=97.75),
    _v2(name='convnext-v2-huge_fcmae-in21k-pre_3rdparty_in1k-384px', arch='huge',
        config='configs/convnext_v2/convnext-v2-huge_32xb32_in1k-384px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-huge_fcmae-in21k-pre_3rdparty_in1k-384px_20230104-02a4eb35.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_huge_22k_384_ema.pt',  # noqa: E501
        params_m=660.29, gflops=337.96, top1=88.68, top5=98.73,
        training_data=IN21K_1K, preprocessing=AT_384),
    _v2(name='convnext-v2-huge_fcmae-in21k-pre_3rdparty_in1k-512px', arch='huge',
        config='configs/convnext_v2/convnext-v2-huge_32xb32_in1k-512px.py',
        weights='https://download.openmmlab.com/mmclassification/v0/convnext-v2/convnext-v2-huge_fcmae-in21k-pre_3rdparty_in1k-512px_20230104-ce32e63c.pth',  # noqa: E501
        converted_from='https://dl.fbaipublicfiles.com/convnext/convnextv2/im22k/convnextv2_huge_22k_512_ema.pt',  # noqa: E501
        params_m=660.29, gflops=600.81, top1=88.86, top5=98.74,
        training_data=IN21K_1K, preprocessing=AT_512),
)
# yapf: enable

MODELS: Tuple[ModelInfo, ...] = V1_MODELS + V2_MODELS
