"""The ``data`` section of ``tools/analysis_tools/benchmark.py``: the ImageNet train pipeline.

Our train pipeline, as ``configs/_base_/datasets/imagenet_convnext_224.py`` configures it
(decode -> RandomResizedCrop bicubic -> flip -> RandAugment m9-mstd0.5 increasing ->
RandomErasing 0.25 -> pack, uint8 out), against timm's ``create_transform`` with the same recipe
(PIL decode + ``rand-m9-mstd0.5-inc1`` + ``re_prob=0.25, re_mode='pixel'``, normalised float
out), on the same JPEG files, one image at a time in this process: images per second of one
core. The decode-only rows (our OpenCV decode, timm's PIL decode) say how close each pipeline
is to the cost of reading the pixels at all.
"""
import os.path as osp
from typing import Callable, Dict, List, Optional

import numpy as np
import torch

from .benchmarking import interleave, stats

RECIPE = dict(input_size=224, is_training=True, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3),
              hflip=0.5, interpolation='bicubic', auto_augment='rand-m9-mstd0.5-inc1',
              re_prob=0.25, re_mode='pixel', re_count=1)


def write_photos(folder: str, photo_path: str, count: int, size=(500, 375),
                 quality: int = 90) -> List[str]:
    """``count`` ImageNet-sized JPEGs (``size`` = (w, h)) cut from one real photo.

    Each is a random crop (60-100 % of each side) of the photo, randomly mirrored and with its
    brightness scaled by 0.8-1.2, resized to ``size``, so the files differ as photos do.
    """
    import cv2
    photo = cv2.imread(photo_path)
    if photo is None:
        raise FileNotFoundError(f'{photo_path} is missing or not an image: the data benchmark '
                                'cuts its JPEGs from it.')
    rng = np.random.default_rng(0)
    h, w = photo.shape[:2]
    files = []
    for i in range(count):
        ch, cw = int(h * rng.uniform(0.6, 1)), int(w * rng.uniform(0.6, 1))
        y0, x0 = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        img = cv2.resize(photo[y0:y0 + ch, x0:x0 + cw], size, interpolation=cv2.INTER_AREA)
        if rng.random() < 0.5:
            img = img[:, ::-1]
        img = np.clip(img * rng.uniform(0.8, 1.2), 0, 255).astype(np.uint8)
        path = osp.join(folder, f'photo{i:04d}.JPEG')
        cv2.imwrite(path, img, [cv2.IMWRITE_JPEG_QUALITY, quality])
        files.append(path)
    return files


def our_pipeline(config_path: str) -> Callable[[dict], dict]:
    """``train_pipeline`` of the dataset config, built in our registry."""
    from mmcv.transforms import Compose
    from mmengine.config import Config

    from mmcls_convnext.registry import TRANSFORMS
    cfg = Config.fromfile(config_path)
    return Compose([TRANSFORMS.build(dict(step)) for step in cfg.train_pipeline])


def timm_pipeline() -> Callable:
    try:
        from timm.data import create_transform
    except ImportError as exc:
        raise SystemExit('The data benchmark compares against timm, which is not installed: '
                         'pip install -r requirements/tests.txt (timm==1.0.31).') from exc
    return create_transform(**RECIPE)


def _cases(files: List[str], ours: Callable, timm_tf: Callable) -> Dict[str, Callable[[], None]]:
    import mmcv
    from mmengine import fileio
    from PIL import Image

    def run_ours() -> None:
        for i, path in enumerate(files):
            ours(dict(img_path=path, gt_label=i % 10, sample_idx=i))

    def run_timm() -> None:
        for path in files:
            with open(path, 'rb') as f:  # timm's ImageDataset loader: PIL, RGB
                img = Image.open(f).convert('RGB')
            timm_tf(img)

    def decode_ours() -> None:  # what LoadImageFromFile does: read bytes, OpenCV decode
        for path in files:
            mmcv.imfrombytes(fileio.get(path), backend='cv2')

    def decode_timm() -> None:
        for path in files:
            with open(path, 'rb') as f:
                Image.open(f).convert('RGB')
    return dict(ours=run_ours, timm=run_timm, decode_ours_cv2=decode_ours,
                decode_timm_pil=decode_timm)


def normalize_cost_case(batch: int = 32) -> Callable[[], None]:
    """Our preprocessor's share of the work: uint8 batch -> RGB float, normalised."""
    from mmcls_convnext.models.data_preprocessor import ClsDataPreprocessor
    pre = ClsDataPreprocessor(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                              to_rgb=True)
    x = torch.randint(0, 256, (batch, 3, 224, 224), dtype=torch.uint8)

    def run() -> None:
        pre(dict(inputs=x, data_samples=None))
    return run


def bench_data(config_path: str, photo_path: str, tmp: str, count: int, rounds: int,
               progress: Optional[Callable[[str], None]] = None) -> dict:
    """img/s per core of ours vs timm (and of decoding alone), interleaved over ``rounds``."""
    import cv2
    threads = torch.get_num_threads()
    cv2_threads = cv2.getNumThreads()
    torch.set_num_threads(1)  # per core: every contestant single-threaded
    cv2.setNumThreads(1)
    try:
        files = write_photos(tmp, photo_path, count)
        cases = _cases(files, our_pipeline(config_path), timm_pipeline())
        norm_batch = 32
        cases['normalize_ours'] = normalize_cost_case(norm_batch)
        if progress:
            progress(f'data: {count} JPEGs 500x375, {rounds} rounds of {list(cases)}')
        times = interleave(cases, rounds, torch.device('cpu'))
    finally:
        torch.set_num_threads(threads)
        cv2.setNumThreads(cv2_threads)
    rows = {name: stats(samples, norm_batch if name == 'normalize_ours' else count, 'img/s')
            for name, samples in times.items()}
    ours, timm_row = rows['ours'], rows['timm']
    per_img_norm = 1 / rows['normalize_ours']['cpu_median']
    ours_with_norm = 1 / (1 / ours['cpu_median'] + per_img_norm)
    return dict(
        files=count, image_size=[500, 375], jpeg_quality=90, threads=1, recipe=RECIPE,
        images_per_s=rows,
        ours_over_timm=round(ours['median'] / timm_row['median'], 3),
        cpu_ours_over_timm=round(ours['cpu_median'] / timm_row['cpu_median'], 3),
        # ours leaves normalisation to the batched preprocessor; timm normalises per image
        cpu_ours_with_normalize_over_timm=round(ours_with_norm / timm_row['cpu_median'], 3),
        ours_over_decode=round(ours['cpu_median'] / rows['decode_ours_cv2']['cpu_median'], 3),
        timm_over_decode=round(timm_row['cpu_median'] / rows['decode_timm_pil']['cpu_median'],
                               3))
