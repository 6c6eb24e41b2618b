"""The dense masked encoder equals a sparse encoder, checked against a sparse reference.

The reference below keeps only the visible sites as rows of a feature matrix with their
coordinates (as MinkowskiEngine's sparse tensors do) and runs each op on those rows: the
depthwise conv sums over the kernel taps whose neighbour site exists, LayerNorm normalises each
row, GRN takes each sample's L2 norm over its visible rows, a stride-2 downsample sums the
children that exist. Nothing in it calls the dense masked implementation.
"""
import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from mmcls_convnext.models import ConvNeXt
from mmcls_convnext.models.selfsup.masked_convnext import (
    fold_patches,
    mask_stride,
    masked_encoder_forward,
    random_mask,
    unfold_patches,
)

ARCH = dict(depths=[1, 2, 1, 1], channels=[8, 16, 24, 32])


def tiny_backbone(seed: int = 0, linear_pw_conv: bool = True) -> ConvNeXt:
    torch.manual_seed(seed)
    model = ConvNeXt(arch=ARCH, use_grn=True, layer_scale_init_value=0.,
                     linear_pw_conv=linear_pw_conv).double()
    model.init_weights()
    with torch.no_grad():  # non-trivial norms and GRN (a fresh GRN is the identity)
        for name, p in model.named_parameters():
            if 'norm' in name or 'grn' in name:
                p.copy_(torch.randn_like(p) * 0.5 + (1. if name.endswith('weight') else 0.))
            elif p.dim() > 1:
                p.mul_(20.)  # trunc-normal 0.02 makes every block nearly the identity
    return model.eval()


# ----- the sparse reference -------------------------------------------------------------------
def _layer_norm_rows(f, weight, bias, eps):
    mean = f.mean(dim=1, keepdim=True)
    var = ((f - mean) ** 2).mean(dim=1, keepdim=True)
    return (f - mean) / torch.sqrt(var + eps) * weight + bias


def _depthwise(f, coords, weight, bias):
    """Sparse depthwise conv, output at every input site; weight (C, 1, K, K)."""
    k = weight.shape[-1]
    r = k // 2
    index = {c: i for i, c in enumerate(coords)}
    out = bias.expand(len(coords), -1).clone()
    for dy, dx in itertools.product(range(k), range(k)):
        rows, nbrs = [], []
        for i, (n, y, x) in enumerate(coords):
            j = index.get((n, y + dy - r, x + dx - r))
            if j is not None:
                rows.append(i)
                nbrs.append(j)
        if rows:
            contrib = f[nbrs] * weight[:, 0, dy, dx]
            out = out.index_add(0, torch.tensor(rows), contrib)
    return out


def _grn_rows(f, coords, gamma, beta, eps):
    samples = torch.tensor([c[0] for c in coords])
    out = torch.empty_like(f)
    for n in samples.unique():
        rows = samples == n
        gx = f[rows].pow(2).sum(dim=0).sqrt()
        nx = gx / (gx.mean() + eps)
        out[rows] = gamma * (f[rows] * nx) + beta + f[rows]
    return out


def _block(block, f, coords):
    y = _depthwise(f, coords, block.depthwise_conv.weight, block.depthwise_conv.bias)
    y = _layer_norm_rows(y, block.norm.weight, block.norm.bias, block.norm.eps)
    w1 = block.pointwise_conv1.weight.reshape(block.pointwise_conv1.weight.shape[0], -1)
    y = y @ w1.t() + block.pointwise_conv1.bias
    y = 0.5 * y * (1. + torch.erf(y / math.sqrt(2.)))  # exact GELU
    y = _grn_rows(y, coords, block.grn.gamma, block.grn.beta, block.grn.eps)
    w2 = block.pointwise_conv2.weight.reshape(block.pointwise_conv2.weight.shape[0], -1)
    return f + (y @ w2.t() + block.pointwise_conv2.bias)


