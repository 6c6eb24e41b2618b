"""Our ConvNeXt (V1, V2, with_cp) under timm's features API and torchvision's Faster R-CNN.

The detector is trained for real on a tiny COCO-style dataset the test writes (PNG images + an
instances JSON; read back with the json module and PIL, pycocotools is not needed), the loss
must fall, and evaluation returns boxes in the image.
"""
import json

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.transforms.functional import pil_to_tensor

from mmcls_convnext.models import ConvNeXt, convnext_fpn_backbone
from mmcls_convnext.models.errors import ModelConfigError

TINY = dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])
VARIANTS = {
    'v1': dict(arch=TINY),
    'v2-grn': dict(arch=TINY, use_grn=True, layer_scale_init_value=0.),
    'v1-with_cp': dict(arch=TINY, with_cp=True),
    'v2-with_cp': dict(arch=TINY, use_grn=True, layer_scale_init_value=0., with_cp=True),
}


@pytest.mark.parametrize('variant', sorted(VARIANTS))
def test_forward_intermediates_matches_forward(variant):
    torch.manual_seed(0)
    model = ConvNeXt(out_indices=(0, 1, 2, 3), gap_before_final_norm=False, **VARIANTS[variant])
    model.eval()
    x = torch.rand(2, 3, 64, 48)
    with torch.no_grad():
        normed = model(x)  # MMDet/MMSeg path: per-stage norms
        final, inter = model.forward_intermediates(x, norm=True)
        raw = model.forward_intermediates(x, intermediates_only=True)
        last2 = model.forward_intermediates(x, indices=2, intermediates_only=True)
        picked = model.forward_intermediates(x, indices=[-1, 1], output_fmt='NHWC',
                                             intermediates_only=True)
        early, early_inter = model.forward_intermediates(x, indices=[1], stop_early=True)
    assert len(inter) == 4 and len(raw) == 4
    for i, (a, b) in enumerate(zip(normed, inter)):
        assert torch.equal(a, b)
        # channels and reduction as feature_info says
        info = model.feature_info[i]
        assert info == dict(num_chs=TINY['channels'][i], reduction=4 * 2**i,
                            module=f'stages.{i}')
        assert a.shape == (2, info['num_chs'], 64 // info['reduction'], 48 // info['reduction'])
        # the stage norm is a channel LayerNorm over the raw stage output (independent check)
        ref = raw[i].permute(0, 2, 3, 1)
        ref = (ref - ref.mean(-1, keepdim=True)) / torch.sqrt(
            ref.var(-1, unbiased=False, keepdim=True) + 1e-6)
        norm = getattr(model, f'norm{i}')
        ref = (ref * norm.weight + norm.bias).permute(0, 3, 1, 2)
        torch.testing.assert_close(a, ref, atol=1e-5, rtol=1e-4)
    assert torch.equal(final, raw[3])
    assert [t.shape for t in last2] == [t.shape for t in raw[2:]]
    assert torch.equal(picked[0], raw[1].permute(0, 2, 3, 1))
    assert torch.equal(picked[1], raw[3].permute(0, 2, 3, 1))
    assert torch.equal(early, raw[1]) and torch.equal(early_inter[0], raw[1])


def test_forward_intermediates_errors():
    model = ConvNeXt(arch=TINY)  # default out_indices=-1: only norm3
    x = torch.rand(1, 3, 32, 32)
    with pytest.raises(ModelConfigError, match=r'norm for stages \[0, 1, 2\]'):
        model.forward_intermediates(x, norm=True)
    with pytest.raises(ModelConfigError, match='NCHW'):
        model.forward_intermediates(x, output_fmt='NCWH')
    with pytest.raises(ModelConfigError, match='last n stages'):
        model.forward_intermediates(x, indices=5)
    with pytest.raises(ModelConfigError, match='out of range'):
        model.forward_intermediates(x, indices=[4])


def test_fpn_builder_rejects_conflicting_args():
    with pytest.raises(ModelConfigError, match='gap_before_final_norm'):
        convnext_fpn_backbone(dict(arch=TINY, gap_before_final_norm=True))
    with pytest.raises(ModelConfigError, match='out_indices'):
        convnext_fpn_backbone(ConvNeXt(arch=TINY, out_indices=(1, 2, 3),
                                       gap_before_final_norm=False))
    with pytest.raises(ModelConfigError, match='returned_layers'):
        convnext_fpn_backbone(dict(arch=TINY), returned_layers=(1, 4))


def _write_coco(root, n=4, size=64):
    """Images with one bright square (class 1) and one dark bar (class 2) on noise."""
    rng = np.random.default_rng(0)
    images, annotations = [], []
    for k in range(n):
        img = rng.integers(90, 140, size=(size, size, 3), dtype=np.uint8)
        x, y = 4 + 6 * k, 6 + 4 * k
        img[y:y + 20, x:x + 20] = (250, 240, 30)
        img[40:56, 10 + 3 * k:42 + 3 * k] = (10, 20, 200)
        Image.fromarray(img).save(root / f'{k}.png')
        images.append(dict(id=k, file_name=f'{k}.png', width=size, height=size))
        annotations += [
            dict(id=2 * k, image_id=k, category_id=1, bbox=[x, y, 20, 20], area=400, iscrowd=0),
            dict(id=2 * k + 1, image_id=k, category_id=2, bbox=[10 + 3 * k, 40, 32, 16],
                 area=512, iscrowd=0)]
    ann = dict(images=images, annotations=annotations,
               categories=[dict(id=1, name='square'), dict(id=2, name='bar')])
    (root / 'instances.json').write_text(json.dumps(ann))
    return root / 'instances.json'


def _read_coco(ann_file):
    ann = json.loads(ann_file.read_text())
    samples = []
    for info in ann['images']:
        img = pil_to_tensor(Image.open(ann_file.parent / info['file_name'])).float() / 255
        objs = [a for a in ann['annotations'] if a['image_id'] == info['id']]
        boxes = torch.tensor([[x, y, x + w, y + h] for x, y, w, h in (a['bbox'] for a in objs)],
                             dtype=torch.float32)  # COCO xywh -> torchvision xyxy
        labels = torch.tensor([a['category_id'] for a in objs], dtype=torch.int64)
        samples.append((img, dict(boxes=boxes, labels=labels)))
    return samples


@pytest.mark.parametrize('variant', ['v1', 'v2-grn', 'v2-with_cp'])
def test_faster_rcnn_trains_and_evaluates(variant, tmp_path):
    torch.manual_seed(0)
    samples = _read_coco(_write_coco(tmp_path))
    backbone = convnext_fpn_backbone(dict(VARIANTS[variant]), out_channels=16)
    assert isinstance(backbone, BackboneWithFPN) and backbone.out_channels == 16
    model = FasterRCNN(backbone, num_classes=3, min_size=64, max_size=64,
                       rpn_batch_size_per_image=32, box_batch_size_per_image=32,
                       rpn_pre_nms_top_n_train=200, rpn_post_nms_top_n_train=50,
                       rpn_pre_nms_top_n_test=100, rpn_post_nms_top_n_test=20,
                       representation_size=64, box_detections_per_img=10)
    feats = backbone(torch.rand(1, 3, 64, 64))
    assert [(k, tuple(v.shape)) for k, v in feats.items()] == [
        ('0', (1, 16, 16, 16)), ('1', (1, 16, 8, 8)), ('2', (1, 16, 4, 4)),
        ('3', (1, 16, 2, 2)), ('pool', (1, 16, 1, 1))]
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    images, targets = [s[0] for s in samples], [s[1] for s in samples]
    model.train()
    losses = []
    for _ in range(12):
        loss = sum(model(images, targets).values())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3]), losses
    if VARIANTS[variant].get('with_cp'):
        assert all(block.with_cp for stage in backbone.body.values() for block in stage[1])
    model.eval()
    with torch.no_grad():
        detections = model(images)
    assert len(detections) == len(images)
    for det in detections:
        boxes = det['boxes']
        assert boxes.ndim == 2 and boxes.shape[1] == 4
        assert det['scores'].shape == det['labels'].shape == boxes.shape[:1]
        assert bool(((boxes >= 0) & (boxes <= 64)).all())
        assert set(det['labels'].tolist()) <= {1, 2}
