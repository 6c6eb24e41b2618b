"""The most confident right and wrong test predictions as pictures (``analyze_results.py``).

From the records of a ``tools/test.py --out`` file: the predicted class of an image is the
argmax of its ``pred_score`` and its confidence that score; the ``topk`` images predicted
right with the highest confidence go to ``<out_dir>/success/``, the ``topk`` predicted wrong
with the highest confidence to ``<out_dir>/fail/``, each drawn by :class:`ClsVisualizer`
(ground truth, top predictions and scores in a band above the image, green / red).
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch

from mmcls_convnext.evaluation.metrics.utils import gt_label_of
from mmcls_convnext.structures import DataSample

from .cls_visualizer import ClsVisualizer

FOLDERS = ('success', 'fail')


@dataclass(frozen=True)
class Ranked:
    """One prediction: its index in the records, predicted and true class, confidence."""
    index: int
    pred: int
    gt: int
    score: float


def rank_predictions(records: Sequence[dict]) -> Dict[str, List[Ranked]]:
    """``{'success': [...], 'fail': [...]}``: every right / wrong prediction, most confident
    first (ties keep file order).

    Raises:
        ValueError: a record without ``pred_score`` (the confidence is needed).
        KeyError: a record without ground truth (``gt_label`` / ``gt_score``).
    """
    ranked: Dict[str, List[Ranked]] = {name: [] for name in FOLDERS}
    for index, record in enumerate(records):
        if record.get('pred_score') is None:
            raise ValueError(f'Prediction {index} has no pred_score (keys {sorted(record)}): '
                             'the images are ranked by confidence; write the results with '
                             'tools/test.py CONFIG CHECKPOINT --out FILE.pkl.')
        score = torch.as_tensor(record['pred_score']).float().reshape(-1)
        pred, gt = int(score.argmax()), gt_label_of(record)
        folder = 'success' if pred == gt else 'fail'
        ranked[folder].append(Ranked(index, pred, gt, float(score[pred])))
    for name in FOLDERS:
        ranked[name] = sorted(ranked[name], key=lambda r: -r.score)
    return ranked


def _file_name(rank: int, width: int, image_path: Optional[str], index: int) -> str:
    stem = osp.splitext(osp.basename(image_path))[0] if image_path else f'sample{index}'
    return f'{rank:0{width}d}_{stem}.png'


def save_gallery(records: Sequence[dict], ranked: Dict[str, List[Ranked]], out_dir: str,
                 topk: int, load_image: Callable[[dict], Tuple[np.ndarray, Optional[str]]],
                 classes: Optional[Sequence[str]] = None,
                 rescale_factor: Optional[float] = None) -> Dict[str, List[str]]:
    """Draw each ranked prediction into ``<out_dir>/<success|fail>/<rank>_<image name>.png``.

    Args:
        records: the prediction records (:func:`~mmcls_convnext.evaluation.read_results`).
        ranked: :func:`rank_predictions` of them.
        out_dir: output root; ``success/`` and ``fail/`` are created (even when empty).
        topk: how many of each list to draw (the first ones).
        load_image: record -> ``(RGB (H, W, 3) uint8 image, its path or None)``, or None for
            an image to skip (one that cannot be decoded; the next ranked one takes its place).
        classes: class names for the captions.
        rescale_factor: scale the image by this factor (``mmcv.imrescale``) and draw it at
            that size; None enlarges small images to a 224 px short edge instead.

    Returns:
        ``{'success': [written paths], 'fail': [...]}``, most confident first.
    """
    if not isinstance(topk, int) or topk < 1:
        raise ValueError(f'--topk must be a positive int; got {topk!r}.')
    if rescale_factor is not None and not rescale_factor > 0:
        raise ValueError(f'--rescale-factor must be > 0; got {rescale_factor!r}.')
    visualizer = ClsVisualizer(name=f'results_gallery_{id(records)}')
    written: Dict[str, List[str]] = {}
    for folder in FOLDERS:
        os.makedirs(osp.join(out_dir, folder), exist_ok=True)
        written[folder] = []
        chosen = ranked[folder]
        width = len(str(min(topk, len(chosen))))
        rank = 0
        for item in chosen:
            if rank == topk:
                break
            record = records[item.index]
            loaded = load_image(record)
            if loaded is None:  # an image that cannot be decoded: the loader warned, skip it
                continue
            image, path = loaded
            rank += 1
            if rescale_factor is not None:
                image = mmcv.imrescale(image, rescale_factor)
            sample = DataSample().set_gt_label(item.gt).set_pred_score(
                torch.as_tensor(record['pred_score']).float().reshape(-1))
            out_file = osp.join(out_dir, folder, _file_name(rank, width, path, item.index))
            visualizer.add_datasample(osp.basename(out_file), image, sample, classes=classes,
                                      min_size=1 if rescale_factor else 224,
                                      out_file=out_file)
            written[folder].append(out_file)
    return written


__all__ = ['FOLDERS', 'Ranked', 'rank_predictions', 'save_gallery']
