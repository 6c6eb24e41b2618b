"""The ImageNet train pipeline against timm's, per core, on JPEG photo sets (and decoding alone).

Contestants, one image at a time in this process, single-threaded (torch, OpenCV), run
round-robin over ``rounds`` (medians; see :func:`.benchmarking.interleave`):

- ``ours``: ``train_pipeline`` of ``configs/_base_/datasets/imagenet_convnext_224.py`` as shipped
  (lazy JPEG decoding, the image kept as PIL through crop, flip and RandAugment, uint8 out);
- ``ours_eager``: the same with ``LoadImageFromFile()`` (decode everything first, BGR arrays);
- ``timm``: ``timm.data.create_transform(224, is_training=True,
  auto_augment='rand-m9-mstd0.5-inc1', interpolation='bicubic', re_prob=0.25, re_mode='pixel')``
  on ``Image.open(f).convert('RGB')``, as timm's dataset reads files (normalised float out);
- ``decode_full``: PIL decode of the whole file (what timm decodes);
- ``decode_ours``: only the decoding our pipeline does: the crop box drawn, then the JPEG
  decoded at the scale RandomResizedCrop picks (the floor below which ``ours`` cannot go);
- ``normalize``: our data preprocessor on a uint8 batch of 32 (per image), the share of work
  ours leaves to the batch; ``ours_with_normalize_over_timm`` adds it back.

Figures are ratios of process CPU time medians (the machine may be shared: CPU time leaves out
waiting for a core); wall-time ratios are given too. Run
``python -m mmcls_convnext.engine.analysis.pipeline_bench --help``.
"""
import argparse
import copy
import json
import os
import os.path as osp
import platform
import tempfile
from contextlib import contextmanager
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .benchmarking import interleave, stats

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CONFIG = osp.join(REPO, 'configs', '_base_', 'datasets', 'imagenet_convnext_224.py')
PHOTO = osp.join(REPO, 'demo', 'demo.JPEG')
TIMM_RECIPE = dict(input_size=224, is_training=True, auto_augment='rand-m9-mstd0.5-inc1',
                   interpolation='bicubic', re_prob=0.25, re_mode='pixel')
NORM_BATCH = 32


def write_photo_set(folder: str, size: Tuple[int, int], count: int, photo: str = PHOTO,
                    quality: int = 90) -> List[str]:
    """``count`` JPEGs of ``size=(w, h)``: half crops of a real photo, half generated scenes.

    Crops: 60-100 % of each side of ``photo``, mirrored at random, brightness x0.8-1.2, resized
    (area or bicubic) to ``size``. Generated: smooth colour fields, hard-edged shapes and
    fine texture (JPEG cost depends on detail, so a set of flat images would flatter decoding).
    """
    import cv2
    src = cv2.imread(photo)
    if src is None:
        raise FileNotFoundError(f'{photo} is missing or not an image: the pipeline benchmark '
                                'cuts its JPEGs from it.')
    rng = np.random.default_rng(0)
    files = []
    for i in range(count):
        img = _crop_of(src, size, rng) if i % 2 == 0 else _generated(size, rng)
        path = osp.join(folder, f'{size[0]}x{size[1]}_{i:04d}.JPEG')
        cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        files.append(path)
    return files


def _crop_of(src: np.ndarray, size, rng) -> np.ndarray:
    import cv2
    h, w = src.shape[:2]
    ch, cw = int(h * rng.uniform(0.6, 1)), int(w * rng.uniform(0.6, 1))
    y0, x0 = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
    crop = src[y0:y0 + ch, x0:x0 + cw]
    grow = size[0] > cw or size[1] > ch
    img = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC if grow else cv2.INTER_AREA)
    if rng.random() < 0.5:
        img = img[:, ::-1]
    return np.clip(img * rng.uniform(0.8, 1.2), 0, 255).astype(np.uint8)


