"""Hooks that draw predictions.

* :class:`VisualizationHook` - MMPretrain's: during validation/test, every ``interval``-th sample
  (the pipeline's crop) with its ground truth and prediction, drawn by the runner's
  :class:`~mmcls_convnext.visualization.UniversalVisualizer` (``visualize_cls``) and sent to its
  backends (``vis_data/``, TensorBoard) or to files.
* :class:`ClsVisualizationHook` - ``tools/test.py --show / --show-dir``: every test image (the
  original file, small ones enlarged) with its top-1 class and score and the true class.
"""
import inspect
import math
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.runner import EpochBasedTrainLoop

from mmcls_convnext.datasets.transforms.image_budget import read_image
from mmcls_convnext.registry import HOOKS
from mmcls_convnext.visualization import UniversalVisualizer, tensor_to_rgb

#: keyword arguments of ``visualize_cls`` the hook may pass on (besides its own)
_DRAW_KEYS = tuple(p for p in inspect.signature(UniversalVisualizer.visualize_cls).parameters
                   if p not in ('self', 'image', 'data_sample', 'name', 'step', 'out_file',
                                'show'))


@HOOKS.register_module()
class VisualizationHook(Hook):
    """Draw every ``interval``-th validation/test sample with its ground truth and prediction.

    Samples ``0, interval, 2 * interval, ...`` of each val/test run are drawn (the count runs
    across batches) with ``UniversalVisualizer.visualize_cls``: name = the image file's base
    name (the sample index without a path), step = epochs trained (epoch-based training) or
    iterations (iteration-based) for validation, 0 for test. With ``LocalVisBackend`` they
    land in ``<work_dir>/<timestamp>/vis_data/vis_image/<name>_<step>.png``; with
    ``TensorboardVisBackend`` (``pip install tensorboard``) under *Images*. With ``out_dir``
    they are written to ``<out_dir>/<name>_<step>.png`` instead (a relative ``out_dir`` is
    inside the run's log dir).

    The config's visualizer must be a :class:`UniversalVisualizer` (MMPretrain's default)::

        visualizer = dict(type='UniversalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
        default_hooks = dict(visualization=dict(type='VisualizationHook', enable=True))

    Args:
        enable: draw anything at all (off by default, as in MMPretrain; switch on with
            ``--cfg-options default_hooks.visualization.enable=True``).
        interval: draw every ``interval``-th sample.
        show: open a window for each drawing (needs a display).
        out_dir: write files here instead of sending them to the visualizer backends.
        **kwargs: passed to ``visualize_cls``: ``draw_gt``, ``draw_pred``, ``draw_score``,
            ``resize`` (e.g. 224 to enlarge small crops), ``rescale_factor``, ``text_cfg``,
            ``classes``, ``wait_time``.
    """

    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = False,
                 interval: int = 5000,
                 show: bool = False,
                 out_dir: Optional[str] = None,
                 **kwargs) -> None:
        if isinstance(interval, bool) or not isinstance(interval, int) or interval < 1:
            raise ValueError(f'VisualizationHook interval must be an int >= 1; got {interval!r}.')
        unknown = sorted(set(kwargs) - set(_DRAW_KEYS))
        if unknown:
            raise TypeError(f'VisualizationHook got unknown arguments {unknown}; besides '
                            f'enable, interval, show and out_dir it accepts the drawing '
                            f'arguments {list(_DRAW_KEYS)}.')
        # the latest UniversalVisualizer (the runner's, when the runner builds this hook from a
        # config); before_run switches to the runner's visualizer in any case
        try:
            self._visualizer = UniversalVisualizer.get_current_instance()
        except RuntimeError:  # none created yet
            self._visualizer = None
        self.enable = enable
        self.interval = interval
        self.show = show
        self.out_dir = out_dir
        self.draw_args = {**kwargs, 'show': show}

    def before_run(self, runner) -> None:
        visualizer = runner.visualizer
        if not self.enable:
            return
        if not hasattr(visualizer, 'visualize_cls'):
            raise TypeError(
                'VisualizationHook draws with a UniversalVisualizer, but the config builds '
                f'{type(visualizer).__name__}. Set visualizer=dict(type=\'UniversalVisualizer\', '
                "vis_backends=[dict(type='LocalVisBackend')]) in the config.")
        self._visualizer = visualizer
        if self.out_dir is not None and not osp.isabs(self.out_dir):
            self.out_dir = osp.join(runner.log_dir, self.out_dir)

    def _draw_samples(self, batch_idx: int, data_batch: dict,
                      data_samples: Sequence, step: int = 0) -> None:
        """Draw the samples of batch ``batch_idx`` whose overall index is a multiple of
        ``interval``."""
        if self.enable is False or not data_samples:
            return
        batch_size = len(data_samples)
        images = data_batch['inputs']
        if batch_idx == 0:  # the loader's batch size (a last, smaller batch keeps the count)
            self._full_batch_size = batch_size
        start = batch_idx * (getattr(self, '_full_batch_size', None) or batch_size)
        first = math.ceil(start / self.interval) * self.interval
        for sample_id in range(first, start + batch_size, self.interval):
            image = images[sample_id - start]
            if not isinstance(image, torch.Tensor):
                image = torch.as_tensor(image)
            if image.is_floating_point():
                raise TypeError('VisualizationHook expects the uint8 images of the pipeline in '
                                f'data_batch["inputs"]; got dtype {image.dtype}.')
            sample = data_samples[sample_id - start]
            img_path = sample.get('img_path') if hasattr(sample, 'get') else None
            name = osp.basename(img_path) if img_path else str(sample_id)
            draw_args = dict(self.draw_args)
            if self.out_dir is not None:
                draw_args['out_file'] = osp.join(self.out_dir, f'{name}_{step}.png')
            self._visualizer.visualize_cls(
                image=tensor_to_rgb(image), data_sample=sample, step=step, name=name,
                **draw_args)

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict = None,
                       outputs: Sequence = None) -> None:
        step = runner.epoch if isinstance(runner.train_loop, EpochBasedTrainLoop) \
            else runner.iter
        self._draw_samples(batch_idx, data_batch, outputs, step=step)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict = None,
                        outputs: Sequence = None) -> None:
        self._draw_samples(batch_idx, data_batch, outputs, step=0)


