"""The ``data`` section of ``tools/analysis_tools/benchmark.py``: the ImageNet train pipeline.

Contestants, one image at a time in this process, torch and OpenCV single-threaded (per core),
run round-robin over ``rounds`` (medians; see :func:`.timing.interleave`), on the same
JPEG files:

- ``ours``: ``train_pipeline`` of ``configs/_base_/datasets/imagenet_convnext_224.py`` as
  shipped (lazy JPEG decoding, uint8 out);
- ``ours_eager``: the same with ``LoadImageFromFile()`` (OpenCV decodes every file first);
- ``timm``: ``timm.data.create_transform(**RECIPE)`` on ``Image.open(f).convert('RGB')``, as
  timm's dataset reads files (normalised float out);
- ``decode_ours``: only the decoding ours does (the crop box drawn, then the file decoded as
  RandomResizedCrop decodes it): the rate ours cannot exceed;
- ``decode_timm_pil``: PIL decode of the whole file (what timm decodes);
- ``normalize_ours``: our data preprocessor on a uint8 batch of 32, per image (ours leaves
  normalisation to the batch; ``cpu_ours_with_normalize_over_timm`` adds it back).

Every contestant's k-th call seeds Python's, numpy's and torch's generators with k, so ``ours``
and ``ours_eager`` apply the same crops and ops in a round (timm draws its own way from the
same seeds). Each set also gets a per-stage profile (:func:`stage_profile`): ms per image of
every pipeline step of ours and timm, and ms per application of every RandAugment op.
"""
import copy
import os
import os.path as osp
import random
import time
from contextlib import contextmanager
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .timing import interleave, stats

RECIPE = dict(input_size=224, is_training=True, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3),
              hflip=0.5, interpolation='bicubic', auto_augment='rand-m9-mstd0.5-inc1',
              re_prob=0.25, re_mode='pixel', re_count=1)
NORM_BATCH = 32
JPEG_QUALITY = 90


def write_photo_set(folder: str, size: Tuple[int, int], count: int, photo: str,
                    quality: int = JPEG_QUALITY) -> List[str]:
    """``count`` JPEGs of ``size=(w, h)``: half crops of a real photo, half generated scenes.

    Crops: 60-100 % of each side of ``photo``, mirrored at random, brightness x0.8-1.2, resized
    (area or bicubic) to ``size``. Generated: smooth colour fields, hard-edged shapes and fine
    texture (JPEG cost depends on detail, so a set of flat images would flatter decoding).
    """
    import cv2
    src = cv2.imread(photo)
    if src is None:
        raise FileNotFoundError(f'{photo} is missing or not an image: the data benchmark '
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


def timm_pipeline() -> Callable:
    try:
        from timm.data import create_transform
    except ImportError as exc:
        raise SystemExit('The data benchmark compares against timm, which is not installed: '
                         'pip install -r requirements/tests.txt (timm==1.0.31).') from exc
    return create_transform(**RECIPE)


def our_steps(config: str, lazy: bool = True) -> list:
    """The built ``train_pipeline`` steps of ``config`` (``lazy=False``: a plain loader)."""
    from mmcls_convnext.config import load_config
    from mmcls_convnext.registry import TRANSFORMS
    steps = [copy.deepcopy(dict(s)) for s in load_config(config).train_pipeline]
    if [s.get('type') for s in steps[:2]] != ['LoadImageFromFile', 'RandomResizedCrop']:
        raise ValueError(f'{config}: train_pipeline must start with LoadImageFromFile, '
                         f'RandomResizedCrop; got {[s.get("type") for s in steps[:2]]}.')
    if not lazy:
        steps[0] = dict(type='LoadImageFromFile')
    return [TRANSFORMS.build(s) for s in steps]


def _decode_ours(steps: list) -> Callable[[str], object]:
    """What ours decodes for one file: the header, the crop box, then the crop's decode."""
    from mmcls_convnext.datasets.transforms.lazy_image import EncodedImage
    from mmcls_convnext.datasets.transforms.torch_resize import decode_for_crop
    load, crop = steps[0], steps[1]

    def decode(path: str):
        img = load(dict(img_path=path))['img']
        if not isinstance(img, EncodedImage):
            return img  # decoded by the loader already
        top, left, h, w = crop.get_params(img.height, img.width)
        box, size = (left, top, left + w, top + h), crop.scale[::-1]
        if crop.backend == 'torch':
            return decode_for_crop(img, box, size, crop.reduced_decode)
        return img.decode(box, size if crop.reduced_decode else None)
    return decode


def build_cases(files: Sequence[str], config: str) -> Dict[str, Callable[[], None]]:
    """The contestants (see the module docstring), each running over all ``files``."""
    from mmcv.transforms import Compose
    from PIL import Image

    from mmcls_convnext.models.data_preprocessor import ClsDataPreprocessor
    steps = our_steps(config)
    ours, eager = Compose(steps), Compose(our_steps(config, lazy=False))
    timm_tf, decode = timm_pipeline(), _decode_ours(steps)
    pre = ClsDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                              to_rgb=True)
    batch = torch.randint(0, 256, (NORM_BATCH, 3, 224, 224), dtype=torch.uint8)

    def run(pipeline):
        calls = iter(range(1 << 30))

        def fn() -> None:
            _seed(next(calls))  # ours and ours_eager: the same draws in the same round
            for i, path in enumerate(files):
                pipeline(dict(img_path=path, gt_label=i % 10, sample_idx=i))
        return fn

    timm_calls = iter(range(1 << 30))

    def run_timm() -> None:
        _seed(next(timm_calls))
        for path in files:
            with open(path, 'rb') as f:
                timm_tf(Image.open(f).convert('RGB'))

    def decode_timm() -> None:
        for path in files:
            with open(path, 'rb') as f:
                Image.open(f).convert('RGB')

    return dict(ours=run(ours), ours_eager=run(eager), timm=run_timm,
                decode_ours=lambda: [decode(p) for p in files], decode_timm_pil=decode_timm,
                normalize_ours=lambda: pre(dict(inputs=batch)))


