"""``ImageClassificationInferencer`` and ``inference_model``: images in, class predictions out."""
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

import mmcv
import numpy as np
import torch
from torch import nn

from mmcls_convnext.registry import INFERENCERS
from mmcls_convnext.structures import DataSample

from .base_inferencer import BaseInferencer, ModelArg, split_batches
from .pipeline import InputsType, collect_inputs


@INFERENCERS.register_module()
class ImageClassificationInferencer(BaseInferencer):
    """Classify images with a ConvNeXt classifier, using the eval preprocessing of its config.

    Args:
        model: a built model (from :func:`get_model`), a zoo name, a config path or a Config
            (MMPretrain / MMClassification 1.x configs are translated).
        pretrained: for a name/config: True (zoo weights; for a config its ``load_from``, else
            random weights with a warning), False, or a checkpoint path/URL; for a built model,
            a path/URL is loaded into it (strict) and True/False change nothing.
        device: e.g. ``'cpu'``, ``'cuda:0'``; default CUDA when available.
        classes: class names overriding the model's ``dataset_meta``.
        **kwargs: model-config overrides passed to :func:`get_model`.

    Attributes:
        config / cfg: the Config the model was built from (None for a hand-built model).
        visualizer: the :class:`UniversalVisualizer` (a ``ClsVisualizer``) that draws
            ``show``/``show_dir`` pictures; None until the first call that draws.

    Example:
        >>> inferencer = ImageClassificationInferencer('convnext-tiny_32xb128_in1k')
        >>> inferencer('demo/demo.JPEG')[0]['pred_class']
    """

    def __init__(self, model: ModelArg, pretrained: Union[bool, str] = True,
                 device: Optional[str] = None, classes: Optional[Sequence[str]] = None,
                 **kwargs) -> None:
        super().__init__(model, pretrained, device, **kwargs)
        if getattr(self.model, 'head', None) is None:
            raise ValueError('This model has no classification head (e.g. an FCMAE backbone); '
                             'use FeatureExtractor, or get_model(..., head=dict(num_classes=N)) '
                             'and fine-tune it.')
        meta = getattr(self.model, 'dataset_meta', None) or {}
        self.classes = list(classes) if classes is not None else meta.get('classes')
        num_classes = getattr(self.model.head, 'num_classes', None)
        if self.classes is not None and num_classes is not None \
                and len(self.classes) != num_classes:
            raise ValueError(f'{len(self.classes)} class names given for a head with '
                             f'{num_classes} classes.')
        from mmcls_convnext.models.heads import MultiLabelClsHead
        self.multi_label = isinstance(self.model.head, MultiLabelClsHead)
        self.visualizer = None
        self.num_visualized_imgs = 0

    @staticmethod
    def list_models(pattern: Optional[str] = None) -> List[str]:
        """Zoo names of classification models (with a head) matching ``pattern``."""
        from mmcls_convnext.zoo import TASK_CLASSIFICATION, list_models
        return list_models(pattern=pattern, task=TASK_CLASSIFICATION)

    @torch.no_grad()
    def __call__(self, inputs: InputsType, return_datasamples: bool = False,
                 batch_size: int = 1, *, show_dir: Optional[str] = None, show: bool = False,
                 wait_time: float = 0., resize: Optional[int] = None,
                 rescale_factor: Optional[float] = None, draw_score: bool = True,
                 show_progress: Optional[bool] = None) -> List[Union[Dict, DataSample]]:
        """Predict every input (arguments in MMPretrain's order and names).

        Args:
            inputs: an image path, URL, folder, numpy array (H, W, 3) BGR uint8, or a list.
            return_datasamples: return :class:`DataSample` records instead of dicts.
            batch_size: images per forward pass (results do not depend on it).
            show_dir: if set, write ``<stem>.png`` per image (arrays: ``<n>.png``, ``n`` counting
                the pictures this inferencer drew) with the predicted classes drawn on it.
            show: also display each picture (needs a display).
            wait_time: seconds each displayed picture stays up (0: until closed).
            resize: scale the picture so that its short edge has this many pixels.
            rescale_factor: scale the picture by this factor (when ``resize`` is None).
            draw_score: write the scores beside the class names.
            show_progress: progress bar on stderr; default: when there is more than one batch.

        Returns:
            One result per image, in input order: ``dict(pred_label=int, pred_score=float,
            pred_class=str, pred_scores=np.ndarray (num_classes,))`` (``pred_class`` is the
            index as a string when the model has no class names). For a multi-label head
            (``MultiLabelClsHead`` and its subclasses) ``pred_scores`` holds the sigmoid score
            of every class and ``pred_label`` / ``pred_score`` / ``pred_class`` are lists: the
            classes the head predicts (score ``>= thr``, or its ``topk``), best first; empty
            lists when no class passes the threshold.
        """
        split_batches([], batch_size)  # validate the arguments before reading any input
        if show and not os.environ.get('DISPLAY'):
            raise ValueError('show=True needs a display (DISPLAY is not set); use show_dir=DIR '
                             'to save the pictures instead.')
        if resize is not None and (not isinstance(resize, int) or resize < 1):
            raise ValueError(f'resize must be a positive int (pixels); got {resize!r}.')
        if rescale_factor is not None and not rescale_factor > 0:
            raise ValueError(f'rescale_factor must be > 0; got {rescale_factor!r}.')
        results: List[Union[Dict, DataSample]] = []
        for item, original, pred in self.iterate(inputs, batch_size, show_progress):
            result = self._to_dict(pred)
            if self.classes is not None:
                pred.set_metainfo(dict(pred_class=result['pred_class']))
            if self.multi_label:  # the visualizer then lists every predicted label
                pred.set_metainfo(dict(multi_label=True))
            if show or show_dir is not None:
                self._visualize(item, original, pred, show_dir, show, wait_time, resize,
                                rescale_factor, draw_score)
            results.append(pred if return_datasamples else result)
        return results

    def forward(self, data: dict) -> List[DataSample]:
        """One preprocessed batch -> its predictions (``model.test_step``)."""
        return self.model.test_step(data)

    def _visualize(self, item: Union[str, np.ndarray], original: np.ndarray, pred: DataSample,
                   show_dir: Optional[str], show: bool, wait_time: float,
                   resize: Optional[int], rescale_factor: Optional[float],
                   draw_score: bool) -> None:
        """Draw one prediction with :attr:`visualizer` (built on first use)."""
        if self.visualizer is None:
            from mmcls_convnext.visualization import UniversalVisualizer
            self.visualizer = UniversalVisualizer(name=f'inferencer-{id(self)}')
        name = (osp.splitext(osp.basename(item))[0] if isinstance(item, str)
                else str(self.num_visualized_imgs))
        image = rescale_picture(original, resize, rescale_factor)[..., ::-1]  # BGR -> RGB
        out_file = osp.join(show_dir, f'{name}.png') if show_dir is not None else None
        # a size the caller chose is kept; otherwise ClsVisualizer enlarges small pictures
        chosen = resize is not None or rescale_factor is not None
        self.visualizer.add_datasample(
            name, np.ascontiguousarray(image), pred, draw_gt=False, draw_pred=True, show=show,
            wait_time=wait_time, draw_score=draw_score, classes=self.classes,
            out_file=out_file, **(dict(min_size=1) if chosen else {}))
        self.num_visualized_imgs += 1

    def _to_dict(self, pred: DataSample) -> Dict[str, Any]:
        scores = pred.pred_score.detach().float().cpu().numpy()
        if self.multi_label:
            labels = sorted(pred.pred_label.reshape(-1).tolist(), key=lambda i: -scores[i])
            names = [self.classes[i] if self.classes is not None else str(i) for i in labels]
            return dict(pred_label=labels, pred_score=[float(scores[i]) for i in labels],
                        pred_class=names, pred_scores=scores)
        label = int(pred.pred_label.reshape(-1)[0].item())
        name = self.classes[label] if self.classes is not None else str(label)
        return dict(pred_label=label, pred_score=float(scores[label]), pred_class=name,
                    pred_scores=scores)


