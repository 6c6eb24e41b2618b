"""``ImageClassificationInferencer`` and ``inference_model``: images in, class predictions out."""
import os
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from mmcls_convnext.registry import INFERENCERS
from mmcls_convnext.structures import DataSample
from mmcls_convnext.zoo import load_model_weights

from .draw import save_prediction
from .model import _checkpoint_classes, get_model
from .pipeline import InferencePipeline, InputsType, collect_inputs, test_pipeline_cfg

ModelArg = Union[nn.Module, str, os.PathLike, Config]


def model_config(model: nn.Module) -> Optional[Config]:
    """The Config a model was built from (``get_model`` stores it as ``model._config``)."""
    cfg = getattr(model, '_config', None) or getattr(model, 'cfg', None)
    return cfg if isinstance(cfg, Config) else None


def default_device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def _progress(batches: List[Any], enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield from batches
        return
    from rich.console import Console
    from rich.progress import track
    yield from track(batches, description=label, console=Console(stderr=True))


def _batches(items: Sequence[Any], batch_size: int) -> List[Sequence[Any]]:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f'batch_size must be a positive int; got {batch_size!r}.')
    return [items[i:i + batch_size] for i in range(0, len(items), batch_size)]


class _ModelRunner:
    """Shared by the inferencer and the feature extractor: model, device, eval pipeline."""

    def __init__(self, model: ModelArg, pretrained: Union[bool, str], device: Optional[str],
                 **kwargs) -> None:
        if isinstance(model, nn.Module):
            if kwargs:
                raise TypeError(f'Model options {sorted(kwargs)} only apply when the model is '
                                'given by name or config; this model is already built.')
            net = model
            if isinstance(pretrained, (str, os.PathLike)):  # weights for a built model
                report = load_model_weights(net, os.fspath(pretrained))
                classes = _checkpoint_classes(report['meta'])
                if classes is not None:
                    net.dataset_meta = {'classes': classes}
        else:
            net = get_model(model, pretrained=pretrained, **kwargs)
        if not hasattr(net, 'data_preprocessor') or not hasattr(net, 'test_step'):
            raise TypeError(f'{type(net).__name__} is not an mmcls_convnext classifier (it needs '
                            'data_preprocessor and test_step); build it with get_model().')
        self.device = torch.device(device or default_device())
        self.model = net.to(self.device).eval()
        cfg = model_config(net)
        self.pipeline = InferencePipeline(test_pipeline_cfg(cfg if cfg is not None else Config()))

    def prepare(self, items: Sequence[Union[str, np.ndarray]]):
        """Load and preprocess a batch: returns (model data dict, original BGR images)."""
        inputs, samples, originals = [], [], []
        for item in items:
            results = self.pipeline.load(item)
            originals.append(results['img'])
            packed = self.pipeline.transform(results)
            inputs.append(packed['inputs'])
            samples.append(packed['data_samples'])
        return dict(inputs=inputs, data_samples=samples), originals


@INFERENCERS.register_module()
class ImageClassificationInferencer(_ModelRunner):
    """Classify images with a ConvNeXt classifier, using the eval preprocessing of its config.

    Args:
        model: a built model (from :func:`get_model`), a zoo name, a config path or a Config.
        pretrained: for a name/config: True (zoo weights), False, or a checkpoint path/URL;
            for a built model, a path/URL is loaded into it (strict) and True/False change
            nothing.
        device: e.g. ``'cpu'``, ``'cuda:0'``; default CUDA when available.
        classes: class names overriding the model's ``dataset_meta``.
        **kwargs: model-config overrides passed to :func:`get_model`.

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

    @torch.no_grad()
    def __call__(self, inputs: InputsType, batch_size: int = 1,
                 return_datasamples: bool = False, show_dir: Optional[str] = None,
                 show_progress: Optional[bool] = None) -> List[Union[Dict, DataSample]]:
        """Predict every input.

        Args:
            inputs: an image path, URL, folder, numpy array (H, W, 3) BGR uint8, or a list.
            batch_size: images per forward pass (results do not depend on it).
            return_datasamples: return :class:`DataSample` records instead of dicts.
            show_dir: if set, write ``<stem>.png`` per image with the top class drawn on it.
            show_progress: progress bar on stderr; default: when there is more than one batch.

        Returns:
            One result per image, in input order: ``dict(pred_label=int, pred_score=float,
            pred_class=str, pred_scores=np.ndarray (num_classes,))`` (``pred_class`` is the
            index as a string when the model has no class names).
        """
        _batches([], batch_size)  # validate the arguments before reading any input
        items = collect_inputs(inputs)
        batches = _batches(items, batch_size)
        if show_progress is None:
            show_progress = len(batches) > 1
        results: List[Union[Dict, DataSample]] = []
        index = 0
        for batch in _progress(batches, show_progress, 'Inference'):
            data, originals = self.prepare(batch)
            preds = self.model.test_step(data)
            for item, pred, original in zip(batch, preds, originals):
                result = self._to_dict(pred)
                if self.classes is not None:
                    pred.set_metainfo(dict(pred_class=result['pred_class']))
                if show_dir is not None:
                    stem = (osp.splitext(osp.basename(item))[0] if isinstance(item, str)
                            else f'{index:06d}')
                    save_prediction(original,
                                    f'{result["pred_class"]}: {result["pred_score"]:.2f}',
                                    show_dir, stem)
                results.append(pred if return_datasamples else result)
                index += 1
        return results

    def _to_dict(self, pred: DataSample) -> Dict[str, Any]:
        scores = pred.pred_score.detach().float().cpu().numpy()
        label = int(pred.pred_label.reshape(-1)[0].item())
        name = self.classes[label] if self.classes is not None else str(label)
        return dict(pred_label=label, pred_score=float(scores[label]), pred_class=name,
                    pred_scores=scores)


def inference_model(model: ModelArg, img: Union[str, os.PathLike, np.ndarray],
                    device: Optional[str] = None) -> Dict[str, Any]:
    """Classify one image.

    Works for models built by zoo name, config path or Config (``get_model``/``init_model``);
    the eval preprocessing comes from the model's config.

    Args:
        model: a built classifier, or a zoo name / config (loaded with zoo weights for a name).
        img: image path, URL, or (H, W, 3) uint8 BGR array.
        device: default: the model's current device.

    Returns:
        ``dict(pred_label=int, pred_score=float, pred_class=str, pred_scores=np.ndarray)``.
    """
    if not isinstance(img, (str, os.PathLike, np.ndarray)):
        raise TypeError(f'inference_model takes one image (path, URL or array); got '
                        f'{type(img).__name__}. Use ImageClassificationInferencer for many.')
    if device is None and isinstance(model, nn.Module):
        param = next(model.parameters(), None)
        device = str(param.device) if param is not None else 'cpu'
    inferencer = ImageClassificationInferencer(model, pretrained=True, device=device)
    items = collect_inputs(img)
    if len(items) != 1:
        raise ValueError(f'inference_model takes one image; {img} expands to {len(items)}. '
                         'Use ImageClassificationInferencer for folders.')
    return inferencer(items[0], show_progress=False)[0]