def _generated(size, rng) -> np.ndarray:
    import cv2
    w, h = size
    img = cv2.resize(rng.uniform(0, 255, (4, 6, 3)).astype(np.float32), size,
                     interpolation=cv2.INTER_CUBIC)
    for _ in range(12):  # shapes with hard edges
        color = tuple(float(c) for c in rng.uniform(0, 255, 3))
        center = (int(rng.integers(0, w)), int(rng.integers(0, h)))
        if rng.random() < 0.5:
            cv2.circle(img, center, int(rng.integers(5, min(w, h) // 3)), color, -1)
        else:
            corner = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            cv2.rectangle(img, center, corner, color, -1)
    texture = cv2.GaussianBlur(rng.normal(0, 18, (h, w, 3)).astype(np.float32), (0, 0), 0.8)
    return np.clip(img + texture, 0, 255).astype(np.uint8)


@contextmanager
def timm_posterize_zero_bits():
    """timm asks PIL to keep 0 bits at level 10 (2 % of draws at m9 std 0.5), which Pillow >= 11
    refuses; give timm the all-black image older Pillow returned (ours returns it too)."""
    import timm.data.auto_augment as timm_aa
    from PIL import Image
    original = dict(timm_aa.NAME_TO_OP)

    def posterize(img, bits_to_keep, **kwargs):
        if bits_to_keep <= 0:
            return Image.new(img.mode, img.size)
        return original['PosterizeIncreasing'](img, bits_to_keep, **kwargs)
    for name in ('PosterizeIncreasing', 'PosterizeOriginal', 'Posterize'):
        timm_aa.NAME_TO_OP[name] = posterize
    try:
        yield
    finally:
        timm_aa.NAME_TO_OP.update(original)


def build_cases(files: Sequence[str], config: str = CONFIG) -> Dict[str, Callable[[], None]]:
    """The contestants (see the module docstring), each running over all ``files``."""
    from mmcv.transforms import Compose
    from mmengine.config import Config
    from PIL import Image
    from timm.data import create_transform

    from mmcls_convnext.datasets.transforms import LoadImageFromFile, RandomResizedCrop
    from mmcls_convnext.models.data_preprocessor import ClsDataPreprocessor
    from mmcls_convnext.registry import TRANSFORMS
    steps = Config.fromfile(config).train_pipeline
    if steps[0].get('type') != 'LoadImageFromFile' or steps[1].get('type') != \
            'RandomResizedCrop':
        raise ValueError(f'{config}: train_pipeline must start with LoadImageFromFile, '
                         f'RandomResizedCrop; got {[s.get("type") for s in steps[:2]]}.')
    ours = Compose([TRANSFORMS.build(copy.deepcopy(dict(s))) for s in steps])
    eager = Compose([TRANSFORMS.build(dict(type='LoadImageFromFile'))]
                    + [TRANSFORMS.build(copy.deepcopy(dict(s))) for s in steps[1:]])
    timm_tf = create_transform(**TIMM_RECIPE)
    load = LoadImageFromFile(lazy_decode=True)
    crop = TRANSFORMS.build(copy.deepcopy(dict(steps[1])))
    assert isinstance(crop, RandomResizedCrop)
    pre = ClsDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                              to_rgb=True)
    batch = torch.randint(0, 256, (NORM_BATCH, 3, 224, 224), dtype=torch.uint8)

    def run(pipeline):
        def fn() -> None:
            for i, path in enumerate(files):
                pipeline(dict(img_path=path, gt_label=i % 10, sample_idx=i))
        return fn

    def run_timm() -> None:
        for path in files:
            with open(path, 'rb') as f:
                timm_tf(Image.open(f).convert('RGB'))

    def decode_full() -> None:
        for path in files:
            with open(path, 'rb') as f:
                Image.open(f).convert('RGB')

    def decode_ours() -> None:
        for path in files:
            img = load(dict(img_path=path))['img']
            top, left, h, w = crop.get_params(img.height, img.width)
            img.decode((left, top, left + w, top + h), crop.scale[::-1])

    return dict(ours=run(ours), ours_eager=run(eager), timm=run_timm, decode_full=decode_full,
                decode_ours=decode_ours, normalize=lambda: pre(dict(inputs=batch)))


def bench_photo_set(files: Sequence[str], rounds: int, config: str = CONFIG) -> dict:
    """Rows (img/s, wall and CPU medians) and ratios for one photo set."""
    import cv2
    threads, cv2_threads = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    try:
        with timm_posterize_zero_bits():
            times = interleave(build_cases(files, config), rounds, torch.device('cpu'))
    finally:
        torch.set_num_threads(threads)
        cv2.setNumThreads(cv2_threads)
    rows = {name: stats(t, NORM_BATCH if name == 'normalize' else len(files), 'img/s')
            for name, t in times.items()}

    def cpu(name: str) -> float:
        return rows[name]['cpu_median']
    with_norm = 1 / (1 / cpu('ours') + 1 / cpu('normalize'))
    return dict(
        files=len(files), rows=rows,
        ours_over_timm=round(cpu('ours') / cpu('timm'), 3),
        ours_over_timm_wall=round(rows['ours']['median'] / rows['timm']['median'], 3),
        ours_with_normalize_over_timm=round(with_norm / cpu('timm'), 3),
        ours_eager_over_timm=round(cpu('ours_eager') / cpu('timm'), 3),
        ours_over_decode_ours=round(cpu('ours') / cpu('decode_ours'), 3),
        timm_over_decode_full=round(cpu('timm') / cpu('decode_full'), 3))


def machine() -> dict:
    """CPU model, SIMD flags, core count and load average (the context of every figure)."""
    flags, model = set(), platform.processor()
    if osp.exists('/proc/cpuinfo'):
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    model = line.split(':', 1)[1].strip()
                elif line.startswith('flags'):
                    flags = set(line.split(':', 1)[1].split())
    simd = sorted(f for f in flags if f.startswith('avx512') or f in ('avx2', 'fma', 'amx_bf16'))
    return dict(cpu=model, simd=simd, cores=os.cpu_count(),
                loadavg=[round(v, 2) for v in os.getloadavg()])


def bench_pipeline(sizes: Sequence[Tuple[int, int]] = ((500, 375),), count: int = 48,
                   rounds: int = 7, config: str = CONFIG,
                   progress: Optional[Callable[[str], None]] = None) -> dict:
    """:func:`bench_photo_set` on a generated set of ``count`` JPEGs per size ``(w, h)``."""
    out = dict(machine_before=machine(), timm_recipe=TIMM_RECIPE, sets={})
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            files = write_photo_set(tmp, tuple(size), count)
            if progress:
                progress(f'pipeline: {count} JPEGs {size[0]}x{size[1]}, {rounds} rounds')
            out['sets'][f'{size[0]}x{size[1]}'] = bench_photo_set(files, rounds, config)
    out['machine_after'] = machine()
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    p = argparse.ArgumentParser(description='ImageNet train pipeline vs timm, per core.')
    p.add_argument('--sizes', default='500x375,1000x750',
                   help='photo sets, comma-separated WxH (default: %(default)s)')
    p.add_argument('--files', type=int, default=48, help='JPEGs per set (default: 48)')
    p.add_argument('--rounds', type=int, default=7, help='interleaved rounds (default: 7)')
    p.add_argument('--json', help='also write the results to this file')
    args = p.parse_args(argv)
    sizes = [tuple(int(v) for v in s.split('x')) for s in args.sizes.split(',')]
    result = bench_pipeline(sizes, args.files, args.rounds, progress=print)
    for name, res in result['sets'].items():
        rows = ', '.join(f"{k} {r['cpu_median']:.0f}" for k, r in res['rows'].items())
        print(f'{name}: img/s (CPU time) {rows}')
        print(f"{name}: ours {res['ours_over_timm']}x timm ({res['ours_over_timm_wall']}x by "
              f"wall time, {res['ours_with_normalize_over_timm']}x with our normalisation), "
              f"at {res['ours_over_decode_ours']} of our decode-only rate")
    print(f"load average {result['machine_before']['loadavg']} -> "
          f"{result['machine_after']['loadavg']} on {result['machine_before']['cores']} cores")
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == '__main__':
    main()
