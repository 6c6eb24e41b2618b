"""Our ConvNeXt as a torchvision detection backbone (``BackboneWithFPN``).

torchvision's detectors (Faster/Mask R-CNN, RetinaNet, FCOS) take any module with an
``out_channels`` attribute that returns an ``OrderedDict`` of feature maps;
``BackboneWithFPN`` makes one from a trunk whose named children run in order. The ConvNeXt stages
are regrouped (the same module objects, so weights loaded into the ConvNeXt before the call are
used) as children ``stage0..stage3`` = downsample -> blocks -> the stage's norm, the per-stage
norms that MMDet's ConvNeXt configs also use (``out_indices=(0, 1, 2, 3)``,
``gap_before_final_norm=False``).
"""
from collections import OrderedDict
from typing import TYPE_CHECKING, Optional, Sequence, Union

import torch.nn as nn

if TYPE_CHECKING:  # torchvision is imported when the builder runs: the models import without it
    from torchvision.models.detection.backbone_utils import BackboneWithFPN
    from torchvision.ops.feature_pyramid_network import ExtraFPNBlock

from ..errors import ModelConfigError, ModelConfigTypeError
from .convnext import ConvNeXt

#: ConvNeXt arguments the FPN builder sets itself (the stages it needs, feature maps not GAP)
_FIXED = dict(out_indices=(0, 1, 2, 3), gap_before_final_norm=False)


def _stage_trunk(backbone: ConvNeXt) -> nn.Sequential:
    stages = OrderedDict()
    for i in range(backbone.num_stages):
        stages[f'stage{i}'] = nn.Sequential(backbone.downsample_layers[i], backbone.stages[i],
                                            getattr(backbone, f'norm{i}'))
    return nn.Sequential(stages)


def convnext_fpn_backbone(backbone: Union[dict, ConvNeXt, None] = None,
                          returned_layers: Sequence[int] = (0, 1, 2, 3),
                          out_channels: int = 256,
                          extra_blocks: Optional['ExtraFPNBlock'] = None,
                          norm_layer: Optional[type] = None) -> 'BackboneWithFPN':
    """Build torchvision's ``BackboneWithFPN`` on our ConvNeXt (V1, or V2 with ``use_grn``).

    Args:
        backbone: ConvNeXt keyword arguments (``dict(arch='tiny', use_grn=True, with_cp=True,
            drop_path_rate=0.4, ...)``, ``type`` optional) or a built :class:`ConvNeXt` with
            ``out_indices=(0, 1, 2, 3)`` and ``gap_before_final_norm=False``. None: ConvNeXt-T.
        returned_layers: stages fed to the FPN (torchvision's ``returned_layers`` counted from
            0 here); the FPN outputs are named ``'0', '1', ...`` in that order, plus ``'pool'``.
        out_channels: FPN channels (torchvision's default 256).
        extra_blocks: torchvision's extra FPN block; default ``LastLevelMaxPool()`` (as
            ``resnet_fpn_backbone``).
        norm_layer: FPN norm layer (torchvision's argument; default none).
    """
    if backbone is None or isinstance(backbone, dict):
        cfg = dict(backbone or {})
        if cfg.pop('type', 'ConvNeXt') not in ('ConvNeXt', 'mmcls_convnext.ConvNeXt'):
            raise ModelConfigError(f'convnext_fpn_backbone builds a ConvNeXt; got '
                                   f'type={backbone["type"]!r}.')
        for key, value in _FIXED.items():
            given = cfg.get(key, value)
            if (tuple(given) if key == 'out_indices' else given) != value:
                raise ModelConfigError(f'convnext_fpn_backbone sets {key}={value!r} itself; '
                                       f'got {key}={given!r}: leave it out.')
            cfg[key] = value
        backbone = ConvNeXt(**cfg)
    elif not isinstance(backbone, ConvNeXt):
        raise ModelConfigTypeError(f'backbone must be a ConvNeXt, a dict of its arguments or '
                                   f'None; got {type(backbone).__name__}.')
    elif backbone.out_indices != _FIXED['out_indices'] or backbone.gap_before_final_norm:
        raise ModelConfigError(
            f'a built ConvNeXt needs out_indices=(0, 1, 2, 3) and gap_before_final_norm=False '
            f'for an FPN; got out_indices={backbone.out_indices}, '
            f'gap_before_final_norm={backbone.gap_before_final_norm}.')
    layers = sorted(set(int(i) for i in returned_layers))
    if not layers or any(not 0 <= i < backbone.num_stages for i in layers):
        raise ModelConfigError(f'returned_layers must name stages in 0..'
                               f'{backbone.num_stages - 1}; got {tuple(returned_layers)}.')
    from torchvision.models.detection.backbone_utils import BackboneWithFPN
    from torchvision.ops.feature_pyramid_network import LastLevelMaxPool
    return BackboneWithFPN(
        _stage_trunk(backbone),
        return_layers={f'stage{i}': str(k) for k, i in enumerate(layers)},
        in_channels_list=[backbone.channels[i] for i in layers],
        out_channels=out_channels,
        extra_blocks=LastLevelMaxPool() if extra_blocks is None else extra_blocks,
        norm_layer=norm_layer)
