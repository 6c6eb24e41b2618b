"""A compact Vision Transformer backbone (Dosovitskiy et al., ICLR 2021) with MMPretrain's
``VisionTransformer`` interface: ``arch``, ``out_type``, ``out_indices`` and ``get_layer_depth``
(the layer ids of layer-wise lr decay)."""
from typing import Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmcv.cnn.bricks import DropPath
from mmengine.model import BaseModule
from mmengine.model.weight_init import trunc_normal_

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError

#: arch -> (embed_dims, num_layers, num_heads, feedforward_channels), as MMPretrain names them
VIT_ARCHS = {
    'tiny': (192, 12, 3, 768), 'deit-tiny': (192, 12, 3, 768),
    'small': (384, 12, 6, 1536), 'deit-small': (384, 12, 6, 1536),
    'base': (768, 12, 12, 3072), 'b': (768, 12, 12, 3072),
    'large': (1024, 24, 16, 4096), 'l': (1024, 24, 16, 4096),
}
OUT_TYPES = ('raw', 'cls_token', 'featmap', 'avg_featmap')


class Attention(nn.Module):
    """Multi-head self-attention with one ``qkv`` projection and an output ``proj``."""

    def __init__(self, dims: int, num_heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        self.num_heads = num_heads
        self.qkv = nn.Linear(dims, dims * 3, bias=qkv_bias)
        self.proj = nn.Linear(dims, dims)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, length, dims = x.shape
        qkv = self.qkv(x).reshape(n, length, 3, self.num_heads, dims // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # each (N, heads, L, head_dims)
        out = F.scaled_dot_product_attention(q, k, v)
        return self.proj(out.transpose(1, 2).reshape(n, length, dims))


class TransformerEncoderLayer(nn.Module):
    """Pre-norm block: ``x + attn(ln1(x))``, then ``x + ffn(ln2(x))`` (GELU MLP)."""

    def __init__(self, dims: int, num_heads: int, ffn_dims: int, drop_path_rate: float = 0.,
                 qkv_bias: bool = True) -> None:
        super().__init__()
        self.ln1 = nn.LayerNorm(dims, eps=1e-6)
        self.attn = Attention(dims, num_heads, qkv_bias)
        self.ln2 = nn.LayerNorm(dims, eps=1e-6)
        self.ffn = nn.Sequential(nn.Linear(dims, ffn_dims), nn.GELU(), nn.Linear(ffn_dims, dims))
        self.drop_path = DropPath(drop_path_rate) if drop_path_rate > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.drop_path(self.attn(self.ln1(x)))
        return x + self.drop_path(self.ffn(self.ln2(x)))


@MODELS.register_module()
class VisionTransformer(BaseModule):
    """Vision Transformer: patch embedding, class token, learned position embedding, pre-norm
    transformer layers and a final LayerNorm.

    Args:
        arch: a name of :data:`VIT_ARCHS` or ``dict(embed_dims, num_layers, num_heads,
            feedforward_channels)``.
        img_size: input size the position embedding is made for (other sizes interpolate it,
            bicubic).
        patch_size: side of the square patches.
        in_channels: image channels.
        out_indices: layers whose output is returned (negative: from the end).
        drop_path_rate: stochastic depth, rising linearly to this value over the layers.
        qkv_bias: bias in the qkv projection.
        final_norm: LayerNorm after the last layer.
        out_type: ``'cls_token'`` ``(N, C)``, ``'featmap'`` ``(N, C, H, W)``,
            ``'avg_featmap'`` ``(N, C)`` (mean of the patch tokens) or ``'raw'`` ``(N, L, C)``.
        with_cls_token: prepend a class token (needed for ``out_type='cls_token'``).
        init_cfg: mmengine init config.
    """

    num_extra_tokens = 1

    def __init__(self, arch: Union[str, dict] = 'base', img_size: int = 224,
                 patch_size: int = 16, in_channels: int = 3,
                 out_indices: Union[int, Sequence[int]] = -1, drop_path_rate: float = 0.,
                 qkv_bias: bool = True, final_norm: bool = True, out_type: str = 'cls_token',
                 with_cls_token: bool = True, init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        if isinstance(arch, str):
            if arch.lower() not in VIT_ARCHS:
                raise ModelConfigError(f'Unknown VisionTransformer arch {arch!r}; choose one of '
                                       f'{sorted(VIT_ARCHS)} or give a dict.')
            dims, layers, heads, ffn = VIT_ARCHS[arch.lower()]
        elif isinstance(arch, dict):
            keys = ('embed_dims', 'num_layers', 'num_heads', 'feedforward_channels')
            missing = [k for k in keys if k not in arch]
            if missing:
                raise ModelConfigError(f'VisionTransformer arch dict lacks {missing}.')
            dims, layers, heads, ffn = (int(arch[k]) for k in keys)
        else:
            raise ModelConfigError(f'VisionTransformer arch must be a name or a dict; got '
                                   f'{type(arch).__name__}.')
        if dims % heads:
            raise ModelConfigError(f'embed_dims {dims} is not divisible by num_heads {heads}.')
        if out_type not in OUT_TYPES:
            raise ModelConfigError(f'VisionTransformer out_type must be one of {OUT_TYPES}; got '
                                   f'{out_type!r}.')
        if out_type == 'cls_token' and not with_cls_token:
            raise ModelConfigError("out_type='cls_token' needs with_cls_token=True.")
        if img_size % patch_size:
            raise ModelConfigError(f'img_size {img_size} is not a multiple of patch_size '
                                   f'{patch_size}.')
        self.embed_dims, self.num_layers = dims, layers
        self.patch_size, self.out_type, self.with_cls_token = patch_size, out_type, with_cls_token
        self.patch_resolution = (img_size // patch_size, img_size // patch_size)
        self.patch_embed = nn.Conv2d(in_channels, dims, patch_size, stride=patch_size)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dims)) if with_cls_token else None
        extra = 1 if with_cls_token else 0
        self.num_extra_tokens = extra
        self.pos_embed = nn.Parameter(
            torch.zeros(1, extra + self.patch_resolution[0] * self.patch_resolution[1], dims))
        rates = torch.linspace(0, drop_path_rate, layers).tolist()
        self.layers = nn.ModuleList(
            TransformerEncoderLayer(dims, heads, ffn, rates[i], qkv_bias) for i in range(layers))
        indices = [out_indices] if isinstance(out_indices, int) else list(out_indices)
        self.out_indices = []
        for index in indices:
            resolved = index + layers if index < 0 else index
            if not 0 <= resolved < layers:
                raise ModelConfigError(f'out_indices {index} is outside the {layers} layers.')
            self.out_indices.append(resolved)
        self.ln1 = nn.LayerNorm(dims, eps=1e-6) if final_norm else nn.Identity()

    def init_weights(self) -> None:
        super().init_weights()
        if not (isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'):
            trunc_normal_(self.pos_embed, std=0.02)

    def _pos_embed(self, grid: Tuple[int, int]) -> torch.Tensor:
        if grid == self.patch_resolution:
            return self.pos_embed
        extra = self.pos_embed[:, :self.num_extra_tokens]
        patches = self.pos_embed[:, self.num_extra_tokens:].reshape(
            1, *self.patch_resolution, self.embed_dims).permute(0, 3, 1, 2)
        patches = F.interpolate(patches, size=grid, mode='bicubic', align_corners=False)
        return torch.cat([extra, patches.flatten(2).transpose(1, 2)], dim=1)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        x = self.patch_embed(x)
        grid = tuple(x.shape[2:])
        x = x.flatten(2).transpose(1, 2)  # (N, H*W, C)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(x.size(0), -1, -1), x], dim=1)
        x = x + self._pos_embed(grid)
        outs = []
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i == len(self.layers) - 1:
                x = self.ln1(x)
            if i in self.out_indices:
                outs.append(self._format(x, grid))
        return tuple(outs)

    def _format(self, x: torch.Tensor, grid: Tuple[int, int]) -> torch.Tensor:
        if self.out_type == 'raw':
            return x
        if self.out_type == 'cls_token':
            return x[:, 0]
        patches = x[:, self.num_extra_tokens:]
        if self.out_type == 'featmap':
            return patches.transpose(1, 2).reshape(x.size(0), self.embed_dims, *grid)
        return patches.mean(dim=1)  # avg_featmap

    def get_layer_depth(self, param_name: str, prefix: str = '') -> Tuple[int, int]:
        """``(layer id, layer count)`` of a parameter for layer-wise lr decay: the embeddings
        are layer 0, transformer layer ``i`` is ``i + 1``, everything after (final norm,
        neck, head) is the last of ``num_layers + 2``."""
        num_layers = self.num_layers + 2
        if not param_name.startswith(prefix):
            return num_layers - 1, num_layers  # a later module, e.g. the head
        name = param_name[len(prefix):]
        if name in ('cls_token', 'pos_embed') or name.startswith('patch_embed'):
            return 0, num_layers
        if name.startswith('layers.'):
            return int(name.split('.')[1]) + 1, num_layers
        return num_layers - 1, num_layers
