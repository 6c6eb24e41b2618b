"""Does FCMAE pretraining learn anything on real data? A CPU-sized measurement on Fashion-MNIST.

1. Pretrain a small ConvNeXt V2 with FCMAE on Fashion-MNIST training images, labels unused
   (28 px bilinear-resized to 32 px, one grey channel). The encoder is a 3-stage ConvNeXt V2
   (depths 1-2-1, widths 32-64-128, ``stem_patch_size=2``): its mask stride ``2 x 2 ** 2 = 8``
   gives a 4x4 grid of 8 px patches (6 kept, 10 masked at ratio 0.6), the structure of
   224 px / 32 px patches at a size two shared CPU cores can train in minutes.
2. k-NN top-1 on the test images (frozen backbone features = the global-average-pooled,
   layer-normed last stage; cosine distance, k=20, scikit-learn's KNeighborsClassifier) of the
   pretrained encoder vs the same encoder at its random initialisation.
3. Fine-tune backbone + linear head on a small labelled subset, from the FCMAE weights vs from
   scratch, same budget, two seeds each; top-1 on the test images.

Writes ``OUT/fcmae_probe.json`` (every figure), ``OUT/loss_curve.png`` and
``OUT/reconstructions.png`` (masked input / reconstruction / original). Usage::

    python tools/analysis_tools/fcmae_probe.py OUT [--src /usr/share/datasets/fashion-mnist]
        [--pretrain-images 16000] [--pretrain-epochs 2] [--finetune-images 1000] ...
"""
import argparse
import json
import math
import os
import os.path as osp
import platform
import sys
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.ops import roi_align

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', 'dataset_converters'))
from fashion_mnist import DEFAULT_SRC, load_split  # noqa: E402

from mmcls_convnext.models import ConvNeXt  # noqa: E402
from mmcls_convnext.models.selfsup import FCMAE  # noqa: E402

MEAN, STD = 72.94 / 255, 90.02 / 255  # Fashion-MNIST pixel statistics (configs/_base_)
ARCH = dict(depths=[1, 2, 1], channels=[32, 64, 128])  # ~0.3M parameters; atto has 3.4M


def backbone_cfg() -> dict:
    return dict(type='ConvNeXt', arch=ARCH, in_channels=1, stem_patch_size=2, use_grn=True,
                layer_scale_init_value=0.)


def load(src: str, split: str, count: Optional[int], seed: int) -> tuple:
    images, labels = load_split(src, split)
    idx = np.arange(len(images))
    if count is not None and count < len(images):
        idx = np.random.default_rng(seed).permutation(len(images))[:count]
    x = torch.from_numpy(images[idx].astype(np.float32) / 255.).unsqueeze(1)
    x = F.interpolate(x, size=(32, 32), mode='bilinear', align_corners=False)
    return (x - MEAN) / STD, torch.from_numpy(labels[idx].astype(np.int64))


def augment(x: torch.Tensor, gen: torch.Generator, min_scale: float) -> torch.Tensor:
    """Per-sample RandomResizedCrop (area ``min_scale``-1, ratio 3/4-4/3) + horizontal flip."""
    n, _, h, w = x.shape
    area = torch.empty(n).uniform_(min_scale, 1., generator=gen) * h * w
    logr = torch.empty(n).uniform_(math.log(3 / 4), math.log(4 / 3), generator=gen)
    cw = (area * logr.exp()).sqrt().clamp(max=w)
    ch = (area / logr.exp()).sqrt().clamp(max=h)
    x0 = torch.rand(n, generator=gen) * (w - cw)
    y0 = torch.rand(n, generator=gen) * (h - ch)
    boxes = torch.stack([torch.arange(n, dtype=torch.float32), x0, y0, x0 + cw, y0 + ch], 1)
    out = roi_align(x, boxes, output_size=(h, w), aligned=True)
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(-1)
    return out