def _downsample(layers, f, coords):
    norm, conv = layers[0], layers[1]
    f = _layer_norm_rows(f, norm.weight, norm.bias, norm.eps)
    parents = sorted({(n, y // 2, x // 2) for n, y, x in coords})
    index = {c: i for i, c in enumerate(parents)}
    out = conv.bias.expand(len(parents), -1).clone()
    for i, (n, y, x) in enumerate(coords):
        w = conv.weight[:, :, y % 2, x % 2]  # (C_out, C_in)
        out = out.index_add(0, torch.tensor([index[(n, y // 2, x // 2)]]), (w @ f[i])[None])
    return out, parents


def sparse_reference(backbone, images, mask):
    """Rows of the last stage at the visible sites and their (n, y, x) coordinates."""
    stem = backbone.downsample_layers[0]
    dense = stem[0](images)  # the stem is dense in FCMAE too; only visible sites are kept
    s = mask_stride(backbone) // stem[0].stride[0]
    coords = [(n, y, x) for n in range(dense.shape[0]) for y in range(dense.shape[2])
              for x in range(dense.shape[3]) if mask[n, y // s, x // s] == 0]
    f = torch.stack([dense[n, :, y, x] for n, y, x in coords])
    f = _layer_norm_rows(f, stem[1].weight, stem[1].bias, stem[1].eps)
    for i, stage in enumerate(backbone.stages):
        if i > 0:
            f, coords = _downsample(backbone.downsample_layers[i], f, coords)
        for block in stage:
            f = _block(block, f, coords)
    return f, coords


# ----- tests ----------------------------------------------------------------------------------
CASES = [((64, 64), 0.25), ((64, 96), 0.5), ((96, 64), 0.6), ((96, 128), 0.75), ((128, 96), 0.9)]


@pytest.mark.parametrize('size,ratio', CASES)
def test_outputs_and_gradients_equal_the_sparse_reference(size, ratio):
    torch.manual_seed(hash((size, ratio)) % 1000)
    dense_model = tiny_backbone()
    ref_model = tiny_backbone()
    images = torch.randn(2, 3, *size, dtype=torch.float64)
    gh, gw = size[0] // 32, size[1] // 32
    mask = random_mask(2, gh, gw, ratio)
    x_dense = images.clone().requires_grad_(True)
    x_ref = images.clone().requires_grad_(True)

    out = masked_encoder_forward(dense_model, x_dense, mask)  # (N, C, gh, gw)
    rows, coords = sparse_reference(ref_model, x_ref, mask)
    assert sorted(coords) == [(n, y, x) for n in range(2) for y in range(gh) for x in range(gw)
                              if mask[n, y, x] == 0]
    gathered = torch.stack([out[n, :, y, x] for n, y, x in coords])
    torch.testing.assert_close(gathered, rows, rtol=1e-9, atol=1e-10)
    # masked positions carry nothing (a sparse tensor has no rows there)
    assert torch.all(out * mask[:, None].double() == 0)

    weights = torch.randn_like(rows)
    (gathered * weights).sum().backward()
    (rows * weights).sum().backward()
    torch.testing.assert_close(x_dense.grad, x_ref.grad, rtol=1e-9, atol=1e-12)
    ref_params = dict(ref_model.named_parameters())
    compared = 0
    for name, p in dense_model.named_parameters():
        if name.startswith('norm3'):
            continue  # the final output norm is not part of the encoder
        torch.testing.assert_close(p.grad, ref_params[name].grad, rtol=1e-8, atol=1e-11,
                                   msg=lambda m, n=name: f'{n}: {m}')
        compared += 1
    assert compared == len(list(dense_model.parameters())) - 2


def test_conv_pointwise_variant_matches_the_linear_one():
    images = torch.randn(2, 3, 96, 64, dtype=torch.float64)
    mask = random_mask(2, 3, 2, 0.5)
    linear = tiny_backbone(linear_pw_conv=True)
    conv = tiny_backbone(linear_pw_conv=False)
    with torch.no_grad():
        sd = {k: v.reshape(conv.state_dict()[k].shape) for k, v in linear.state_dict().items()}
        conv.load_state_dict(sd)
    torch.testing.assert_close(masked_encoder_forward(conv, images, mask),
                               masked_encoder_forward(linear, images, mask))


def test_masked_sites_do_not_leak_into_visible_ones():
    model = tiny_backbone()
    images = torch.randn(1, 3, 96, 96, dtype=torch.float64)
    mask = random_mask(1, 3, 3, 0.5)
    changed = images.clone()
    up = mask.repeat_interleave(32, 1).repeat_interleave(32, 2)[:, None].bool().expand_as(images)
    changed[up] = torch.randn(int(up.sum()), dtype=torch.float64) * 100
    with torch.no_grad():
        a = masked_encoder_forward(model, images, mask)
        b = masked_encoder_forward(model, changed, mask)
    torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_without_remasking_the_dense_forward_differs():
    """The re-masking matters: the plain backbone on a zero-filled image is not sparse."""
    model = tiny_backbone()
    images = torch.randn(2, 3, 96, 96, dtype=torch.float64)
    mask = random_mask(2, 3, 3, 0.6)
    keep = 1 - mask.repeat_interleave(32, 1).repeat_interleave(32, 2)[:, None].double()
    with torch.no_grad():
        plain = model.stages[3](model.downsample_layers[3](model.stages[2](
            model.downsample_layers[2](model.stages[1](model.downsample_layers[1](
                model.stages[0](model.downsample_layers[0](images * keep))))))))
        masked = masked_encoder_forward(model, images, mask)
    visible = (1 - mask)[:, None].bool().expand_as(masked)
    assert (plain[visible] - masked[visible]).abs().max() > 1e-3


@pytest.mark.parametrize('ratio,num,keep', [(0.6, 49, 19), (0.75, 12, 3), (0.5, 4, 2)])
def test_random_mask_keeps_exactly_the_official_count(ratio, num, keep):
    side = int(math.isqrt(num)) if math.isqrt(num) ** 2 == num else None
    gh, gw = (side, side) if side else (3, 4)
    mask = random_mask(64, gh, gw, ratio, generator=torch.Generator().manual_seed(0))
    assert mask.shape == (64, gh, gw)
    assert torch.all((1 - mask).flatten(1).sum(1) == keep)  # int(L * (1 - ratio)) kept
    # every patch is masked sometimes and kept sometimes (uniform choice)
    freq = mask.mean(0)
    assert 0 < freq.min() and freq.max() < 1


def test_random_mask_refuses_a_grid_too_small():
    with pytest.raises(ValueError, match=r'keeps int\(1 \* \(1 - 0.6\)\) = 0 of the 1'):
        random_mask(2, 1, 1, 0.6)


def test_patch_folding_matches_the_official_order_and_inverts():
    imgs = torch.arange(2 * 3 * 64 * 96, dtype=torch.float64).reshape(2, 3, 64, 96)
    rows = fold_patches(imgs, 32)
    assert rows.shape == (2, 6, 32 * 32 * 3)
    # row l = patch (l // 3, l % 3); element (p, q, c) = imgs[:, c, 32 * r + p, 32 * col + q]
    r, col, p, q, c = 1, 2, 5, 7, 2
    assert rows[1, r * 3 + col, (p * 32 + q) * 3 + c] == imgs[1, c, 32 * r + p, 32 * col + q]
    torch.testing.assert_close(unfold_patches(rows, 32, 2, 3, 3), imgs, rtol=0, atol=0)
    # the same as torch's unfold (channel-major inside a patch) up to the in-patch order
    unf = F.unfold(imgs, 32, stride=32).transpose(1, 2)  # (N, L, C * p * q)
    torch.testing.assert_close(
        rows.reshape(2, 6, 32, 32, 3).permute(0, 1, 4, 2, 3).reshape(2, 6, -1), unf)