@HOOKS.register_module()
class ClsVisualizationHook(Hook):
    """Save (``out_dir``) and/or show every test image with its predicted class and score.

    The original image file is drawn (not the pipeline's crop). Small images are enlarged to
    ``min_size`` pixels on the short edge (nearest-neighbour for tiny ones such as 28-32 px
    Fashion-MNIST) and the text goes into a band above the picture: ``<class> <score>`` and,
    when the sample has a ground truth, ``true: <class>``, on green when the two agree and
    red when they do not.

    Args:
        out_dir: directory for ``<image stem>_<index>.png`` files; None saves nothing.
        show: also display each image (needs a display).
        wait_time: seconds each image is displayed.
        min_size: short edge, in pixels, that small images are enlarged to.
        interval: draw the test images 0, interval, 2 * interval, ... of each test run
            (``tools/test.py --interval``, MMPretrain's flag; default 1: every image).
    """

    def __init__(self, out_dir: Optional[str] = None, show: bool = False,
                 wait_time: float = 2.0, min_size: int = 224, interval: int = 1) -> None:
        if out_dir is None and not show:
            raise ValueError('ClsVisualizationHook needs out_dir or show=True.')
        if not isinstance(min_size, int) or min_size < 1:
            raise ValueError(f'ClsVisualizationHook min_size must be an int >= 1; got '
                             f'{min_size!r}.')
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'ClsVisualizationHook interval must be an int >= 1; got '
                             f'{interval!r}.')
        self.out_dir = out_dir
        self.show = show
        self.wait_time = wait_time
        self.min_size = min_size
        self.interval = interval
        self._seen = 0

    def before_test_epoch(self, runner) -> None:
        self._seen = 0

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        from mmcls_convnext.visualization.draw import draw_prediction, save_prediction
        classes = (runner.test_dataloader.dataset.metainfo or {}).get('classes')
        for sample in outputs or []:
            self._seen += 1
            if (self._seen - 1) % self.interval != 0:
                continue
            path = sample.metainfo.get('img_path')
            index = sample.metainfo.get('sample_idx', 0)
            if path is not None:
                image = read_image(path)
                stem = f'{osp.splitext(osp.basename(path))[0]}_{index}'
            else:
                image = _in_memory_image(runner.test_dataloader.dataset, index)
                if image is None:
                    continue
                stem = f'test_{index:05d}'
            lines, correct = _caption(sample, classes)
            if self.out_dir is not None:
                save_prediction(image, lines, self.out_dir, stem, min_size=self.min_size,
                                correct=correct)
            if self.show:
                import matplotlib.pyplot as plt
                plt.imshow(draw_prediction(image, lines, min_size=self.min_size,
                                           correct=correct))
                plt.title(stem)
                plt.axis('off')
                plt.pause(self.wait_time)
                plt.clf()


def _in_memory_image(dataset, index: int) -> Optional[np.ndarray]:
    """The original image of sample ``index`` of an in-memory dataset (CIFAR10, MNIST...) as a
    3-channel BGR array, as ``mmcv.imread`` gives a file (their colour arrays are RGB), or
    None if it has none."""
    info = dataset.get_data_info(index) if hasattr(dataset, 'get_data_info') else {}
    img = info.get('img')
    if not isinstance(img, np.ndarray) or img.ndim not in (2, 3):
        return None
    if img.ndim == 2 or img.shape[2] == 1:
        return np.repeat(img.reshape(img.shape[:2] + (1, )), 3, axis=2)
    return np.ascontiguousarray(img[..., 2::-1])


def _caption(sample, classes: Optional[Sequence[str]]) -> Tuple[List[str], Optional[bool]]:
    """``(['<class> <score>', 'true: <class>'], correct)`` for a test sample."""
    def name(index: int) -> str:
        return classes[index] if classes and 0 <= index < len(classes) else str(index)

    label = int(sample.pred_label.reshape(-1)[0])
    lines = [f'{name(label)} {float(sample.pred_score[label]):.2f}']
    if 'gt_label' not in sample:
        return lines, None
    gt = int(sample.gt_label.reshape(-1)[0])
    return lines + [f'true: {name(gt)}'], gt == label
