"""ConvNeXt on the visible patches only: the dense form of FCMAE's sparse encoder.

FCMAE (ConvNeXt V2, arXiv 2301.00808, Sec. 3) runs the encoder with sparse convolutions so that
masked patches never leak into visible ones. The same numbers come from the dense layers when
the mask is re-applied wherever a sparse convolution would drop the masked sites:

- after the stem and after every downsample (a sparse site exists only where an input site
  does; the mask is aligned with the stride-32 grid, so each 2x2 downsample cell is wholly
  visible or wholly masked),
- before GRN (its per-channel L2 norm then sums over visible sites only),
- after every block (a sparse block has no output at masked sites).

The depthwise 7x7 conv on the zero-filled map equals the sparse depthwise conv at visible
sites (masked inputs contribute zeros); LayerNorm works per site. These functions drive the
modules of :class:`~mmcls_convnext.models.backbones.ConvNeXt` as they are: the backbone's own
``forward`` is untouched and the same weights serve pretraining and fine-tuning.

Statistics are per sample. The official ``MinkowskiGRN`` takes the norm over the feature rows of
the whole sparse batch (all samples' visible sites pooled, ``dim=0`` of ``x.F``); we keep the
per-sample GRN of the dense model the encoder is fine-tuned as.
"""
from typing import Optional

import torch
import torch.utils.checkpoint as cp

from ..backbones.convnext import ConvNeXt
from ..backbones.convnext_block import ConvNeXtBlock, depthwise_conv


def mask_stride(backbone: ConvNeXt) -> int:
    """Input pixels per mask cell: stem stride x 2 per later stage (32 for the usual 4 stages)."""
    stem = backbone.downsample_layers[0][0]
    return int(stem.stride[0]) * 2 ** (backbone.num_stages - 1)


def keep_map(mask: torch.Tensor, scale: int, like: torch.Tensor) -> torch.Tensor:
    """``1 - mask`` of shape ``(N, h, w)`` repeated ``scale`` times along H and W, as
    ``(N, 1, h * scale, w * scale)`` in the dtype and device of ``like``."""
    keep = 1. - mask.to(like.dtype)
    if scale > 1:
        keep = keep.repeat_interleave(scale, dim=1).repeat_interleave(scale, dim=2)
    return keep.unsqueeze(1)


def masked_block_forward(block: ConvNeXtBlock, x: torch.Tensor,
                         keep: torch.Tensor) -> torch.Tensor:
    """One ConvNeXt block on the visible sites of ``x`` (``keep``: (N, 1, H, W) of 0/1).

    ``x`` must already be zero at masked sites; the output is zero there too.
    """
    if block.with_cp and x.requires_grad:
        return cp.checkpoint(_masked_block, block, x, keep, use_reentrant=False)
    return _masked_block(block, x, keep)


def _masked_block(block: ConvNeXtBlock, x: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    y = block.norm(depthwise_conv(block.depthwise_conv, x))
    if block.linear_pw_conv:
        y = y.permute(0, 2, 3, 1)  # (N, H, W, C)
        keep_y = keep.permute(0, 2, 3, 1)
    else:
        keep_y = keep
    y = block.act(block.pointwise_conv1(y))
    if block.grn is not None:
        y = block.grn(y * keep_y)  # GRN's spatial L2 norm over visible sites only
    y = block.pointwise_conv2(y)
    if block.gamma is not None:
        y = y * (block.gamma if block.linear_pw_conv else block.gamma.view(1, -1, 1, 1))
    if block.linear_pw_conv:
        y = y.permute(0, 3, 1, 2)
    return (x + block.drop_path(y)) * keep


def masked_encoder_forward(backbone: ConvNeXt, x: torch.Tensor,
                           mask: torch.Tensor) -> torch.Tensor:
    """The last stage's map of ``backbone`` computed on the visible patches only.

    Args:
        backbone: a ConvNeXt; its final output norms are not used (FCMAE has none).
        x: images ``(N, C, H, W)``, H and W multiples of :func:`mask_stride`.
        mask: ``(N, H / s, W / s)`` with 1 for masked (removed) and 0 for visible patches,
            ``s = mask_stride(backbone)``.

    Returns:
        ``(N, C_last, H / s, W / s)``, zero at masked patches.
    """
    stages = backbone.num_stages
    for i, (downsample, stage) in enumerate(zip(backbone.downsample_layers, backbone.stages)):
        x = downsample(x)
        keep = keep_map(mask, 2 ** (stages - 1 - i), x)
        x = x * keep
        for block in stage:
            x = masked_block_forward(block, x, keep)
    return x


def random_mask(batch: int, grid_h: int, grid_w: int, mask_ratio: float,
                device: Optional[torch.device] = None,
                generator: Optional[torch.Generator] = None) -> torch.Tensor:
    """``(batch, grid_h, grid_w)`` float mask, 1 = masked: each sample keeps exactly
    ``int(L * (1 - mask_ratio))`` of its ``L = grid_h * grid_w`` patches, chosen uniformly
    (the official rule: rank random noise, keep the lowest)."""
    num = grid_h * grid_w
    keep = int(num * (1 - mask_ratio))
    if keep < 1 or keep >= num:
        raise ValueError(
            f'FCMAE masking keeps int({num} * (1 - {mask_ratio})) = {keep} of the {num} '
            f'patches ({grid_h}x{grid_w}) of an image; it must keep at least 1 and mask at least '
            '1. Use larger images, a smaller stem_patch_size, or another mask_ratio.')
    noise = torch.rand(batch, num, device=device, generator=generator)
    ranks = noise.argsort(dim=1).argsort(dim=1)
    return (ranks >= keep).float().reshape(batch, grid_h, grid_w)


def fold_patches(imgs: torch.Tensor, patch: int) -> torch.Tensor:
    """``(N, C, H, W)`` -> ``(N, L, patch * patch * C)``, each row one patch in (row, col,
    channel) order (the official ``patchify``), ``L = (H / patch) * (W / patch)``."""
    n, c, h, w = imgs.shape
    x = imgs.reshape(n, c, h // patch, patch, w // patch, patch)
    return x.permute(0, 2, 4, 3, 5, 1).reshape(n, (h // patch) * (w // patch), patch * patch * c)


def unfold_patches(x: torch.Tensor, patch: int, grid_h: int, grid_w: int,
                   channels: int) -> torch.Tensor:
    """Inverse of :func:`fold_patches`: ``(N, L, patch * patch * C)`` -> ``(N, C, H, W)``."""
    n = x.shape[0]
    x = x.reshape(n, grid_h, grid_w, patch, patch, channels)
    return x.permute(0, 5, 1, 3, 2, 4).reshape(n, channels, grid_h * patch, grid_w * patch)
