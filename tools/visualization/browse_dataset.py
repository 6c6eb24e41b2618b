"""Write what a config's data pipeline produces to image files, to check augmentations by eye.

Usage::

    python tools/visualization/browse_dataset.py CONFIG [-o DIR] [-p train] [-n 10]
        [-m transformed] [-r FACTOR] [-c BGR] [--not-show] [--cfg-options k=v ...]

MMPretrain's options with their meaning: ``-o/--output-dir``, ``-p/--phase``,
``-n/--show-number``, ``-m/--mode`` (``original`` the decoded image, ``transformed`` the packed
network input, ``concat`` both side by side, ``pipeline`` every step side by side, labelled),
``-r/--rescale-factor``, ``-c/--channel-order`` (BGR, or RGB for a pipeline that outputs RGB),
``--not-show`` and ``-i/--show-interval``. Files are named ``<index>_<image name>.png`` in
``--output-dir`` (default ``work_dirs/browse_dataset``).

Differences on purpose: the pictures are written, never shown in a window (so ``--not-show`` and
``--show-interval`` change nothing; the tool says so); ``--show-number`` defaults to 10; the
samples are taken across the classes in turn (class 0, 1, 2, ..., then the second image of each
class), not the first N files (usually all of one class); each picture carries its label
(``<class index> <class name>``) in a band above it; and an image smaller than 224 px is
enlarged by a whole factor with nearest-neighbour sampling (sharp pixels, as ``--show-dir``
draws them) unless ``--rescale-factor`` is given.
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
MODES = ('original', 'transformed', 'concat', 'pipeline')
MIN_SIDE = 224  # small images are enlarged (nearest, whole factor) to at least this


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Browse a dataset through its pipeline')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--output-dir', '-o', default='work_dirs/browse_dataset',
                        help='folder for the image files')
    parser.add_argument('--not-show', action='store_true',
                        help='accepted for MMPretrain command lines: pictures are only written')
    parser.add_argument('--phase', '-p', default='train', choices=list(PHASES),
                        help='which dataloader of the config to browse')
    parser.add_argument('--show-number', '-n', type=int, default=10,
                        help='how many samples to write, taken across the classes (10)')
    parser.add_argument('--show-interval', '-i', type=float, default=2,
                        help='accepted for MMPretrain command lines (no window is shown)')
    parser.add_argument('--mode', '-m', default='transformed', choices=MODES,
                        help='original image, packed input, both (concat), or every step')
    parser.add_argument('--rescale-factor', '-r', type=float, default=None,
                        help='scale each written image by this factor (default: images under '
                        f'{MIN_SIDE} px are enlarged by a whole factor, nearest neighbour)')
    parser.add_argument('--channel-order', '-c', default='BGR', choices=('BGR', 'RGB'),
                        help='channel order of the pipeline\'s images (BGR)')
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


def enlarge(img: np.ndarray, factor: Optional[float]) -> np.ndarray:
    """``img`` scaled by ``factor``, or (None) enlarged by a whole factor to ``MIN_SIDE``;
    nearest-neighbour sampling, so the pixels stay sharp."""
    if factor is None:
        factor = max(1, -(-MIN_SIDE // max(1, min(img.shape[:2]))))
        if factor == 1:
            return img
    return cv2.resize(img, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)


def with_label(img: np.ndarray, text: str) -> np.ndarray:
    """A white band with ``text`` above ``img``."""
    scale = 0.5 if img.shape[1] >= 160 else 0.35
    (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    band = np.full((height + 10, max(img.shape[1], width + 6), 3), 255, np.uint8)
    cv2.putText(band, text, (3, height + 4), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1,
                cv2.LINE_AA)
    body = np.full((img.shape[0], band.shape[1], 3), 255, np.uint8)
    body[:, :img.shape[1]] = img
    return np.concatenate([band, body], axis=0)


def across_classes(labels: Sequence[Optional[int]], count: int) -> List[int]:
    """``count`` indices taken from each class in turn (first image of class 0, 1, ..., then
    the second of each), in dataset order within a class; unlabelled samples come last."""
    groups = {}
    for index, label in enumerate(labels):
        groups.setdefault(-1 if label is None else int(label), []).append(index)
    order = [groups[k] for k in sorted(groups) if k >= 0] + ([groups[-1]] if -1 in groups else [])
    chosen: List[int] = []
    depth = 0
    while len(chosen) < count and any(depth < len(g) for g in order):
        chosen += [g[depth] for g in order if depth < len(g)][:count - len(chosen)]
        depth += 1
    return chosen


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
    if args.not_show or args.show_interval != 2:
        print('note: this tool writes the pictures and never opens a window '
              '(--not-show / --show-interval change nothing).')
    os.makedirs(args.output_dir, exist_ok=True)
    labels = [dataset.get_data_info(i).get('gt_label') for i in range(len(dataset))]
    chosen = across_classes(labels, min(args.show_number, len(dataset)))
    written = 0
    for idx in chosen:
        steps, info = run_pipeline(dataset, idx)
        if not steps:
            continue
        if args.channel_order == 'RGB':
            steps = [(name, img[..., ::-1]) for name, img in steps]
        label = info.get('gt_label')
        name = classes[label] if classes is not None and label is not None else label
        if args.mode == 'original':
            image = enlarge(steps[0][1], args.rescale_factor)
        elif args.mode == 'transformed':
            image = enlarge(steps[-1][1], args.rescale_factor)
        else:
            shown = [steps[0], steps[-1]] if args.mode == 'concat' else steps
            if args.mode == 'concat':
                shown = [('original', shown[0][1]), ('transformed', shown[1][1])]
            shown = [(step, enlarge(img, args.rescale_factor)) for step, img in shown]
            height = max(img.shape[0] for _, img in shown)
            image = np.concatenate([labelled(img, step, height) for step, img in shown], axis=1)
        caption = 'no label' if label is None else f'{int(label)} {name}'
        image = with_label(image, caption)
        stem = osp.splitext(osp.basename(info['img_path']))[0]
        out = osp.join(args.output_dir, f'{idx:04d}_{stem}.png')
        cv2.imencode('.png', image)[1].tofile(out)  # also for non-ASCII paths
        written += 1
        print(f'{out}  label={name}')
    print(f'Wrote {written} images ({args.mode}, {args.phase}, across '
          f'{len({labels[i] for i in chosen})} classes) to {args.output_dir}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
