"""Hooks that draw predictions.

* :class:`VisualizationHook` - during validation/test, every ``interval``-th sample (the
  pipeline's crop) with its top-k classes and ground truth, sent to the visualizer backends
  (``vis_data/``, TensorBoard) or to files.
* :class:`ClsVisualizationHook` - ``tools/test.py --show / --show-dir``: every test image (the
  original file, small ones enlarged) with its top-1 class and score and the true class.
"""
import os.path as osp
from typing import List, Optional, Sequence, Tuple

import mmcv
import numpy as np
import torch
from mmengine.hooks import Hook

from mmcls_convnext.registry import HOOKS
from mmcls_convnext.visualization import ClsVisualizer, tensor_to_rgb


@HOOKS.register_module()
class VisualizationHook(Hook):
    """Draw every ``interval``-th validation/test sample with its top-k predictions.

    The drawings go to the runner's visualizer backends: with ``LocalVisBackend`` they land in
    ``<work_dir>/<timestamp>/vis_data/vis_image/{val,test}_<index>_<stem>_<step>.png`` (step:
    epochs trained for validation, the sample index for test); with
    ``TensorboardVisBackend`` (needs ``pip install tensorboard``) they appear under *Images*.
    With ``out_dir`` they are written as files to ``<work_dir>/<timestamp>/<out_dir>/`` instead.

    The config's visualizer must be a :class:`ClsVisualizer`::

        visualizer = dict(type='ClsVisualizer', vis_backends=[dict(type='LocalVisBackend')])
        default_hooks = dict(visualization=dict(type='VisualizationHook', enable=True))

    Args:
        enable: draw anything at all (off by default, as in MMPretrain; switch on with
            ``--cfg-options default_hooks.visualization.enable=True``).
        interval: draw samples 0, interval, 2*interval, ... of each val/test run.
        topk: number of predicted classes to list.
        draw_gt: also write the ground-truth label.
        draw_score: write the softmax score next to each class.
        min_size: upscale small images to this short edge before drawing text.
        show: open a window for each drawing (needs a display).
        wait_time: seconds each window stays open.
        out_dir: write files to this folder (relative to the run's log dir) instead of the
            visualizer backends.
    """

    priority = 'NORMAL'

    def __init__(self,
                 enable: bool = False,
                 interval: int = 50,
                 topk: int = 5,
                 draw_gt: bool = True,
                 draw_score: bool = True,
                 min_size: int = 224,
                 show: bool = False,
                 wait_time: float = 0.,
                 out_dir: Optional[str] = None) -> None:
        if not isinstance(interval, int) or interval < 1:
            raise ValueError(f'VisualizationHook interval must be an int >= 1; got {interval!r}.')
        if not isinstance(topk, int) or topk < 1:
            raise ValueError(f'VisualizationHook topk must be an int >= 1; got {topk!r}.')
        self.enable = enable
        self.interval = interval
        self.topk = topk
        self.draw_gt = draw_gt
        self.draw_score = draw_score
        self.min_size = min_size
        self.show = show
        self.wait_time = wait_time
        self.out_dir = out_dir
        self._seen = 0

    def before_run(self, runner) -> None:
        if self.enable and not isinstance(runner.visualizer, ClsVisualizer):
            raise TypeError(
                'VisualizationHook draws with a ClsVisualizer, but the config builds '
                f'{type(runner.visualizer).__name__}. Set visualizer=dict(type=\'ClsVisualizer\', '
                "vis_backends=[dict(type='LocalVisBackend')]) in the config.")

    def before_val_epoch(self, runner) -> None:
        self._seen = 0

    def before_test_epoch(self, runner) -> None:
        self._seen = 0

    def after_val_iter(self, runner, batch_idx: int, data_batch: dict = None,
                       outputs: Sequence = None) -> None:
        # epochs trained so far (epoch-based loops), else the training iteration
        step = runner.epoch if runner.epoch else runner.iter
        self._draw_batch(runner, data_batch, outputs, 'val', step)

    def after_test_iter(self, runner, batch_idx: int, data_batch: dict = None,
                        outputs: Sequence = None) -> None:
        self._draw_batch(runner, data_batch, outputs, 'test', None)

    def _draw_batch(self, runner, data_batch: Optional[dict], outputs: Optional[Sequence],
                    mode: str, step: Optional[int]) -> None:
        if not self.enable or not outputs:
            return
        images = data_batch['inputs'] if data_batch is not None else None
        first = self._seen
        self._seen += len(outputs)
        for offset, sample in enumerate(outputs):
            index = first + offset
            if index % self.interval != 0 or images is None:
                continue
            image = images[offset]
            if not isinstance(image, torch.Tensor):
                image = torch.as_tensor(image)
            if image.is_floating_point():
                raise TypeError('VisualizationHook expects the uint8 images of the pipeline in '
                                f'data_batch["inputs"]; got dtype {image.dtype}.')
            img_path = sample.metainfo.get('img_path') if hasattr(sample, 'metainfo') else None
            # the sample index keeps names unique (class folders often reuse file names) and
            # stable across epochs (one TensorBoard series per validation image)
            name = f'{mode}_{index:05d}'
            if img_path:
                name += '_' + osp.splitext(osp.basename(img_path))[0]
            sample_step = index if step is None else step
            out_file = None
            if self.out_dir is not None:
                out_file = osp.join(runner.log_dir, self.out_dir, f'{name}_{sample_step}.png')
            runner.visualizer.add_datasample(
                name, tensor_to_rgb(image), sample,
                draw_gt=self.draw_gt, draw_pred=True, show=self.show,
                wait_time=self.wait_time, step=sample_step, draw_score=self.draw_score,
                topk=self.topk, min_size=self.min_size, out_file=out_file)


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
    """

    def __init__(self, out_dir: Optional[str] = None, show: bool = False,
                 wait_time: float = 2.0, min_size: int = 224) -> None:
        if out_dir is None and not show:
            raise ValueError('ClsVisualizationHook needs out_dir or show=True.')
        if not isinstance(min_size, int) or min_size < 1:
            raise ValueError(f'ClsVisualizationHook min_size must be an int >= 1; got '
                             f'{min_size!r}.')
        self.out_dir = out_dir
        self.show = show
        self.wait_time = wait_time
        self.min_size = min_size

    def after_test_iter(self, runner, batch_idx: int, data_batch=None,
                        outputs: Optional[Sequence] = None) -> None:
        from mmcls_convnext.visualization.draw import draw_prediction, save_prediction
        classes = (runner.test_dataloader.dataset.metainfo or {}).get('classes')
        for sample in outputs or []:
            path = sample.metainfo.get('img_path')
            index = sample.metainfo.get('sample_idx', 0)
            if path is not None:
                image = mmcv.imread(path)
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
