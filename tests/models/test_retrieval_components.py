"""GeM and LinearNeck, ArcFaceClsHead, ResizeMix, CosineEMA, LayerScale and
ImageToImageRetriever against independent numpy computations."""
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from torch.utils.data import DataLoader, Dataset

from mmcls_convnext.models import ModelConfigError
from mmcls_convnext.models.heads import ArcFaceClsHead
from mmcls_convnext.models.necks import GeneralizedMeanPooling, LinearNeck
from mmcls_convnext.models.utils import CosineEMA, LayerScale, ResizeMix
from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample

TINY_ENCODER = [
    dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
         gap_before_final_norm=False),
    dict(type='GeneralizedMeanPooling'),
]


def test_gem_is_the_generalized_mean_per_channel():
    x = torch.rand(2, 3, 5, 4) * 2 - 0.5  # some negatives: clamped to eps
    for p in (1.0, 3.0, 7.5):
        out = GeneralizedMeanPooling(p=p)(x)
        a = np.clip(x.numpy().astype(np.float64), 1e-6, None)
        expected = np.mean(a ** p, axis=(2, 3)) ** (1 / p)
        np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-5)
    # p = 1 is average pooling of the clamped map; large p approaches max pooling
    pos = torch.rand(1, 2, 3, 3) + 0.1
    np.testing.assert_allclose(GeneralizedMeanPooling(p=1.)(pos).detach().numpy(),
                               pos.mean(dim=(2, 3)).numpy(), rtol=1e-6)
    high = GeneralizedMeanPooling(p=60.)(pos).detach().numpy()
    np.testing.assert_allclose(high, pos.amax(dim=(2, 3)).numpy(), rtol=0.05)


def test_gem_learns_p_and_rejects_pooled_input():
    gem = GeneralizedMeanPooling()
    gem(torch.rand(2, 4, 3, 3)).sum().backward()
    assert gem.p.grad is not None and gem.p.grad.abs().item() > 0
    with pytest.raises(ValueError, match='gap_before_final_norm=False'):
        gem(torch.rand(2, 4))
    with pytest.raises(ModelConfigError, match='p must be >= 1'):
        GeneralizedMeanPooling(p=0.5)


def test_linear_neck_is_pool_then_affine_then_norm_then_act():
    torch.manual_seed(0)
    neck = LinearNeck(6, 4, gap_dim=2, norm_cfg=dict(type='BN1d'), act_cfg=dict(type='ReLU'))
    neck.eval()
    x = torch.rand(3, 6, 2, 5)
    (out, ) = neck(x)
    pooled = x.numpy().mean(axis=(2, 3))
    affine = pooled @ neck.fc.weight.detach().numpy().T + neck.fc.bias.detach().numpy()
    bn = neck.norm
    normed = (affine - bn.running_mean.numpy()) / np.sqrt(bn.running_var.numpy() + bn.eps)
    normed = normed * bn.weight.detach().numpy() + bn.bias.detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), np.maximum(normed, 0), rtol=1e-5, atol=1e-6)
    with pytest.raises(ModelConfigError, match='gap_dim must be 0, 1, 2 or 3'):
        LinearNeck(6, 4, gap_dim=4)


def _arcface_numpy(feat, weight, labels, margins, scale, k=1, easy=False):
    f = feat / np.linalg.norm(feat, axis=1, keepdims=True)
    w = weight / np.linalg.norm(weight, axis=1, keepdims=True)
    cos = (f @ w.T).reshape(len(f), -1, k).max(axis=2)
    theta = np.arccos(np.clip(cos, -1 + 1e-7, 1 - 1e-7))
    phi = np.cos(theta + margins)
    if easy:
        phi = np.where(cos > 0, phi, cos)
    else:
        phi = np.where(cos > np.cos(np.pi - margins), phi, cos - np.sin(np.pi - margins) * margins)
    onehot = np.eye(cos.shape[1])[labels]
    return scale * (onehot * phi + (1 - onehot) * cos), scale * cos


