"""ConvNeXt backbone (arXiv 2201.03545) and ConvNeXt V2 (arXiv 2301.00808, ``use_grn=True``)."""
import copy
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModule

from mmcls_convnext.registry import MODELS
from mmcls_convnext.suggestions import did_you_mean

from ..errors import ModelConfigError, ModelConfigTypeError
from ..layers import build_norm_layer
from .convnext_block import ConvNeXtBlock

#: depths (blocks per stage) and channels (width per stage) of every named arch.
ARCH_SETTINGS: Dict[str, Dict[str, List[int]]] = {
    'atto': dict(depths=[2, 2, 6, 2], channels=[40, 80, 160, 320]),
    'femto': dict(depths=[2, 2, 6, 2], channels=[48, 96, 192, 384]),
    'pico': dict(depths=[2, 2, 6, 2], channels=[64, 128, 256, 512]),
    'nano': dict(depths=[2, 2, 8, 2], channels=[80, 160, 320, 640]),
    'tiny': dict(depths=[3, 3, 9, 3], channels=[96, 192, 384, 768]),
    'small': dict(depths=[3, 3, 27, 3], channels=[96, 192, 384, 768]),
    'base': dict(depths=[3, 3, 27, 3], channels=[128, 256, 512, 1024]),
    'large': dict(depths=[3, 3, 27, 3], channels=[192, 384, 768, 1536]),
    'xlarge': dict(depths=[3, 3, 27, 3], channels=[256, 512, 1024, 2048]),
    'huge': dict(depths=[3, 3, 27, 3], channels=[352, 704, 1408, 2816]),
}

DEFAULT_INIT_CFG = [
    dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
    dict(type='Constant', layer=['LayerNorm'], val=1., bias=0.),
]


def _resolve_arch(arch: Union[str, dict]) -> Tuple[List[int], List[int]]:
    if isinstance(arch, str):
        key = arch.lower()
        if key not in ARCH_SETTINGS:
            hint = did_you_mean(key, ARCH_SETTINGS, n=3)
            raise ModelConfigError(
                f'Unknown ConvNeXt arch {arch!r}. Choose one of {list(ARCH_SETTINGS)} or pass '
                f'dict(depths=[...], channels=[...]).{hint}')
        setting = ARCH_SETTINGS[key]
        return list(setting['depths']), list(setting['channels'])
    if isinstance(arch, dict):
        missing = {'depths', 'channels'} - set(arch)
        extra = set(arch) - {'depths', 'channels'}
        if missing or extra:
            raise ModelConfigError(
                f'A custom ConvNeXt arch needs exactly the keys "depths" and "channels"; '
                f'missing {sorted(missing)}, unexpected {sorted(extra)}.')
        depths, channels = list(arch['depths']), list(arch['channels'])
        if len(depths) != len(channels) or not depths:
            raise ModelConfigError(
                f'arch depths and channels must be non-empty and of equal length; got '
                f'depths={depths} ({len(depths)}), channels={channels} ({len(channels)}).')
        if any(not isinstance(v, int) or v <= 0 for v in depths + channels):
            raise ModelConfigError(f'arch depths and channels must be positive ints; got '
                                   f'depths={depths}, channels={channels}.')
        return depths, channels
    raise ModelConfigTypeError(f'arch must be a name or dict(depths=..., channels=...); got '
                               f'{type(arch).__name__}.')


def _resolve_out_indices(out_indices: Union[int, Sequence[int]],
                         num_stages: int) -> Tuple[int, ...]:
    indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
    if not indices:
        raise ModelConfigError('out_indices must name at least one stage.')
    resolved = []
    for index in indices:
        if not isinstance(index, int) or isinstance(index, bool):
            raise ModelConfigTypeError(f'out_indices must hold ints; got {index!r}.')
        if not -num_stages <= index < num_stages:
            raise ModelConfigError(
                f'out_indices entry {index} is out of range for {num_stages} stages: '
                f'allowed {-num_stages}..{num_stages - 1}.')
        resolved.append(index % num_stages)
    if len(set(resolved)) != len(resolved):
        raise ModelConfigError(f'out_indices {tuple(indices)} name the same stage twice '
                               f'(resolved: {tuple(resolved)}).')
    return tuple(resolved)