def cosine_lr(step: int, total: int, warmup: int, base: float) -> float:
    if step < warmup:
        return base * (step + 1) / warmup
    return 0.5 * base * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def pretrain(model: FCMAE, x: torch.Tensor, epochs: int, batch: int, lr: float,
             seed: int, log: List[dict]) -> None:
    gen = torch.Generator().manual_seed(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.05, betas=(0.9, 0.95))
    steps = epochs * (len(x) // batch)
    warmup = max(1, steps // 10)
    step, t0 = 0, time.time()
    model.train()
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(len(x) // batch):
            for g in opt.param_groups:
                g['lr'] = cosine_lr(step, steps, warmup, lr)
            xb = augment(x[order[i * batch:(i + 1) * batch]], gen, 0.2)
            loss = model.loss(xb)['loss']
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
            if step % 10 == 0 or step == steps:
                log.append(dict(step=step, epoch=epoch + (i + 1) * batch / len(x),
                                loss=float(loss), seconds=round(time.time() - t0, 1)))
                print(f'pretrain step {step}/{steps} loss {float(loss):.4f} '
                      f'{time.time() - t0:.0f}s', flush=True)


@torch.no_grad()
def features(backbone: ConvNeXt, x: torch.Tensor, batch: int = 500) -> np.ndarray:
    backbone.eval()
    return torch.cat([backbone(x[i:i + batch])[-1] for i in range(0, len(x), batch)]).numpy()


def knn_top1(backbone: ConvNeXt, train: tuple, test: tuple, k: int = 20) -> float:
    from sklearn.neighbors import KNeighborsClassifier
    clf = KNeighborsClassifier(n_neighbors=k, metric='cosine')
    clf.fit(features(backbone, train[0]), train[1].numpy())
    return float((clf.predict(features(backbone, test[0])) == test[1].numpy()).mean())


class Classifier(nn.Module):
    def __init__(self, backbone: ConvNeXt, num_classes: int = 10):
        super().__init__()
        self.backbone = backbone
        self.fc = nn.Linear(backbone.num_features, num_classes)

    def forward(self, x):
        return self.fc(self.backbone(x)[-1])


def finetune(state: Optional[Dict[str, torch.Tensor]], train: tuple, test: tuple, epochs: int,
             batch: int, lr: float, seed: int) -> float:
    torch.manual_seed(seed)
    backbone = ConvNeXt(**{k: v for k, v in backbone_cfg().items() if k != 'type'},
                        drop_path_rate=0.1)
    backbone.init_weights()
    if state is not None:
        backbone.load_state_dict(state, strict=True)
    model = Classifier(backbone)
    nn.init.trunc_normal_(model.fc.weight, std=2e-5)  # official fine-tune head init
    nn.init.zeros_(model.fc.bias)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.05)
    gen = torch.Generator().manual_seed(seed)
    x, y = train
    steps = epochs * max(1, len(x) // batch)
    step = 0
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x), generator=gen)
        for i in range(max(1, len(x) // batch)):
            for g in opt.param_groups:
                g['lr'] = cosine_lr(step, steps, max(1, steps // 10), lr)
            idx = order[i * batch:(i + 1) * batch]
            loss = F.cross_entropy(model(augment(x[idx], gen, 0.5)), y[idx],
                                   label_smoothing=0.1)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            step += 1
    model.eval()
    with torch.no_grad():
        pred = torch.cat([model(test[0][i:i + 500]).argmax(1) for i in range(0, len(test[0]),
                                                                              500)])
    return float((pred == test[1]).float().mean())


def pictures(model: FCMAE, x: torch.Tensor, out: str, seed: int) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    torch.manual_seed(seed)
    model.eval()
    with torch.no_grad():
        pred, mask = model.reconstruct(x)
        recon = model.to_image(pred, x)
    p = model.patch_size
    keep = (1 - mask).repeat_interleave(p, 1).repeat_interleave(p, 2).unsqueeze(1)
    masked = x * keep + x.min() * (1 - keep)
    pasted = x * keep + recon * (1 - keep)  # visible pixels as given, masked ones predicted
    rows = [('masked input', masked), ('reconstruction', pasted), ('original', x)]
    fig, axes = plt.subplots(len(rows), len(x), figsize=(1.2 * len(x), 3.8))
    for r, (name, imgs) in enumerate(rows):
        for c in range(len(x)):
            ax = axes[r, c]
            ax.imshow((imgs[c, 0] * STD + MEAN).clamp(0, 1).numpy(), cmap='gray', vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    fig.suptitle('FCMAE on Fashion-MNIST test images (60 % of 8x8 patches masked)', fontsize=9)
    fig.tight_layout()
    fig.savefig(osp.join(out, 'reconstructions.png'), dpi=110)
    plt.close(fig)


def loss_plot(log: List[dict], out: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(5, 3))
    ax.plot([r['epoch'] for r in log], [r['loss'] for r in log])
    ax.set_xlabel('epoch')
    ax.set_ylabel('masked-patch MSE (norm_pix)')
    ax.set_title('FCMAE pretraining loss, Fashion-MNIST (no labels)', fontsize=9)
    fig.tight_layout()
    fig.savefig(osp.join(out, 'loss_curve.png'), dpi=110)
    plt.close(fig)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out', help='output folder')
    p.add_argument('--src', default=DEFAULT_SRC, help='folder of the Fashion-MNIST idx files')
    p.add_argument('--pretrain-images', type=int, default=16000)
    p.add_argument('--pretrain-epochs', type=int, default=2)
    p.add_argument('--pretrain-lr', type=float, default=2e-3)
    p.add_argument('--decoder-dims', type=int, default=128,
                   help='decoder width (official 512; smaller for CPU)')
    p.add_argument('--knn-bank', type=int, default=5000, help='labelled k-NN bank (train)')
    p.add_argument('--test-images', type=int, default=2000)
    p.add_argument('--finetune-images', type=int, default=1000)
    p.add_argument('--finetune-epochs', type=int, default=6)
    p.add_argument('--finetune-lr', type=float, default=2e-3)
    p.add_argument('--batch', type=int, default=128)
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1])
    p.add_argument('--threads', type=int, default=1,
                   help='torch threads (1: on a shared 2-core machine 2 threads were 3x slower)')
    return p.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    t_start = time.time()
    torch.manual_seed(0)
    pre_x, _ = load(args.src, 'train', args.pretrain_images, seed=0)  # labels dropped
    bank = load(args.src, 'train', args.knn_bank, seed=1)
    test = load(args.src, 'val', args.test_images, seed=2)
    ft_train = load(args.src, 'train', args.finetune_images, seed=3)

    model = FCMAE(backbone=backbone_cfg(), decoder=dict(embed_dims=args.decoder_dims))
    model.init_weights()
    random_state = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    knn_random = knn_top1(model.backbone, bank, test)
    print(f'k-NN top-1, random init: {knn_random:.4f}', flush=True)

    log: List[dict] = []
    t0 = time.time()
    pretrain(model, pre_x, args.pretrain_epochs, args.batch, args.pretrain_lr, seed=0, log=log)
    pretrain_s = time.time() - t0
    knn_fcmae = knn_top1(model.backbone, bank, test)
    print(f'k-NN top-1, FCMAE: {knn_fcmae:.4f}', flush=True)
    fcmae_state = {k: v.clone() for k, v in model.backbone.state_dict().items()}
    torch.save({'state_dict': model.state_dict()}, osp.join(args.out, 'fcmae_probe.pth'))
    pictures(model, test[0][:10], args.out, seed=0)
    loss_plot(log, args.out)

    ft: Dict[str, List[float]] = {'fcmae': [], 'scratch': []}
    t0 = time.time()
    for seed in args.seeds:
        for name, state in (('fcmae', fcmae_state), ('scratch', None)):
            acc = finetune(state, ft_train, test, args.finetune_epochs, args.batch,
                           args.finetune_lr, seed)
            ft[name].append(acc)
            print(f'fine-tune top-1 from {name}, seed {seed}: {acc:.4f}', flush=True)
    del random_state
    result = dict(
        args=vars(args), arch=ARCH, stem_patch_size=2, mask_patch=model.patch_size,
        cpu=platform.processor() or platform.machine(), torch_threads=torch.get_num_threads(),
        load_average=os.getloadavg(), pretrain_seconds=round(pretrain_s, 1),
        finetune_seconds=round(time.time() - t0, 1), total_seconds=round(time.time() - t_start, 1),
        loss_first=log[0]['loss'] if log else None, loss_last=log[-1]['loss'] if log else None,
        loss_curve=log, knn_top1=dict(random_init=knn_random, fcmae=knn_fcmae),
        finetune_top1=ft)
    with open(osp.join(args.out, 'fcmae_probe.json'), 'w') as f:
        json.dump(result, f, indent=1)
    print(json.dumps({k: v for k, v in result.items() if k != 'loss_curve'}, indent=1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
