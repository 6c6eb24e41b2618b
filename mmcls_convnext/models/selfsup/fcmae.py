"""FCMAE: ConvNeXt V2's fully convolutional masked autoencoder (arXiv 2301.00808, Sec. 3).

Random 60 % of the stride-32 patches of each image are removed; the ConvNeXt encoder sees only
the visible ones (:mod:`.masked_convnext`); a 1x1 projection, mask tokens at the removed
patches, one ConvNeXt V2 block (width 512) and a 1x1 prediction layer rebuild each patch's
pixels; the loss is the mean squared error on the removed patches, against per-patch
normalised pixels (``norm_pix_loss``). Sizes and defaults follow the paper and the official
repository (facebookresearch/ConvNeXt-V2, ``models/fcmae.py``).
"""
import copy
from typing import Dict, List, Optional, Tuple, Union

import torch
import torch.nn as nn
from mmengine.model import BaseModel, BaseModule

from mmcls_convnext.registry import MODELS

from ..backbones.convnext import ConvNeXt
from ..backbones.convnext_block import ConvNeXtBlock
from ..errors import InvalidModeError, ModelConfigError, ModelConfigTypeError
from .masked_convnext import (
    fold_patches,
    mask_stride,
    masked_encoder_forward,
    random_mask,
    unfold_patches,
)

DECODER_INIT_CFG = [
    dict(type='TruncNormal', layer=['Conv2d', 'Linear'], std=.02, bias=0.),
    dict(type='Constant', layer=['LayerNorm'], val=1., bias=0.),
]


