"""Write what a config's data pipeline produces to image files, to check augmentations by eye.

Usage::

    python tools/visualization/browse_dataset.py CONFIG [--output-dir DIR] [--phase train]
        [--show-number 10] [--mode transformed] [--cfg-options k=v ...]

Modes: ``original`` (the decoded image), ``transformed`` (the packed network input), and
``pipeline`` (every step of the pipeline side by side, labelled). Files are named
``<index>_<image name>.png`` in ``--output-dir`` (default ``work_dirs/browse_dataset``).
"""
import argparse
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
from mmengine.config import DictAction

from mmcls_convnext.config import load_config
from mmcls_convnext.datasets.transforms.lazy_image import as_array
from mmcls_convnext.registry import DATASETS
from mmcls_convnext.utils import register_all_modules

PHASES = {'train': 'train_dataloader', 'val': 'val_dataloader', 'test': 'test_dataloader'}
MODES = ('original', 'transformed', 'pipeline')


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Browse a dataset through its pipeline')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--output-dir', default='work_dirs/browse_dataset',
                        help='folder for the image files')
    parser.add_argument('--phase', default='train', choices=list(PHASES),
                        help='which dataloader of the config to browse')
    parser.add_argument('--show-number', type=int, default=10,
                        help='how many samples to write')
    parser.add_argument('--mode', default='transformed', choices=MODES,
                        help='original image, packed input, or every pipeline step')
    parser.add_argument('--rescale-factor', type=float, default=None,
                        help='scale each written image by this factor (small images)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    return parser.parse_args(argv)


def to_hwc(img) -> np.ndarray:
    """An image from a pipeline (HWC array, PIL / encoded image, CHW tensor) as HWC uint8 BGR."""
    if isinstance(img, torch.Tensor):
        img = img.detach().cpu().numpy().transpose(1, 2, 0)
    img = np.asarray(as_array(img))  # PIL (RGB) and not yet decoded images: BGR arrays
    if img.ndim == 2:
        img = img[..., None]
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    return np.ascontiguousarray(np.clip(img, 0, 255).astype(np.uint8))


def labelled(img: np.ndarray, text: str, height: int) -> np.ndarray:
    """Scale ``img`` to ``height`` and put a caption strip above it."""
    scale = height / img.shape[0]
    img = cv2.resize(img, (max(1, round(img.shape[1] * scale)), height),
                     interpolation=cv2.INTER_NEAREST)
    strip = np.full((18, max(img.shape[1], 8 * len(text)), 3), 255, np.uint8)
    cv2.putText(strip, text, (2, 13), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1, cv2.LINE_AA)
    body = np.full((height, strip.shape[1], 3), 255, np.uint8)
    body[:, :img.shape[1]] = img
    return np.concatenate([strip, body], axis=0)


def run_pipeline(dataset, idx: int) -> Tuple[List[Tuple[str, np.ndarray]], dict]:
    """Apply the pipeline step by step; returns (step name, image) pairs and the raw info."""
    info = dataset.get_data_info(idx)
    results = dict(info)
    steps = []
    for transform in dataset.pipeline.transforms:
        results = transform(results)
        if results is None:
            break
        img = results.get('img', results.get('inputs'))
        if img is not None:
            steps.append((type(transform).__name__, to_hwc(img)))
    return steps, info


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.show_number < 1:
        print(f'error: --show-number must be >= 1; got {args.show_number}.', file=sys.stderr)
        return 1
    cfg = load_config(args.config, args.cfg_options or {})  # MMPretrain/MMCls names translated
    register_all_modules()
    loader_key = PHASES[args.phase]
    if cfg.get(loader_key) is None:
        print(f'error: {args.config} has no {loader_key}; choose another --phase.',
              file=sys.stderr)
        return 1
    dataset = DATASETS.build(cfg[loader_key]['dataset'])
    classes = dataset.metainfo.get('classes')
    os.makedirs(args.output_dir, exist_ok=True)
    count = min(args.show_number, len(dataset))
    for idx in range(count):
        steps, info = run_pipeline(dataset, idx)
        if not steps:
            continue
        label = info.get('gt_label')
        name = classes[label] if classes is not None and label is not None else label
        if args.mode == 'original':
            image = steps[0][1]
        elif args.mode == 'transformed':
            image = steps[-1][1]
        else:
            height = max(img.shape[0] for _, img in steps)
            image = np.concatenate([labelled(img, step, height) for step, img in steps], axis=1)
        if args.rescale_factor:
            image = cv2.resize(image, None, fx=args.rescale_factor, fy=args.rescale_factor,
                               interpolation=cv2.INTER_NEAREST)
        stem = osp.splitext(osp.basename(info['img_path']))[0]
        out = osp.join(args.output_dir, f'{idx:04d}_{stem}.png')
        cv2.imencode('.png', image)[1].tofile(out)  # also for non-ASCII paths
        print(f'{out}  label={name}')
    print(f'Wrote {count} images ({args.mode}, {args.phase}) to {args.output_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