def rescale_picture(image: np.ndarray, resize: Optional[int] = None,
                    rescale_factor: Optional[float] = None) -> np.ndarray:
    """``image`` (H, W, C) with its short edge scaled to ``resize`` pixels, else scaled by
    ``rescale_factor``, else unchanged (bilinear)."""
    height, width = image.shape[:2]
    if resize is not None:
        scale = resize / min(height, width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))  # (w, h)
        return mmcv.imresize(image, size)
    if rescale_factor is not None:
        return mmcv.imrescale(image, rescale_factor)
    return image


def inference_model(model: ModelArg, img: Union[str, os.PathLike, np.ndarray],
                    device: Optional[str] = None, pretrained: Union[bool, str] = True,
                    classes: Optional[Sequence[str]] = None, **kwargs) -> Dict[str, Any]:
    """Classify one image.

    Works for models built by zoo name, config path or Config (``get_model``/``init_model``);
    the eval preprocessing comes from the model's config.

    Args:
        model: a built classifier, or a zoo name (loaded with its zoo weights), or a config path
            / Config (loaded with its ``load_from``, else random weights with a warning).
        img: image path, URL, or (H, W, 3) uint8 BGR array.
        device: default: the model's current device.
        pretrained, classes: as for :class:`ImageClassificationInferencer`.
        **kwargs: drawing options of :meth:`ImageClassificationInferencer.__call__`
            (``show_dir``, ``show``, ``resize``, ``rescale_factor``, ``draw_score``, ...).

    Returns:
        ``dict(pred_label=int, pred_score=float, pred_class=str, pred_scores=np.ndarray)``;
        for a multi-label model ``pred_label`` / ``pred_score`` / ``pred_class`` are lists
        (the predicted classes, best first; see :meth:`ImageClassificationInferencer.__call__`).
    """
    if not isinstance(img, (str, os.PathLike, np.ndarray)):
        raise TypeError(f'inference_model takes one image (path, URL or array); got '
                        f'{type(img).__name__}. Use ImageClassificationInferencer for many.')
    if device is None and isinstance(model, nn.Module):
        param = next(model.parameters(), None)
        device = str(param.device) if param is not None else 'cpu'
    inferencer = ImageClassificationInferencer(model, pretrained=pretrained, device=device,
                                               classes=classes)
    items = collect_inputs(img)
    if len(items) != 1:
        raise ValueError(f'inference_model takes one image; {img} expands to {len(items)}. '
                         'Use ImageClassificationInferencer for folders.')
    return inferencer(items[0], show_progress=False, **kwargs)[0]
