"""FCMAE model: loss against a numpy computation, masking, checks of bad input, the GPU path's
logic on CPU (autocast fp16/bf16, an AMP optim wrapper step) and DDP's needs."""
import numpy as np
import pytest
import torch
from mmengine.optim import OptimWrapper

from mmcls_convnext.models import ModelConfigError
from mmcls_convnext.models.selfsup import FCMAE

ARCH = dict(depths=[1, 1, 1, 1], channels=[8, 16, 24, 32])


def tiny(**kw) -> FCMAE:
    torch.manual_seed(0)
    model = FCMAE(backbone=dict(type='ConvNeXt', arch=ARCH, use_grn=True,
                                layer_scale_init_value=0.), decoder=dict(embed_dims=16), **kw)
    model.init_weights()
    return model


def numpy_loss(imgs: np.ndarray, pred: np.ndarray, mask: np.ndarray, p: int, norm: bool):
    n, c, h, w = imgs.shape
    gh, gw = h // p, w // p
    total, count = 0., 0
    for i in range(n):
        for r in range(gh):
            for q in range(gw):
                if mask[i, r, q] != 1:
                    continue
                patch = imgs[i, :, r * p:(r + 1) * p, q * p:(q + 1) * p]  # (C, p, p)
                target = patch.transpose(1, 2, 0).reshape(-1)  # (row, col, channel) order
                if norm:
                    target = (target - target.mean()) / np.sqrt(target.var(ddof=1) + 1e-6)
                total += ((pred[i, r * gw + q] - target) ** 2).mean()
                count += 1
    return total / count


@pytest.mark.parametrize('norm_pix_loss', [True, False])
def test_loss_is_the_mean_squared_error_on_masked_patches(monkeypatch, norm_pix_loss):
    model = tiny(norm_pix_loss=norm_pix_loss)
    imgs = torch.randn(3, 3, 64, 96)
    mask = torch.tensor([[[1., 0., 1.], [0., 1., 0.]], [[0., 0., 1.], [1., 1., 0.]],
                         [[1., 1., 1.], [0., 0., 0.]]])
    monkeypatch.setattr(model, 'make_mask', lambda inputs: mask)
    loss = model.loss(imgs)['loss']
    pred, used = model.reconstruct(imgs, mask)
    assert torch.equal(used, mask)
    expected = numpy_loss(imgs.numpy().astype(np.float64), pred.detach().numpy(),
                          mask.numpy(), 32, norm_pix_loss)
    assert float(loss.detach()) == pytest.approx(expected, rel=1e-5)


def test_visible_patches_do_not_enter_the_loss():
    model = tiny()
    imgs = torch.randn(2, 3, 64, 64)
    mask = torch.tensor([[[1., 0.], [0., 1.]], [[0., 1.], [1., 0.]]])
    out = model.decoder(model.encode(imgs, mask), mask).flatten(2).transpose(1, 2)
    out.retain_grad()
    per_patch = (out - model.target(imgs)).pow(2).mean(-1)
    m = mask.flatten(1)
    ((per_patch * m).sum() / m.sum()).backward()
    assert torch.all(out.grad[m == 0] == 0) and torch.all(out.grad[m == 1] != 0)


def test_random_masks_have_the_official_count_and_shape():
    model = tiny()
    mask = model.make_mask(torch.zeros(5, 3, 224, 224))
    assert mask.shape == (5, 7, 7)
    assert torch.all(mask.flatten(1).sum(1) == 49 - int(49 * 0.4))  # 30 masked, 19 kept


def test_every_trainable_parameter_gets_a_gradient():
    """What DDP (find_unused_parameters=False) needs: the frozen output norm aside, every
    parameter is used by the loss."""
    model = tiny()
    model.loss(torch.randn(2, 3, 64, 64))['loss'].backward()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert not [n for n, p in trainable.items() if p.grad is None]
    frozen = sorted(n for n, p in model.named_parameters() if not p.requires_grad)
    assert frozen == ['backbone.norm3.bias', 'backbone.norm3.weight']


@pytest.mark.parametrize('dtype', [torch.bfloat16, torch.float16])
def test_autocast_keeps_the_loss_in_float32_and_close(dtype):
    model = tiny()
    imgs = torch.randn(2, 3, 64, 64)
    torch.manual_seed(1)
    ref = model.loss(imgs)['loss']
    torch.manual_seed(1)  # the same mask
    with torch.autocast('cpu', dtype=dtype):
        low = model.loss(imgs)['loss']
    assert low.dtype == torch.float32 and torch.isfinite(low)
    assert float(low.detach()) == pytest.approx(float(ref.detach()), rel=0.05)
    low.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_train_step_with_an_amp_optim_wrapper_updates_the_weights():
    """mmengine's train_step path as --amp on CUDA takes it (AmpOptimWrapper: autocast +
    loss scaler), run on CPU with bf16 autocast."""
    from mmcls_convnext.engine.optimizers.cpu_amp_optim_wrapper import CPUAmpOptimWrapper
    model = tiny()
    optim = CPUAmpOptimWrapper(optimizer=torch.optim.AdamW(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3), dtype='bfloat16',
        allow_emulated_bf16=True)
    before = model.decoder.pred.weight.detach().clone()
    data = dict(inputs=[torch.randint(0, 255, (3, 64, 64), dtype=torch.uint8)
                        for _ in range(2)], data_samples=None)
    log = model.train_step(data, optim)
    assert set(log) == {'loss'} and torch.isfinite(log['loss'])
    assert not torch.equal(before, model.decoder.pred.weight)
    plain = tiny()
    log = plain.train_step(data, OptimWrapper(torch.optim.AdamW(plain.parameters(), lr=1e-3)))
    assert torch.isfinite(log['loss'])


def test_bad_configs_and_inputs_say_what_is_wrong():
    backbone = dict(type='ConvNeXt', arch=ARCH, use_grn=True, layer_scale_init_value=0.)
    with pytest.raises(ModelConfigError, match='mask_ratio must be a number in'):
        FCMAE(backbone=backbone, mask_ratio=1.0)
    with pytest.raises(ModelConfigError, match=r"\['patch_size'\] follow from the backbone"):
        FCMAE(backbone=backbone, decoder=dict(patch_size=16))
    with pytest.raises(ModelConfigError, match='needs a ConvNeXt backbone'):
        FCMAE(backbone=dict(type='LinearClsHead', num_classes=2, in_channels=4))
    with pytest.raises(ModelConfigError, match='embed_dims must be a positive int'):
        FCMAE(backbone=backbone, decoder=dict(embed_dims=0))
    model = tiny()
    with pytest.raises(ValueError, match=r'input size 64x80 must be a multiple of the mask'):
        model.loss(torch.zeros(1, 3, 64, 80))
    with pytest.raises(ValueError, match=r'expects images \(N, 3, H, W\)'):
        model.loss(torch.zeros(1, 1, 64, 64))
    with pytest.raises(ValueError, match='keeps int'):
        model.loss(torch.zeros(1, 3, 32, 32))  # one patch: nothing to keep at ratio 0.6
    with pytest.raises(ValueError, match='mode must be'):
        model(torch.zeros(1, 3, 64, 64), mode='predict_all')


def test_tensor_mode_gives_the_backbone_features_of_the_whole_image():
    model = tiny().eval()
    imgs = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(imgs, mode='tensor')[0], model.backbone(imgs)[0])
        pred, mask = model(imgs, mode='predict')
    assert pred.shape == (2, 4, 32 * 32 * 3) and mask.shape == (2, 2, 2)
    assert model.to_image(pred, imgs).shape == imgs.shape