@pytest.mark.parametrize('k, easy', [(1, False), (3, False), (1, True)])
def test_arcface_logits_match_the_formula(k, easy):
    torch.manual_seed(1)
    margins = [0.1, 0.3, 0.5, 0.7]
    head = ArcFaceClsHead(num_classes=4, in_channels=6, num_subcenters=k, scale=16.,
                          margins=margins, easy_margin=easy)
    feat = torch.randn(5, 6)
    labels = torch.tensor([0, 1, 2, 3, 1])
    expected, plain = _arcface_numpy(feat.numpy().astype(np.float64),
                                     head.norm_product.weight.detach().numpy().astype(np.float64),
                                     labels.numpy(), np.array(margins), 16., k, easy)
    np.testing.assert_allclose(head((feat, ), labels).detach().numpy(), expected, rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(head((feat, )).detach().numpy(), plain, rtol=1e-4, atol=1e-4)
    # the loss is cross-entropy of the margin logits
    samples = [DataSample().set_gt_label(int(i)) for i in labels]
    loss = head.loss((feat, ), samples)['loss'].item()
    logp = expected - np.log(np.exp(expected).sum(axis=1, keepdims=True))
    assert loss == pytest.approx(-logp[np.arange(5), labels.numpy()].mean(), rel=1e-4)


def test_arcface_margins_from_a_file_and_bad_margins(tmp_path):
    path = tmp_path / 'margins.txt'
    path.write_text('0.1\n0.2\n\n0.3\n')
    head = ArcFaceClsHead(num_classes=3, in_channels=4, margins=str(path))
    np.testing.assert_allclose(head.margins.numpy(), [0.1, 0.2, 0.3], rtol=1e-6)
    (tmp_path / 'bad.txt').write_text('0.1\nabc\n0.3\n')
    with pytest.raises(ModelConfigError, match='line 2'):
        ArcFaceClsHead(num_classes=3, in_channels=4, margins=str(tmp_path / 'bad.txt'))
    with pytest.raises(ModelConfigError, match='3 classes but 2 margins'):
        ArcFaceClsHead(num_classes=3, in_channels=4, margins=[0.1, 0.2])
    head.set_margins([0.5, 0.4, 0.3])
    np.testing.assert_allclose(head.th.numpy(), np.cos(np.pi - np.array([0.5, 0.4, 0.3])),
                               rtol=1e-6)


def test_resize_mix_pastes_the_shrunk_partner_and_mixes_by_area():
    np.random.seed(3)
    torch.manual_seed(3)
    inputs = torch.rand(4, 3, 32, 32)
    targets = torch.eye(4)
    augment = ResizeMix(alpha=1.0, lam_min=0.3, lam_max=0.6)
    mixed, mixed_targets = augment(inputs.clone(), targets)
    changed = (mixed != inputs).any(dim=1)  # (N, H, W)
    rows, cols = np.nonzero(changed[0].numpy())
    y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    area = (y1 - y0) * (x1 - x0) / 32 ** 2
    # every row's own-class share is 1 - the pasted area (the same box for the whole batch)
    np.testing.assert_allclose(mixed_targets.numpy().sum(axis=1), 1, rtol=1e-6)
    partner = mixed_targets[0].clone()
    partner[0] = 0
    src = int(partner.argmax())
    assert src != 0  # (seeded) row 0 got another image's content
    assert mixed_targets[0, 0].item() == pytest.approx(1 - area, abs=1e-6)
    assert mixed_targets[0, src].item() == pytest.approx(area, abs=1e-6)
    assert 0.3 - 0.1 <= area <= 0.7 + 0.1  # box side sqrt(1 - lam), lam in [0.3, 0.6]
    # the pasted box is the whole partner image, resized (bilinear, no corners aligned)
    expected = torch.nn.functional.interpolate(inputs[src:src + 1], size=(y1 - y0, x1 - x0),
                                               mode='bilinear', align_corners=False)[0]
    torch.testing.assert_close(mixed[0, :, y0:y1, x0:x1], expected)
    with pytest.raises(ModelConfigError, match='lam_min <= lam_max'):
        ResizeMix(alpha=1.0, lam_min=0.9, lam_max=0.2)


def test_cosine_ema_follows_the_cosine_momentum_schedule():
    hub = MessageHub.get_instance('cosine_ema_test_22')
    hub.update_info('max_iters', 4)
    model = nn.Linear(2, 1, bias=False)
    ema = CosineEMA(model, momentum=0.1, end_momentum=0.9)
    ema.update_parameters(model)  # mmengine's first update copies the weights
    avg = model.weight.detach().clone().numpy()
    for step in range(1, 4):
        model.weight.data.add_(1.0)
        ema.update_parameters(model)
        m = 0.9 - (0.9 - 0.1) * (math.cos(math.pi * step / 4) + 1) / 2
        avg = (1 - m) * avg + m * model.weight.detach().numpy()
        np.testing.assert_allclose(ema.module.weight.detach().numpy(), avg, rtol=1e-6)


def test_layer_scale_scales_each_channel():
    ls = LayerScale(3, data_format='channels_first', scale=0.5)
    ls.weight.data = torch.tensor([1., 2., 3.])
    x = torch.ones(2, 3, 2, 2)
    np.testing.assert_allclose(ls(x)[:, :, 0, 0].detach().numpy(), [[1, 2, 3]] * 2)
    last = LayerScale(3)
    assert torch.equal(last.weight.detach(), torch.full((3, ), 1e-5))
    same = LayerScale(3, inplace=True)
    y = torch.rand(4, 3)
    assert same(y) is y


class _Images(Dataset):
    """Eight 32 px images; sample ``i`` is packed with sample_idx ``perm[i]``."""

    def __init__(self, perm):
        g = torch.Generator().manual_seed(0)
        self.images = torch.randint(0, 256, (8, 3, 32, 32), generator=g, dtype=torch.uint8)
        self.perm = perm

    def __len__(self):
        return 8

    def __getitem__(self, i):
        sample = DataSample(metainfo=dict(sample_idx=self.perm[i]))
        return dict(inputs=self.images[self.perm[i]], data_samples=sample)


def _collate(batch):
    return dict(inputs=[b['inputs'] for b in batch],
                data_samples=[b['data_samples'] for b in batch])


def test_retriever_ranks_the_gallery_by_cosine_similarity():
    torch.manual_seed(0)
    # the loader yields the gallery out of order: rows follow sample_idx, not loader order
    loader = DataLoader(_Images([3, 1, 7, 0, 5, 2, 6, 4]), batch_size=3, collate_fn=_collate)
    model = MODELS.build(dict(type='ImageToImageRetriever', image_encoder=TINY_ENCODER,
                              prototype=loader, topk=3,
                              data_preprocessor=dict(mean=[127.5] * 3, std=[64.] * 3)))
    model.eval()
    images = _Images(list(range(8))).images
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=list(images)), False)
        gallery = model.extract_feat(data['inputs'])[0].numpy()
        queries = torch.rand(2, 3, 32, 32) * 255
        qdata = model.data_preprocessor(dict(inputs=list(queries)), False)
        qfeat = model.extract_feat(qdata['inputs'])[0].numpy()
        preds = model.predict(qdata['inputs'])
    np.testing.assert_allclose(model.prototype_vecs.numpy(), gallery, rtol=1e-4, atol=1e-5)
    sims = (qfeat / np.linalg.norm(qfeat, axis=1, keepdims=True)) @ (
        gallery / np.linalg.norm(gallery, axis=1, keepdims=True)).T
    for pred, sim in zip(preds, sims):
        np.testing.assert_allclose(pred.pred_score.numpy(), sim, rtol=1e-4, atol=1e-5)
        assert pred.pred_label.tolist() == list(np.argsort(-sim)[:3])


def test_retriever_dump_and_reload_and_bad_prototypes(tmp_path):
    vecs = torch.rand(5, 64)
    model = MODELS.build(dict(type='ImageToImageRetriever', image_encoder=TINY_ENCODER,
                              prototype=vecs))
    model.dump_prototype(str(tmp_path / 'g.pth'))
    again = MODELS.build(dict(type='ImageToImageRetriever', image_encoder=TINY_ENCODER,
                              prototype=str(tmp_path / 'g.pth')))
    again.prepare_prototype()
    assert torch.equal(again.prototype_vecs, vecs)
    missing = MODELS.build(dict(type='ImageToImageRetriever', image_encoder=TINY_ENCODER,
                                prototype=str(tmp_path / 'none.pth')))
    with pytest.raises(FileNotFoundError, match='none.pth'):
        missing.prepare_prototype()
    with pytest.raises(ModelConfigError, match='topk must be -1'):
        MODELS.build(dict(type='ImageToImageRetriever', image_encoder=TINY_ENCODER,
                          prototype=vecs, topk=0))