@MODELS.register_module()
class FCMAEDecoder(BaseModule):
    """The FCMAE decoder: ``proj`` (1x1 conv) -> mask tokens at removed patches -> ``depth``
    ConvNeXt V2 blocks -> ``pred`` (1x1 conv to ``patch_size ** 2 * out_channels`` pixels).

    Args:
        in_channels: channels of the encoder's last stage.
        patch_size: pixels per side of a masked patch (the encoder's total stride).
        out_channels: image channels to predict.
        embed_dims: decoder width (official: 512).
        depth: number of decoder blocks (official: 1).
        init_cfg: defaults to trunc-normal(0.02) convs/linears; the mask token is drawn from
            N(0, 0.02) in ``init_weights``.
    """

    def __init__(self, in_channels: int, patch_size: int, out_channels: int = 3,
                 embed_dims: int = 512, depth: int = 1,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        super().__init__(init_cfg=copy.deepcopy(DECODER_INIT_CFG) if init_cfg is None
                         else init_cfg)
        for name, value in dict(in_channels=in_channels, patch_size=patch_size,
                                out_channels=out_channels, embed_dims=embed_dims,
                                depth=depth).items():
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ModelConfigError(f'FCMAEDecoder {name} must be a positive int; got '
                                       f'{value!r}.')
        self.patch_size = patch_size
        self.out_channels = out_channels
        self.proj = nn.Conv2d(in_channels, embed_dims, kernel_size=1)
        self.mask_token = nn.Parameter(torch.zeros(1, embed_dims, 1, 1))
        self.blocks = nn.Sequential(*[
            ConvNeXtBlock(embed_dims, norm_cfg=dict(type='LN2d', eps=1e-6),
                          act_cfg=dict(type='GELU'), use_grn=True, layer_scale_init_value=0.)
            for _ in range(depth)])
        self.pred = nn.Conv2d(embed_dims, patch_size ** 2 * out_channels, kernel_size=1)

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            nn.init.normal_(self.mask_token, std=.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x`` (N, C_enc, h, w), ``mask`` (N, h, w) with 1 = removed ->
        ``(N, patch_size ** 2 * out_channels, h, w)`` predicted pixels per patch."""
        x = self.proj(x)
        m = mask.unsqueeze(1).to(x.dtype)
        x = x * (1. - m) + self.mask_token.to(x.dtype) * m
        return self.pred(self.blocks(x))


@MODELS.register_module()
class FCMAE(BaseModel):
    """Fully convolutional masked autoencoder pretraining of a ConvNeXt (V2) backbone.

    Args:
        backbone: a :class:`ConvNeXt` config (ConvNeXt V2: ``use_grn=True,
            layer_scale_init_value=0.``). The state dict keeps the backbone under
            ``backbone.``, so a checkpoint loads into a classifier or bare backbone as is.
        decoder: :class:`FCMAEDecoder` options (``embed_dims``, ``depth``); ``in_channels``,
            ``patch_size`` and ``out_channels`` come from the backbone.
        mask_ratio: fraction of patches removed per image (official: 0.6).
        norm_pix_loss: regress per-patch normalised pixels (mean 0, variance 1 per patch and
            all its channels; official pretraining uses it).
        data_preprocessor: e.g. ``dict(type='ClsDataPreprocessor', mean=..., std=...)``.
        init_cfg: mmengine init config of the whole model.

    The backbone's final output norms (``norm{i}``) have no role in pretraining; they are
    frozen (``requires_grad=False``) so that DDP sees no unused parameters, and stay in the
    checkpoint with their initial values (weight 1, bias 0).
    """

    def __init__(self,
                 backbone: dict,
                 decoder: Optional[dict] = None,
                 mask_ratio: float = 0.6,
                 norm_pix_loss: bool = True,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[Union[dict, List[dict]]] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(backbone, (dict, nn.Module)):
            raise ModelConfigTypeError(f'FCMAE backbone must be a config dict; got '
                                       f'{type(backbone).__name__}.')
        self.backbone = MODELS.build(backbone) if isinstance(backbone, dict) else backbone
        if not isinstance(self.backbone, ConvNeXt):
            raise ModelConfigError(f'FCMAE needs a ConvNeXt backbone (the masked forward uses '
                                   f'its stem, downsamples and blocks); got '
                                   f'{type(self.backbone).__name__}.')
        if isinstance(mask_ratio, bool) or not isinstance(mask_ratio, (int, float)) \
                or not 0. < mask_ratio < 1.:
            raise ModelConfigError(f'FCMAE mask_ratio must be a number in (0, 1); got '
                                   f'{mask_ratio!r}.')
        decoder = {} if decoder is None else dict(decoder)
        clash = {'in_channels', 'patch_size', 'out_channels'} & set(decoder)
        if clash:
            raise ModelConfigError(f'FCMAE decoder {sorted(clash)} follow from the backbone; '
                                   'remove them from the decoder config.')
        decoder.setdefault('type', 'FCMAEDecoder')
        self.patch_size = mask_stride(self.backbone)
        self.in_channels = self.backbone.downsample_layers[0][0].in_channels
        decoder.update(in_channels=self.backbone.channels[-1], patch_size=self.patch_size,
                       out_channels=self.in_channels)
        self.decoder = MODELS.build(decoder)
        self.mask_ratio = float(mask_ratio)
        self.norm_pix_loss = bool(norm_pix_loss)
        for i in self.backbone.out_indices:
            getattr(self.backbone, f'norm{i}').requires_grad_(False)

    # -- pieces ---------------------------------------------------------------------------
    def _check_size(self, inputs: torch.Tensor) -> Tuple[int, int]:
        if inputs.dim() != 4 or inputs.shape[1] != self.in_channels:
            raise ValueError(f'FCMAE expects images (N, {self.in_channels}, H, W); got shape '
                             f'{tuple(inputs.shape)}.')
        h, w = inputs.shape[-2:]
        p = self.patch_size
        if h % p or w % p:
            raise ValueError(f'FCMAE input size {h}x{w} must be a multiple of the mask patch '
                             f'size {p} (stem stride x 2 ** (stages - 1)); resize or crop to '
                             'e.g. 224 px.')
        return h // p, w // p

    def make_mask(self, inputs: torch.Tensor) -> torch.Tensor:
        """A random ``(N, H / p, W / p)`` mask (1 = removed) for ``inputs``."""
        gh, gw = self._check_size(inputs)
        return random_mask(inputs.shape[0], gh, gw, self.mask_ratio, device=inputs.device)

    def encode(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Encoder features ``(N, C_last, H / p, W / p)`` from the visible patches only."""
        gh, gw = self._check_size(inputs)
        if tuple(mask.shape) != (inputs.shape[0], gh, gw):
            raise ValueError(f'FCMAE mask must have shape {(inputs.shape[0], gh, gw)} for '
                             f'inputs {tuple(inputs.shape)}; got {tuple(mask.shape)}.')
        return masked_encoder_forward(self.backbone, inputs, mask)

    def target(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(N, L, p * p * C)`` pixels per patch, normalised per patch if ``norm_pix_loss``."""
        target = fold_patches(inputs.float(), self.patch_size)
        if self.norm_pix_loss:
            mean = target.mean(dim=-1, keepdim=True)
            var = target.var(dim=-1, keepdim=True)  # unbiased, as the official code
            target = (target - mean) / (var + 1e-6).sqrt()
        return target

    def reconstruct(self, inputs: torch.Tensor, mask: Optional[torch.Tensor] = None
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """``(pred, mask)``: the predicted patches ``(N, L, p * p * C)`` (in the target's
        normalisation) and the ``(N, H / p, W / p)`` mask used."""
        if mask is None:
            mask = self.make_mask(inputs)
        pred = self.decoder(self.encode(inputs, mask), mask)
        return pred.flatten(2).transpose(1, 2), mask

    def loss(self, inputs: torch.Tensor, data_samples: Optional[list] = None
             ) -> Dict[str, torch.Tensor]:
        """``dict(loss=...)``: mean squared error per removed patch, averaged over them."""
        pred, mask = self.reconstruct(inputs)
        per_patch = (pred.float() - self.target(inputs)).pow(2).mean(dim=-1)  # (N, L)
        mask = mask.flatten(1)
        return dict(loss=(per_patch * mask).sum() / mask.sum())

    def to_image(self, pred: torch.Tensor, inputs: torch.Tensor) -> torch.Tensor:
        """Predicted patches back to an image in the scale of ``inputs`` (for pictures): with
        ``norm_pix_loss`` each patch is de-normalised with the true patch's mean and std."""
        gh, gw = self._check_size(inputs)
        pred = pred.float()
        if self.norm_pix_loss:
            raw = fold_patches(inputs.float(), self.patch_size)
            pred = pred * (raw.var(dim=-1, keepdim=True) + 1e-6).sqrt() + raw.mean(
                dim=-1, keepdim=True)
        return unfold_patches(pred, self.patch_size, gh, gw, self.in_channels)

    def forward(self, inputs: torch.Tensor, data_samples: Optional[list] = None,
                mode: str = 'tensor'):
        """``mode='loss'``: the loss dict; ``'tensor'``: the backbone's features of the whole
        (unmasked) image, as a classifier would see them; ``'predict'``: ``(pred, mask)`` of
        :meth:`reconstruct`."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.backbone(inputs)
        if mode == 'predict':
            return self.reconstruct(inputs)
        raise InvalidModeError(f'FCMAE mode must be "loss", "tensor" or "predict"; got '
                               f'{mode!r}.')
