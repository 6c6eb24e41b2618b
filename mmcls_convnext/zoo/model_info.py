"""One published weight as a value: :class:`ModelInfo`.

A record knows where its file is (a literal URL whose name carries the first 8 hex digits of
the file's sha256), which config builds the model, the head's class names, the eval
preprocessing, the licence and the published numbers - as torchvision's ``Weights(url,
transforms, meta)`` and timm's per-weight pretrained configs do. The records themselves are in
:mod:`mmcls_convnext.zoo.metafile`.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from mmcls_convnext.checkpoint.hashing import expected_hash

from .eval_transforms import EvalTransforms

TASK_CLASSIFICATION = 'Image Classification'
TASK_BACKBONE = 'Backbone'  # self-supervised FCMAE encoders: no head, no accuracy
TASKS = (TASK_CLASSIFICATION, TASK_BACKBONE)
FAMILIES = ('ConvNeXt', 'ConvNeXt V2')

IMAGENET_1K = 'ImageNet-1k'
IMAGENET_21K = 'ImageNet-21k'
#: label set of a head -> its number of classes. ImageNet-21k is the fall11 release the
#: ConvNeXt in21k weights were trained on; no list of its class names ships with the package.
LABEL_SETS: Dict[str, int] = {IMAGENET_1K: 1000, IMAGENET_21K: 21841}

#: SPDX ids of the weights' licences: OpenMMLab-trained files follow MMPretrain (Apache-2.0);
#: files converted from facebookresearch/ConvNeXt follow its MIT licence; ConvNeXt-V2's
#: weights are released under CC BY-NC 4.0 (non-commercial).
LICENCES = ('Apache-2.0', 'MIT', 'CC-BY-NC-4.0')


@dataclass(frozen=True)
class ModelInfo:
    """Everything known about one published checkpoint.

    Attributes:
        name: zoo name, e.g. ``'convnext-tiny_32xb128_in1k'``.
        family: ``'ConvNeXt'`` or ``'ConvNeXt V2'``.
        arch: backbone arch name (``'atto'`` ... ``'huge'``).
        config: config path relative to the repository root, e.g.
            ``'configs/convnext/convnext-tiny_32xb128_in1k.py'``.
        weights: download URL; its file name ends in ``-<sha256_prefix>.pth``.
        params_m: parameters in millions (with the head the config builds).
        gflops: multiply-accumulates in G at ``resolution``.
        top1, top5: ImageNet-1k val accuracy (percent), None if not evaluated there.
        training_data: datasets in training order.
        converted_from: URL of the official file these weights were converted from, or None.
        code: code repository of the original weights, or None (trained with this toolbox).
        licence: SPDX id of the weights' licence (one of :data:`LICENCES`).
        label_set: the classes of the published head (``'ImageNet-1k'``, ``'ImageNet-21k'``),
            or None for weights without a head.
        preprocessing: the eval preprocessing these numbers were measured with.

    Raises:
        ValueError: a record whose parts disagree (no hash in the file name, an unknown family,
            licence or label set).
    """
    name: str
    family: str
    arch: str
    config: str
    weights: str
    params_m: float
    gflops: float
    top1: Optional[float]
    top5: Optional[float]
    training_data: Tuple[str, ...]
    converted_from: Optional[str]
    code: Optional[str]
    licence: str
    label_set: Optional[str]
    preprocessing: EvalTransforms

    def __post_init__(self) -> None:
        problems = []
        if expected_hash(self.file_name) is None:
            problems.append(f'file name {self.file_name!r} carries no -<8 hex>.pth sha256 prefix')
        if self.family not in FAMILIES:
            problems.append(f'family {self.family!r} is not one of {FAMILIES}')
        if self.licence not in LICENCES:
            problems.append(f'licence {self.licence!r} is not one of {LICENCES}')
        if self.label_set is not None and self.label_set not in LABEL_SETS:
            problems.append(f'label_set {self.label_set!r} is not one of {list(LABEL_SETS)}')
        if self.label_set is None and self.top1 is not None:
            problems.append('a weight without a head has no top-1 accuracy')
        if not self.training_data:
            problems.append('training_data is empty')
        if problems:
            raise ValueError(f'Model-zoo record {self.name!r}: ' + '; '.join(problems) + '.')

    @property
    def file_name(self) -> str:
        """The weights file's name, e.g. ``'convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth'``."""
        return self.weights.rsplit('/', 1)[-1]

    @property
    def sha256_prefix(self) -> str:
        """The first 8 hex digits of the file's sha256, as its name carries them (checked on
        every download and every use of a cached copy)."""
        return expected_hash(self.file_name)

    @property
    def task(self) -> str:
        """``'Image Classification'``, or ``'Backbone'`` for weights published without a head."""
        return TASK_BACKBONE if self.label_set is None else TASK_CLASSIFICATION

    @property
    def resolution(self) -> int:
        """The side of the square images the weights were evaluated on."""
        return self.preprocessing.crop_size

    @property
    def num_classes(self) -> Optional[int]:
        """Classes of the published head (None without a head)."""
        return None if self.label_set is None else LABEL_SETS[self.label_set]

    @property
    def categories(self) -> Optional[Tuple[str, ...]]:
        """Class names of the head in output order, or None: ImageNet-1k weights have the
        1000 ImageNet names; ImageNet-21k heads (21,841 classes) have no names here (only
        WordNet ids exist, and none ship with the package); FCMAE encoders have no head."""
        if self.label_set != IMAGENET_1K:
            return None
        from mmcls_convnext.datasets.imagenet import imagenet_categories
        return imagenet_categories()

    def transforms(self) -> EvalTransforms:
        """The eval preprocessing of these weights: ``transforms()(image)`` gives the
        normalised ``(3, H, W)`` tensor for ``model(x)``; ``transforms().pipeline()`` the test
        pipeline (see :class:`EvalTransforms`)."""
        return self.preprocessing