@MODELS.register_module()
class ConvNeXt(BaseModule):
    """ConvNeXt backbone.

    Stem: ``Conv2d(k=s=stem_patch_size)`` -> norm. Each later stage starts with a downsample
    ``norm -> Conv2d(k=2, s=2)``. Stage i holds ``depths[i]`` :class:`ConvNeXtBlock`.

    Args:
        arch: a name of :data:`ARCH_SETTINGS` or ``dict(depths=[...], channels=[...])``.
        in_channels: channels of the input image.
        stem_patch_size: kernel size and stride of the stem convolution.
        norm_cfg: normalisation of stem, downsamples and blocks.
        act_cfg: activation inside the blocks.
        linear_pw_conv: pointwise layers as ``nn.Linear`` (True) or 1x1 conv (False).
        use_grn: add GRN to every block (ConvNeXt V2; set ``layer_scale_init_value=0``).
        drop_path_rate: stochastic depth; rates rise linearly from 0 to this over all blocks.
        layer_scale_init_value: initial ``gamma``; 0 disables layer scale.
        out_indices: stage(s) whose output is returned; negative values count from the end.
        frozen_stages: stem/downsamples and blocks of the first ``frozen_stages`` stages are put
            in eval mode with ``requires_grad=False``, also after ``train()``.
        gap_before_final_norm: output ``norm_i(mean over H, W)`` of shape ``(N, C_i)`` (True) or
            ``norm_i(x)`` of shape ``(N, C_i, H_i, W_i)`` (False).
        with_cp: activation checkpointing per block (when the input requires grad).
        init_cfg: mmengine init config; defaults to trunc-normal(0.02) Conv2d/Linear weights,
            zero biases, LayerNorm weight 1 / bias 0.
    """

    # > 60 lines on purpose: typed signature, validation, then the layers in the paper's order
    def __init__(self,
                 arch: Union[str, dict] = 'tiny',
                 in_channels: int = 3,
                 stem_patch_size: int = 4,
                 norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = None,
                 linear_pw_conv: bool = True,
                 use_grn: bool = False,
                 drop_path_rate: float = 0.,
                 layer_scale_init_value: float = 1e-6,
                 out_indices: Union[int, Sequence[int]] = -1,
                 frozen_stages: int = 0,
                 gap_before_final_norm: bool = True,
                 with_cp: bool = False,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        if init_cfg is None:
            init_cfg = copy.deepcopy(DEFAULT_INIT_CFG)
        super().__init__(init_cfg=init_cfg)
        norm_cfg = dict(type='LN2d', eps=1e-6) if norm_cfg is None else dict(norm_cfg)
        act_cfg = dict(type='GELU') if act_cfg is None else dict(act_cfg)
        self.arch = arch
        self.depths, self.channels = _resolve_arch(arch)
        self.num_stages = len(self.depths)
        if not 0. <= drop_path_rate < 1.:
            raise ModelConfigError(f'drop_path_rate must be in [0, 1); got {drop_path_rate}.')
        if not isinstance(frozen_stages, int) or not 0 <= frozen_stages <= self.num_stages:
            raise ModelConfigError(f'frozen_stages must be an int in 0..{self.num_stages} '
                                   f'(number of stages); got {frozen_stages!r}.')
        if stem_patch_size < 1:
            raise ModelConfigError(f'stem_patch_size must be >= 1; got {stem_patch_size}.')
        # sorted: outputs come in stage order whatever order the indices were given in
        self.out_indices = tuple(sorted(_resolve_out_indices(out_indices, self.num_stages)))
        self.out_channels = tuple(self.channels[i] for i in self.out_indices)
        self.num_features = self.out_channels[-1]
        self.frozen_stages = frozen_stages
        self.gap_before_final_norm = gap_before_final_norm
        self.use_grn = use_grn
        self.with_cp = with_cp

        total = sum(self.depths)
        # plain floats: works when the model is built on the meta device too
        rates = [drop_path_rate * i / (total - 1) for i in range(total)] if total > 1 else [0.]
        self.downsample_layers = nn.ModuleList()
        self.stages = nn.ModuleList()
        first = 0
        for i, (depth, width) in enumerate(zip(self.depths, self.channels)):
            if i == 0:
                downsample = nn.Sequential(
                    nn.Conv2d(in_channels, width, kernel_size=stem_patch_size,
                              stride=stem_patch_size),
                    build_norm_layer(norm_cfg, width))
            else:
                downsample = nn.Sequential(
                    build_norm_layer(norm_cfg, self.channels[i - 1]),
                    nn.Conv2d(self.channels[i - 1], width, kernel_size=2, stride=2))
            self.downsample_layers.append(downsample)
            self.stages.append(nn.Sequential(*[
                ConvNeXtBlock(width, norm_cfg=norm_cfg, act_cfg=act_cfg,
                              linear_pw_conv=linear_pw_conv, drop_path_rate=rates[first + j],
                              layer_scale_init_value=layer_scale_init_value,
                              use_grn=use_grn, with_cp=with_cp)
                for j in range(depth)
            ]))
            first += depth
            if i in self.out_indices:
                self.add_module(f'norm{i}', build_norm_layer(norm_cfg, width))
        #: timm's per-stage description: channels, reduction (stride w.r.t. the input), module
        self.feature_info: List[dict] = [
            dict(num_chs=width, reduction=stem_patch_size * 2**i, module=f'stages.{i}')
            for i, width in enumerate(self.channels)]
        self._freeze_stages()

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        """(N, in_channels, H, W) -> one tensor per out index (see ``gap_before_final_norm``)."""
        outs = []
        for i, (downsample, stage) in enumerate(zip(self.downsample_layers, self.stages)):
            x = stage(downsample(x))
            if i in self.out_indices:
                norm = getattr(self, f'norm{i}')
                if self.gap_before_final_norm:
                    gap = x.mean(dim=(2, 3), keepdim=True)  # (N, C, H, W) -> (N, C, 1, 1)
                    outs.append(norm(gap).flatten(1))  # -> (N, C)
                else:
                    outs.append(norm(x))
        return tuple(outs)

    def _intermediate_indices(self, indices: Optional[Union[int, Sequence[int]]]) -> List[int]:
        if indices is None:
            return list(range(self.num_stages))
        if isinstance(indices, int) and not isinstance(indices, bool):
            if not 1 <= indices <= self.num_stages:
                raise ModelConfigError(f'forward_intermediates(indices={indices}): an int takes '
                                       f'the last n stages, n in 1..{self.num_stages}.')
            return list(range(self.num_stages - indices, self.num_stages))
        return sorted(_resolve_out_indices(indices, self.num_stages))

    def forward_intermediates(
        self,
        x: torch.Tensor,
        indices: Optional[Union[int, Sequence[int]]] = None,
        norm: bool = False,
        stop_early: bool = False,
        output_fmt: str = 'NCHW',
        intermediates_only: bool = False,
    ) -> Union[List[torch.Tensor], Tuple[torch.Tensor, List[torch.Tensor]]]:
        """timm's features API: the output of every requested stage (``(N, C_i, H_i, W_i)``).

        Args:
            x: ``(N, in_channels, H, W)``.
            indices: stages to return: None (all), an int n (the last n stages) or a sequence
                of stage indices (negative values count from the end).
            norm: apply the stage's own norm (``norm{i}``, present for the stages in
                ``out_indices``, as MMDet/MMSeg configs use them) to each intermediate; a
                requested stage without one is an error.
            stop_early: stop after the last requested stage (the final output is then that
                stage's un-normed output).
            output_fmt: ``'NCHW'`` or ``'NHWC'`` (intermediates only, as in timm).
            intermediates_only: return only the list of intermediates.

        Returns:
            ``(final, intermediates)``: the last stage's un-normed output (what a head would
            pool) and the list in stage order; or the list alone with ``intermediates_only``.
        """
        if output_fmt not in ('NCHW', 'NHWC'):
            raise ModelConfigError(f"output_fmt must be 'NCHW' or 'NHWC'; got {output_fmt!r}.")
        take = self._intermediate_indices(indices)
        if norm:
            missing = [i for i in take if not hasattr(self, f'norm{i}')]
            if missing:
                raise ModelConfigError(
                    f'forward_intermediates(norm=True) needs a norm for stages {missing}; this '
                    f'ConvNeXt has norms for out_indices={self.out_indices} only. Build it with '
                    f'out_indices covering {take} (e.g. out_indices=(0, 1, 2, 3)).')
        last = take[-1] if stop_early else self.num_stages - 1
        intermediates = []
        for i in range(last + 1):
            x = self.stages[i](self.downsample_layers[i](x))
            if i in take:
                feat = getattr(self, f'norm{i}')(x) if norm else x
                intermediates.append(feat.permute(0, 2, 3, 1) if output_fmt == 'NHWC' else feat)
        if intermediates_only:
            return intermediates
        return x, intermediates

    def _freeze_stages(self) -> None:
        for i in range(self.frozen_stages):
            for module in (self.downsample_layers[i], self.stages[i]):
                module.eval()
                for param in module.parameters():
                    param.requires_grad = False

    def train(self, mode: bool = True) -> 'ConvNeXt':
        super().train(mode)
        self._freeze_stages()
        return self

    @property
    def max_layer_id(self) -> int:
        """Largest layer id of :meth:`get_layer_depth` given to a backbone stage."""
        if self.num_stages == 4:
            return 12 if self.depths[-2] > 9 else 6
        # Other stage counts: one id per early stage, one per 3 blocks of the second-last.
        return (self.num_stages - 2) + 1 + -(-self.depths[-2] // 3)

    def get_layer_depth(self, param_name: str, prefix: str = '') -> Tuple[int, int]:
        """Layer id of a parameter for layer-wise learning-rate decay.

        Args:
            param_name: full parameter name, e.g. ``'backbone.stages.2.4.norm.weight'``.
            prefix: the backbone's prefix in ``param_name`` (``'backbone.'`` in a classifier).

        Returns:
            ``(layer_id, num_layers)``: stem 0; downsample 1, 2 and stages 0, 1 -> stage+1;
            block j of the second-last stage -> ``3 + j // 3``; the last stage/downsample ->
            ``max_layer_id``; everything else (final norms, head) -> ``max_layer_id + 1``;
            ``num_layers = max_layer_id + 2``.
        """
        max_id = self.max_layer_id
        num_layers = max_id + 2
        if not param_name.startswith(prefix):
            return max_id + 1, num_layers
        parts = param_name[len(prefix):].split('.')
        last = self.num_stages - 1
        if parts[0] == 'downsample_layers':
            stage_id = int(parts[1])
            layer_id = 0 if stage_id == 0 else (max_id if stage_id == last else stage_id + 1)
        elif parts[0] == 'stages':
            stage_id, block_id = int(parts[1]), int(parts[2])
            if stage_id == last:
                layer_id = max_id
            elif stage_id == last - 1:
                layer_id = stage_id + 1 + block_id // 3
            else:
                layer_id = stage_id + 1
        else:
            layer_id = max_id + 1
        return layer_id, num_layers