def _seed(seed: int) -> None:
    """Seed every generator the pipelines draw from (Python's, numpy's, torch's)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class _Timed:
    """Calls ``fn``, adding its CPU time to ``table[name]``. With ``image`` (how to get the
    image out of the argument and the result), only calls that changed the image count, and
    ``hits[name]`` counts them."""

    def __init__(self, fn, name: str, table: dict, hits: Optional[dict] = None,
                 image: Optional[Callable] = None) -> None:
        self.fn, self.name, self.table, self.hits, self.image = fn, name, table, hits, image

    def __call__(self, x):
        before = self.image(x) if self.image else None  # ours' ops change ``x`` in place
        start = time.process_time()
        out = self.fn(x)
        elapsed = time.process_time() - start
        if self.image is None or (out is not None and self.image(out) is not before):
            self.table[self.name] = self.table.get(self.name, 0.) + elapsed
            if self.hits is not None:
                self.hits[self.name] = self.hits.get(self.name, 0) + 1
        return out


def stage_profile(files: Sequence[str], config: str, passes: int = 2) -> dict:
    """ms per image of each step of ours and timm; ms per application of each RandAugment op.

    Ours' ``RandomResizedCrop`` includes its decode (the loader only reads the header); timm's
    ``decode`` row is its PIL decode. Ops are keyed by timm's names (the same 15 ops in the
    same order) and counted only when applied (each is skipped with probability 0.5).
    """
    from mmcv.transforms import Compose
    from PIL import Image
    from timm.data.auto_augment import RandAugment as TimmRandAugment
    steps, timm_tf = our_steps(config), timm_pipeline()
    ours_t, timm_t = {}, {}
    op_t, op_hits = {'ours': {}, 'timm': {}}, {'ours': {}, 'timm': {}}
    timm_ra = next(t for t in timm_tf.transforms if isinstance(t, TimmRandAugment))
    names = [op.name for op in timm_ra.ops]
    ours_ra = next(s for s in steps if type(s).__name__ == 'RandAugment')
    ours_ra.transforms = [_Timed(op, n, op_t['ours'], op_hits['ours'], lambda r: r['img'])
                          for op, n in zip(ours_ra.transforms, names)]
    timm_ra.ops = [_Timed(op, n, op_t['timm'], op_hits['timm'], lambda im: im)
                   for op, n in zip(timm_ra.ops, names)]
    ours = Compose([_Timed(s, type(s).__name__, ours_t) for s in steps])
    timm_tf.transforms = [_Timed(t, type(t).__name__, timm_t) for t in timm_tf.transforms]
    decode = _Timed(lambda f: Image.open(f).convert('RGB'), 'decode', timm_t)
    for _ in range(passes):
        for i, path in enumerate(files):
            ours(dict(img_path=path, gt_label=i % 10, sample_idx=i))
            with open(path, 'rb') as f:
                timm_tf(decode(f))
    n = passes * len(files)
    per_img = {}
    for who, table in (('ours', ours_t), ('timm', timm_t)):
        rows = {name: round(1e3 * t / n, 3) for name, t in table.items()}
        per_img[who] = dict(rows, total=round(sum(rows.values()), 3))
    ops = {}
    for name in names:
        row = {}
        for who in ('ours', 'timm'):
            hits = op_hits[who].get(name, 0)
            row[f'{who}_ms'] = round(1e3 * op_t[who].get(name, 0.) / max(1, hits), 3)
            row[f'{who}_applied'] = hits
        ops[name] = row
    return dict(images=n, ms_per_image=per_img, randaugment_ms_per_application=ops)


def bench_photo_set(files: Sequence[str], rounds: int, config: str,
                    progress: Optional[Callable[[str], None]] = None) -> dict:
    """Rows (img/s: wall and CPU medians), ratios and the stage profile for one photo set."""
    import cv2
    threads, cv2_threads = torch.get_num_threads(), cv2.getNumThreads()
    torch.set_num_threads(1)  # per core: every contestant single-threaded
    cv2.setNumThreads(1)
    try:
        with timm_posterize_zero_bits():
            times = interleave(build_cases(files, config), rounds, torch.device('cpu'),
                               progress=progress, label='data')
            profile = stage_profile(files, config)
    finally:
        torch.set_num_threads(threads)
        cv2.setNumThreads(cv2_threads)
    rows = {name: stats(t, NORM_BATCH if name == 'normalize_ours' else len(files), 'img/s')
            for name, t in times.items()}

    def cpu(name: str) -> float:
        return rows[name]['cpu_median']
    with_norm = 1 / (1 / cpu('ours') + 1 / cpu('normalize_ours'))
    return dict(
        files=len(files), images_per_s=rows,
        ours_over_timm=round(rows['ours']['median'] / rows['timm']['median'], 3),
        cpu_ours_over_timm=round(cpu('ours') / cpu('timm'), 3),
        # ours leaves normalisation to the batched preprocessor; timm normalises per image
        cpu_ours_with_normalize_over_timm=round(with_norm / cpu('timm'), 3),
        cpu_ours_eager_over_timm=round(cpu('ours_eager') / cpu('timm'), 3),
        ours_over_decode=round(cpu('ours') / cpu('decode_ours'), 3),
        timm_over_decode=round(cpu('timm') / cpu('decode_timm_pil'), 3),
        stages=profile)


def bench_data(config: str, photo: str, tmp: str, count: int, rounds: int,
               sizes: Sequence[Tuple[int, int]] = ((500, 375),),
               progress: Optional[Callable[[str], None]] = None) -> dict:
    """:func:`bench_photo_set` on ``count`` generated JPEGs per size ``(w, h)``."""
    out = dict(files=count, jpeg_quality=JPEG_QUALITY, threads=1, recipe=RECIPE,
               load_avg_start=[round(v, 2) for v in os.getloadavg()], sets={})
    for size in sizes:
        folder = osp.join(tmp, f'{size[0]}x{size[1]}')
        os.makedirs(folder, exist_ok=True)
        files = write_photo_set(folder, tuple(size), count, photo)
        if progress:
            progress(f'data: {count} JPEGs {size[0]}x{size[1]}, {rounds} rounds')
        out['sets'][f'{size[0]}x{size[1]}'] = bench_photo_set(files, rounds, config, progress)
    out['load_avg_end'] = [round(v, 2) for v in os.getloadavg()]
    return out
