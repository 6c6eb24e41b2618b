"""``ClsVisualizer``: draw an image with its top-k predicted classes (and ground truth)."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
from mmengine.dist import master_only
from mmengine.visualization import BaseVisBackend, Visualizer

from mmcls_convnext.registry import VISUALIZERS
from mmcls_convnext.structures import DataSample

from .annotate import draw_label_band


def _class_name(index: int, classes: Optional[Sequence[str]]) -> str:
    if classes is not None and 0 <= index < len(classes):
        return f'{index} ({classes[index]})'
    return str(index)


def format_prediction_lines(data_sample: DataSample,
                            classes: Optional[Sequence[str]] = None,
                            topk: int = 5,
                            draw_gt: bool = True,
                            draw_pred: bool = True,
                            draw_score: bool = True) -> List[str]:
    """Text lines describing ``data_sample``: ground truth first, then the top-k predictions.

    Args:
        data_sample: a :class:`DataSample` with ``gt_label`` and/or ``pred_score``/``pred_label``.
        classes: class names indexed by label (``dataset_meta['classes']``), or None.
        topk: number of predicted classes to list (capped at the number of classes).
        draw_gt, draw_pred, draw_score: which parts to include.

    Returns:
        e.g. ``['Ground truth: 3 (cat)', 'Prediction:', '1. 3 (cat) 0.91', ...]``. A sample
        whose metainfo has ``multi_label=True`` lists every label of ``pred_label`` with its
        score instead: ``['Prediction (2 labels):', '- 14 (person) 0.93', '- 11 (dog) 0.71']``.
    """
    if topk < 1:
        raise ValueError(f'topk must be >= 1; got {topk}.')
    lines: List[str] = []
    if draw_gt and 'gt_label' in data_sample:
        labels = data_sample.gt_label.tolist()
        lines.append('Ground truth: ' + ', '.join(_class_name(i, classes) for i in labels))
    if draw_pred and data_sample.metainfo.get('multi_label') and 'pred_label' in data_sample:
        lines += _multi_label_lines(data_sample, classes, draw_score)
    elif draw_pred and 'pred_score' in data_sample:
        scores = data_sample.pred_score.detach().float().cpu()
        values, indices = scores.topk(min(topk, scores.numel()))
        lines.append('Prediction:')
        for rank, (idx, value) in enumerate(zip(indices.tolist(), values.tolist()), start=1):
            score = f' {value:.2f}' if draw_score else ''
            lines.append(f'{rank}. {_class_name(idx, classes)}{score}')
    elif draw_pred and 'pred_label' in data_sample:
        labels = data_sample.pred_label.tolist()
        lines.append('Prediction: ' + ', '.join(_class_name(i, classes) for i in labels))
    return lines


def _multi_label_lines(data_sample: DataSample, classes: Optional[Sequence[str]],
                       draw_score: bool) -> List[str]:
    """Every predicted label of a multi-label sample (metainfo ``multi_label=True``), best
    score first; the best class is named when none passed the threshold."""
    labels = data_sample.pred_label.reshape(-1).tolist()
    scores = (data_sample.pred_score.detach().float().cpu()
              if 'pred_score' in data_sample else None)
    if scores is not None:
        labels.sort(key=lambda i: -float(scores[i]))
    if not labels:
        line = 'Prediction: no class above the threshold'
        if scores is not None and scores.numel():
            best = int(scores.argmax())
            line += f' (best: {_class_name(best, classes)} {float(scores[best]):.2f})'
        return [line]
    lines = [f'Prediction ({len(labels)} label{"s" if len(labels) > 1 else ""}):']
    for idx in labels:
        score = f' {float(scores[idx]):.2f}' if draw_score and scores is not None else ''
        lines.append(f'- {_class_name(idx, classes)}{score}')
    return lines


def prediction_status(data_sample: DataSample) -> Optional[bool]:
    """True/False when the top-1 prediction does/does not match ``gt_label``; None without both."""
    if 'gt_label' not in data_sample:
        return None
    if 'pred_score' in data_sample:
        predicted = int(data_sample.pred_score.argmax())
    elif 'pred_label' in data_sample:
        predicted = int(data_sample.pred_label.reshape(-1)[0])
    else:
        return None
    return predicted in data_sample.gt_label.reshape(-1).tolist()


@VISUALIZERS.register_module()
class ClsVisualizer(Visualizer):
    """mmengine ``Visualizer`` that draws classification results.

    Small images (e.g. 32 px crops) are enlarged so that their short edge is at least
    ``min_size`` pixels (nearest-neighbour for tiny ones), and the text goes into a band above
    the image - green when the top-1 class is the ground truth, red when not, grey without
    ground truth - that is widened rather than cut when a line is long
    (:func:`~mmcls_convnext.visualization.annotate.draw_label_band`).

    Args:
        name: instance name (``ClsVisualizer.get_current_instance()`` finds it).
        image: optional initial image (RGB, HWC uint8).
        vis_backends: backend configs, e.g. ``[dict(type='LocalVisBackend')]``; add
            ``dict(type='TensorboardVisBackend')`` when ``tensorboard`` is installed.
        save_dir: root of the backends' output (``<save_dir>/vis_data``).
        fig_save_cfg, fig_show_cfg: as for mmengine's ``Visualizer``.
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[List[Union[dict, BaseVisBackend]]] = None,
                 save_dir: Optional[str] = None,
                 fig_save_cfg: Optional[dict] = None,
                 fig_show_cfg: Optional[dict] = None) -> None:
        super().__init__(
            name=name,
            image=image,
            # copy config dicts: mmengine pops 'name' from them
            vis_backends=[dict(b) if isinstance(b, dict) else b for b in vis_backends]
            if vis_backends else None,
            save_dir=save_dir,
            fig_save_cfg=fig_save_cfg or dict(frameon=False),
            fig_show_cfg=fig_show_cfg or dict(frameon=False))

    def draw_prediction(self,
                        image: np.ndarray,
                        data_sample: DataSample,
                        classes: Optional[Sequence[str]] = None,
                        topk: int = 5,
                        draw_gt: bool = True,
                        draw_pred: bool = True,
                        draw_score: bool = True,
                        min_size: int = 224,
                        font_size: Optional[int] = None) -> np.ndarray:
        """Draw ``data_sample``'s labels on ``image`` and return the drawing.

        Args:
            image: RGB image, ``(H, W, 3)`` uint8 (or ``(H, W)`` grey).
            data_sample: annotations/predictions of the image.
            classes: class names; defaults to ``self.dataset_meta['classes']`` when set.
            topk: number of predicted classes to show.
            draw_gt, draw_pred, draw_score: which parts to draw.
            min_size: enlarge the image so that its short edge is at least this many pixels.
            font_size: text size in pixels; 1/16 of the width (12-32 px) if None.

        Returns:
            The drawn RGB image, ``(band + H', W', 3)`` uint8 (``W' > W`` only when a text
            line is wider than the enlarged image).
        """
        if classes is None and self.dataset_meta:
            classes = self.dataset_meta.get('classes')
        lines = format_prediction_lines(data_sample, classes, topk, draw_gt, draw_pred,
                                        draw_score)
        drawn = draw_label_band(image, lines, status=prediction_status(data_sample),
                                min_size=min_size, font_size=font_size)
        self.set_image(drawn)
        return self.get_image()

    @master_only
    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: Optional[DataSample] = None,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       show: bool = False,
                       wait_time: float = 0,
                       step: int = 0,
                       *,
                       draw_score: bool = True,
                       topk: int = 5,
                       classes: Optional[Sequence[str]] = None,
                       min_size: int = 224,
                       out_file: Optional[str] = None) -> np.ndarray:
        """Draw a sample and send the drawing to ``out_file`` or to every vis backend.

        Args:
            name: image name in the backends (e.g. the image file's base name).
            image: RGB image ``(H, W, 3)`` uint8.
            data_sample: the sample to draw; None draws the bare image.
            draw_gt, draw_pred, draw_score, topk, classes, min_size: see
                :meth:`draw_prediction`.
            show: also open a window (needs a display).
            wait_time: seconds the window stays open.
            step: global step, used by the backends (file ``<name>_<step>.png``).
            out_file: write a PNG/JPEG here instead of sending to the backends.

        Returns:
            The drawn image.
        """
        drawn = self.draw_prediction(image, data_sample if data_sample is not None
                                     else DataSample(), classes, topk, draw_gt, draw_pred,
                                     draw_score, min_size)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
            mmcv.imwrite(drawn[..., ::-1], out_file)  # RGB -> BGR for cv2
        else:
            self.add_image(name, drawn, step)
        return drawn


def tensor_to_rgb(image: torch.Tensor, bgr: bool = True) -> np.ndarray:
    """Turn a pipeline image tensor ``(C, H, W)`` uint8 (BGR by default) into RGB HWC numpy."""
    if not isinstance(image, torch.Tensor) or image.ndim != 3:
        raise TypeError('Expected an image tensor of shape (C, H, W); got '
                        f'{type(image).__name__} {tuple(getattr(image, "shape", ()))}.')
    array = image.detach().cpu().numpy().transpose(1, 2, 0)  # (C, H, W) -> (H, W, C)
    if array.dtype != np.uint8:
        array = np.clip(array, 0, 255).astype(np.uint8)
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    elif bgr:
        array = array[..., ::-1]
    return np.ascontiguousarray(array)
