"""The ``toolbox`` rows of the ``data`` section: the parts the toolbox gained beyond the ImageNet
recipe (MMPretrain-config transforms, the in-memory standard datasets, the multi-label head and
metrics), each timed against the well-known implementation a user would otherwise reach for, so
a slowdown shows as a ratio that moved, not as a number nobody remembers.

Pairs (``ours`` / reference), single-threaded (per core) like the rest of the data section,
round-robin over ``rounds`` with medians (:func:`.timing.interleave`):

- ``color_jitter``: our ``ColorJitter(0.4, 0.4, 0.4, 0.1)`` on uint8 BGR arrays / torchvision's
  ``ColorJitter`` on PIL images (the same jitter ranges), 224 px;
- ``auto_augment``: our ``AutoAugment(policies='imagenet')`` / torchvision's
  ``AutoAugment(AutoAugmentPolicy.IMAGENET)``, 224 px;
- ``gaussian_blur``: our ``GaussianBlur(magnitude_range=(0.1, 2.0), magnitude_std='inf', prob=1)``
  / Pillow's ``ImageFilter.GaussianBlur`` with a radius drawn the same way (what it wraps);
- ``cifar_random_crop``: our ``RandomCrop(32, padding=4)`` + ``RandomFlip`` (CIFAR's train
  pipeline) / torchvision's ``RandomCrop(32, padding=4)`` + ``RandomHorizontalFlip`` on PIL, 32 px;
- ``albumentations``: our ``Albumentations`` wrapper / the same ``albumentations.Compose``
  called directly (the wrapper's overhead; skipped when albumentations is not installed);
- ``fashion_mnist_getitem``: our ``FashionMNIST[i]`` (decoded once, ``PackInputs``) /
  torchvision's ``FashionMNIST[i]`` with ``PILToTensor`` on the same idx files;
- ``multi_label_map``: our ``AveragePrecision.calculate`` / scikit-learn's
  ``average_precision_score(average='macro')`` on the same scores (4096 samples x 20 classes);
- ``multi_label_head``: our ``MultiLabelLinearClsHead.loss`` (sigmoid cross-entropy) with
  backward / ``F.binary_cross_entropy_with_logits`` on a copy of its ``nn.Linear`` (batch 256,
  768 -> 20; MMPretrain's reduction, summed over classes and averaged over samples; equal losses
  checked first).

Each row: ``ours`` and ``reference`` (items/s, wall and CPU medians) and ``ours_over_reference``
(CPU medians: higher is better for ours).
"""
import os
import os.path as osp
import random
from typing import Callable, Dict, Optional, Tuple

import numpy as np
import torch

from .timing import interleave, stats

IMAGES = 16       # images per call of the transform pairs
MAP_SHAPE = (4096, 20)
HEAD_BATCH = 256


def _seeded(fn: Callable[[], None]) -> Callable[[], None]:
    """Seed Python's, numpy's and torch's generators with the call number before each call."""
    calls = iter(range(1 << 30))

    def run() -> None:
        seed = next(calls)
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        fn()
    return run


