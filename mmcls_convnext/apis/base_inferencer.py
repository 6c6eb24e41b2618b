"""``BaseInferencer``: model, device, eval preprocessing and the one batching loop shared by
:class:`ImageClassificationInferencer` and :class:`FeatureExtractor`."""
import os
from typing import Any, Iterator, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config
from torch import nn

from mmcls_convnext.weights import load_model_weights

from .model import checkpoint_classes, get_model
from .pipeline import InferencePipeline, InputsType, collect_inputs, test_pipeline_cfg

ModelArg = Union[nn.Module, str, os.PathLike, Config]
Item = Union[str, np.ndarray]


def model_config(model: nn.Module) -> Optional[Config]:
    """The Config a model was built from (``get_model`` stores it as ``model._config`` and
    ``model.cfg``)."""
    cfg = getattr(model, '_config', None) or getattr(model, 'cfg', None)
    return cfg if isinstance(cfg, Config) else None


def default_device() -> str:
    return 'cuda' if torch.cuda.is_available() else 'cpu'


def split_batches(items: Sequence[Any], batch_size: int) -> List[Sequence[Any]]:
    """``items`` in consecutive batches of ``batch_size`` (the last may be shorter).

    Raises:
        ValueError: ``batch_size`` is not a positive int.
    """
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f'batch_size must be a positive int; got {batch_size!r}.')
    return [items[i:i + batch_size] for i in range(0, len(items), batch_size)]


def progress(batches: List[Any], enabled: bool, label: str) -> Iterator[Any]:
    """``batches``, with a progress bar on stderr when ``enabled``."""
    if not enabled:
        yield from batches
        return
    from rich.console import Console
    from rich.progress import track
    yield from track(batches, description=label, console=Console(stderr=True))


class BaseInferencer:
    """A model in eval mode on a device, its eval preprocessing, and :meth:`iterate`.

    Subclasses implement :meth:`forward` (one preprocessed batch -> one output per image) and
    a ``__call__`` that turns :meth:`iterate`'s outputs into results.

    Args:
        model: a built model (from :func:`get_model`), a zoo name, a config path or a Config.
        pretrained: for a name/config: as ``get_model(pretrained=)``; for a built model, a
            path/URL is loaded into it (strict) and True/False change nothing.
        device: e.g. ``'cpu'``, ``'cuda:0'``; default CUDA when available.
        **kwargs: model-config overrides passed to :func:`get_model` (name/config only).
    """

    #: description of the progress bar of :meth:`iterate`
    progress_label = 'Inference'

    def __init__(self, model: ModelArg, pretrained: Union[bool, str], device: Optional[str],
                 **kwargs) -> None:
        if isinstance(model, nn.Module):
            if kwargs:
                raise TypeError(f'Model options {sorted(kwargs)} only apply when the model is '
                                'given by name or config; this model is already built.')
            net = model
            if isinstance(pretrained, (str, os.PathLike)):  # weights for a built model
                report = load_model_weights(net, os.fspath(pretrained))
                classes = checkpoint_classes(report['meta'])
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

    @property
    def config(self) -> Optional[Config]:
        """The Config the model was built from (``model.cfg``), or None."""
        return model_config(self.model)

    @property
    def cfg(self) -> Optional[Config]:
        """Alias of :attr:`config`."""
        return self.config

    def prepare(self, items: Sequence[Item]) -> Tuple[dict, List[np.ndarray]]:
        """Load and preprocess a batch: returns (model data dict, original BGR images)."""
        inputs, samples, originals = [], [], []
        for item in items:
            results = self.pipeline.load(item)
            originals.append(results['img'])
            packed = self.pipeline.transform(results)
            inputs.append(packed['inputs'])
            samples.append(packed['data_samples'])
        return dict(inputs=inputs, data_samples=samples), originals

    def forward(self, data: dict) -> Sequence[Any]:
        """One batch from :meth:`prepare` -> one output per image, in order."""
        raise NotImplementedError(f'{type(self).__name__} must implement forward(data).')

    @torch.no_grad()
    def iterate(self, inputs: InputsType, batch_size: int = 1,
                show_progress: Optional[bool] = None) -> Iterator[Tuple[Item, np.ndarray, Any]]:
        """The batching loop: ``(input item, original BGR image, output)`` per image, in input
        order; outputs do not depend on ``batch_size``.

        Args:
            inputs: an image path, URL, folder, numpy array (H, W, 3) BGR uint8, or a list.
            batch_size: images per forward pass.
            show_progress: progress bar on stderr; default: when there is more than one batch.
        """
        split_batches([], batch_size)  # validate the arguments before reading any input
        batches = split_batches(collect_inputs(inputs), batch_size)
        if show_progress is None:
            show_progress = len(batches) > 1
        for batch in progress(batches, show_progress, self.progress_label):
            data, originals = self.prepare(batch)
            outputs = self.forward(data)
            yield from zip(batch, originals, outputs)