def _images(size: int, count: int, seed: int = 0):
    """``count`` smooth random uint8 BGR images (``size`` px) and their RGB PIL twins."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    arrays, pils = [], []
    for _ in range(count):
        small = rng.integers(0, 256, (size // 8 + 1, size // 8 + 1, 3), dtype=np.uint8)
        img = np.asarray(Image.fromarray(small).resize((size, size), Image.BICUBIC))
        arrays.append(np.ascontiguousarray(img[..., ::-1]))
        pils.append(Image.fromarray(img))
    return arrays, pils


def _transform_pair(ours_cfg, reference, size: int) -> Tuple[Callable, Callable, int]:
    from mmcls_convnext.registry import TRANSFORMS
    ours = TRANSFORMS.build(ours_cfg) if isinstance(ours_cfg, dict) else ours_cfg
    arrays, pils = _images(size, IMAGES)

    def run_ours() -> None:
        for img in arrays:
            ours(dict(img=img.copy(), img_shape=img.shape[:2], ori_shape=img.shape[:2]))

    def run_reference() -> None:
        for img in pils:
            reference(img)
    return _seeded(run_ours), _seeded(run_reference), IMAGES


def color_jitter_pair():
    import torchvision.transforms as T
    return _transform_pair(dict(type='ColorJitter', brightness=0.4, contrast=0.4,
                                saturation=0.4, hue=0.1),
                           T.ColorJitter(brightness=0.4, contrast=0.4, saturation=0.4, hue=0.1),
                           224)


def auto_augment_pair():
    import torchvision.transforms as T
    return _transform_pair(dict(type='AutoAugment', policies='imagenet'),
                           T.AutoAugment(T.AutoAugmentPolicy.IMAGENET), 224)


def gaussian_blur_pair():
    from PIL import ImageFilter

    def reference(img):
        return img.filter(ImageFilter.GaussianBlur(radius=np.random.uniform(0.1, 2.0)))
    return _transform_pair(dict(type='GaussianBlur', magnitude_range=(0.1, 2.0),
                                magnitude_std='inf', prob=1.0), reference, 224)


def cifar_random_crop_pair():
    import torchvision.transforms as T
    from mmcv.transforms import Compose

    from mmcls_convnext.registry import TRANSFORMS
    ours = Compose([TRANSFORMS.build(dict(type='RandomCrop', crop_size=32, padding=4)),
                    TRANSFORMS.build(dict(type='RandomFlip', prob=0.5,
                                          direction='horizontal'))])
    return _transform_pair(ours, T.Compose([T.RandomCrop(32, padding=4),
                                            T.RandomHorizontalFlip()]), 32)


def albumentations_pair():
    os.environ.setdefault('NO_ALBUMENTATIONS_UPDATE', '1')  # no update request to PyPI
    import albumentations as A
    ops = [dict(type='HorizontalFlip', p=0.5), dict(type='RandomBrightnessContrast', p=0.5)]
    direct = A.Compose([A.HorizontalFlip(p=0.5), A.RandomBrightnessContrast(p=0.5)])
    arrays, _ = _images(224, IMAGES)
    from mmcls_convnext.registry import TRANSFORMS
    ours = TRANSFORMS.build(dict(type='Albumentations', transforms=ops))

    def run_ours() -> None:
        for img in arrays:
            ours(dict(img=img.copy(), img_shape=img.shape[:2], ori_shape=img.shape[:2]))

    def run_reference() -> None:
        for img in arrays:
            direct(image=img.copy())
    return _seeded(run_ours), _seeded(run_reference), IMAGES


def write_idx_dataset(root: str, count: int, seed: int = 0) -> str:
    """Fashion-MNIST-shaped idx files (``count`` train and test images) in ``root``, extracted
    (torchvision's ``FashionMNIST`` looks for the extracted files only)."""
    rng = np.random.default_rng(seed)
    os.makedirs(root, exist_ok=True)
    arrays = {'train-images-idx3-ubyte': rng.integers(0, 256, (count, 28, 28)),
              'train-labels-idx1-ubyte': np.arange(count) % 10,
              't10k-images-idx3-ubyte': rng.integers(0, 256, (count, 28, 28)),
              't10k-labels-idx1-ubyte': np.arange(count) % 10}
    for name, array in arrays.items():
        head = bytes([0, 0, 8, array.ndim]) + b''.join(int(d).to_bytes(4, 'big')
                                                       for d in array.shape)
        with open(osp.join(root, name), 'wb') as f:
            f.write(head + array.astype(np.uint8).tobytes())
    return root


def fashion_mnist_pair(tmp: str, count: int = 2048):
    """Both datasets on the same idx files (torchvision reads ``<root>/FashionMNIST/raw``,
    ours the folder itself)."""
    import torchvision
    import torchvision.transforms as T

    from mmcls_convnext.datasets import FashionMNIST
    raw = write_idx_dataset(osp.join(tmp, 'FashionMNIST', 'raw'), count)
    ours = FashionMNIST(data_root=raw, split='train', pipeline=[dict(type='PackInputs')])
    reference = torchvision.datasets.FashionMNIST(tmp, train=True, download=False,
                                                  transform=T.PILToTensor())
    if len(ours) != len(reference):
        raise RuntimeError(f'toolbox/fashion_mnist_getitem: ours reads {len(ours)} images, '
                           f'torchvision {len(reference)} from the same files')
    ours[0]  # fill the decoded cache once: what every epoch after the first one reads

    def run_ours() -> None:
        for i in range(count):
            ours[i]

    def run_reference() -> None:
        for i in range(count):
            reference[i]
    return run_ours, run_reference, count


def multi_label_map_pair():
    from sklearn.metrics import average_precision_score

    from mmcls_convnext.evaluation.metrics.multi_label import AveragePrecision
    rng = np.random.default_rng(0)
    target = (rng.random(MAP_SHAPE) < 0.15).astype(np.int64)
    target[0] = 1  # every class has a positive sample
    scores = np.clip(target * 0.3 + rng.random(MAP_SHAPE), 0, None).astype(np.float32)
    ours_value = float(AveragePrecision.calculate(torch.from_numpy(scores),
                                                  torch.from_numpy(target)))
    sk_value = 100 * average_precision_score(target, scores, average='macro')
    if abs(ours_value - sk_value) > 1e-3:
        raise RuntimeError(f'toolbox/multi_label_map: ours {ours_value:.5f} != scikit-learn '
                           f'{sk_value:.5f} on the same scores')
    return (lambda: AveragePrecision.calculate(torch.from_numpy(scores),
                                               torch.from_numpy(target)),
            lambda: average_precision_score(target, scores, average='macro'), MAP_SHAPE[0])


def multi_label_head_pair():
    import torch.nn.functional as F

    from mmcls_convnext.registry import MODELS
    from mmcls_convnext.structures import DataSample
    torch.manual_seed(0)
    head = MODELS.build(dict(type='MultiLabelLinearClsHead', num_classes=20, in_channels=768))
    fc = torch.nn.Linear(768, 20)
    fc.load_state_dict(head.fc.state_dict())
    feats = torch.randn(HEAD_BATCH, 768)
    multi_hot = (torch.rand(HEAD_BATCH, 20) < 0.15).float()
    samples = [DataSample().set_gt_label(torch.nonzero(row).flatten()) for row in multi_hot]
    def reference_loss():  # MMPretrain's reduction: the sum over classes, the mean over samples
        return F.binary_cross_entropy_with_logits(fc(feats), multi_hot,
                                                  reduction='sum') / HEAD_BATCH

    ours_loss = float(head.loss((feats, ), samples)['loss'].detach())
    ref_loss = float(reference_loss().detach())
    if abs(ours_loss - ref_loss) > 1e-5:
        raise RuntimeError(f'toolbox/multi_label_head: ours {ours_loss:.6f} != '
                           f'binary_cross_entropy_with_logits {ref_loss:.6f}')

    def run_ours() -> None:
        head.zero_grad()
        head.loss((feats, ), samples)['loss'].backward()

    def run_reference() -> None:
        fc.zero_grad()
        reference_loss().backward()
    return run_ours, run_reference, HEAD_BATCH


PAIRS: Dict[str, Callable] = {
    'color_jitter': color_jitter_pair, 'auto_augment': auto_augment_pair,
    'gaussian_blur': gaussian_blur_pair, 'cifar_random_crop': cifar_random_crop_pair,
    'albumentations': albumentations_pair, 'fashion_mnist_getitem': fashion_mnist_pair,
    'multi_label_map': multi_label_map_pair, 'multi_label_head': multi_label_head_pair,
}


def bench_toolbox(tmp: str, rounds: int,
                  progress: Optional[Callable[[str], None]] = None) -> dict:
    """Every pair of :data:`PAIRS`, per core; a pair whose reference library is missing is
    reported as skipped with the import error."""
    import cv2
    threads, cv2_threads = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    out = {}
    try:
        for name, make in PAIRS.items():
            try:
                args = (osp.join(tmp, name), ) if name == 'fashion_mnist_getitem' else ()
                ours, reference, work = make(*args)
            except ImportError as exc:
                out[name] = dict(skipped=f'{type(exc).__name__}: {exc}')
                continue
            times = interleave(dict(ours=ours, reference=reference), rounds,
                               torch.device('cpu'), progress=progress, label=f'toolbox/{name}')
            rows = {k: stats(v, work, 'items/s') for k, v in times.items()}
            out[name] = dict(rows, ours_over_reference=round(
                rows['ours']['cpu_median'] / rows['reference']['cpu_median'], 3))
    finally:
        torch.set_num_threads(threads)
        cv2.setNumThreads(cv2_threads)
    return out
