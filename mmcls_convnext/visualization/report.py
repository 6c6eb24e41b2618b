"""One page a person opens first after a run: curves, confusion matrix, test images.

:func:`report_figure` lays out, top to bottom: a header (title, test top-1/top-5, a subtitle such
as the model size and training time), the training loss and the validation accuracy against
the epoch, the confusion matrix of the test set (counts; colour = share of the true class),
and a grid of test images - one column per true class: the most confident right prediction,
then the most confident mistakes, framed and captioned in red. :func:`write_report` saves it.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mmcls_convnext.datasets.transforms.image_budget import read_image
from mmcls_convnext.evaluation.metrics import ConfusionMatrix

from .curves import draw_curves, resolve_style

RIGHT, WRONG = '#1b5e20', '#b71c1c'


@dataclass
class Predictions:
    """Per-image test results: ``scores`` (N, C) softmax, ``gt`` (N,), ``paths`` (N,): the
    image files, or for in-memory datasets (CIFAR10, FashionMNIST...) the ``sample_idx``."""
    scores: np.ndarray
    gt: np.ndarray
    paths: List[str]

    @property
    def pred(self) -> np.ndarray:
        return self.scores.argmax(axis=1)

    @classmethod
    def from_results(cls, results: Sequence[dict]) -> 'Predictions':
        """From ``tools/test.py --out results.pkl`` (mmengine ``DumpResults`` dicts)."""
        if not results:
            raise ValueError('No predictions: the results file is empty.')
        missing = [k for k in ('pred_score', 'gt_label') if k not in results[0]]
        if 'img_path' not in results[0] and 'sample_idx' not in results[0]:
            missing.append('img_path (or sample_idx)')
        if missing:
            raise KeyError(f'Prediction records lack {missing}; write them with tools/test.py '
                           '--out FILE.pkl (--out-item pred, the default).')
        scores = np.stack([np.asarray(torch.as_tensor(r['pred_score']).float())
                           for r in results])
        gt = np.array([int(torch.as_tensor(r['gt_label']).reshape(-1)[0]) for r in results])
        return cls(scores, gt, [r['img_path'] if r.get('img_path') else r['sample_idx']
                                for r in results])

    def topk_accuracy(self, k: int) -> float:
        """Percent of images whose true class is among the ``k`` highest scores."""
        top = np.argsort(-self.scores, axis=1, kind='stable')[:, :k]
        return float((top == self.gt[:, None]).any(axis=1).mean() * 100)


def pick_examples(preds: Predictions, num_classes: int, wrong_rows: int = 2) -> List[List]:
    """Grid of image indices: row 0 the most confident right prediction of each true class,
    rows 1.. its most confident mistakes (None where there are none)."""
    confidence = preds.scores.max(axis=1)
    grid: List[List[Optional[int]]] = [[None] * num_classes for _ in range(1 + wrong_rows)]
    for c in range(num_classes):
        for row, right in [(0, True)] + [(r, False) for r in range(1, 1 + wrong_rows)]:
            mask = (preds.gt == c) & ((preds.pred == c) == right)
            order = np.flatnonzero(mask)[np.argsort(-confidence[mask], kind='stable')]
            rank = 0 if right else row - 1
            grid[row][c] = int(order[rank]) if rank < order.size else None
    return grid


def _draw_confusion(ax, matrix: np.ndarray, classes: Sequence[str]) -> None:
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    ax.imshow(share, cmap='Blues', vmin=0, vmax=1)
    n = len(classes)
    ax.set(xticks=range(n), yticks=range(n), xlabel='predicted class', ylabel='true class',
           title='Confusion matrix (test set)')
    ax.set_xticklabels(classes, rotation=45, ha='right', fontsize='small')
    ax.set_yticklabels(classes, fontsize='small')
    ax.grid(False)
    for t in range(n):
        for p in range(n):
            if matrix[t, p]:
                ax.text(p, t, str(int(matrix[t, p])), ha='center', va='center', fontsize=7,
                        color='white' if share[t, p] > 0.5 else 'black')


def _draw_tile(ax, image: np.ndarray, caption: str, right: bool) -> None:
    ax.imshow(image, cmap='gray', vmin=0, vmax=255, interpolation='nearest')
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(caption, fontsize=8, color=RIGHT if right else WRONG, pad=3)
    for spine in ax.spines.values():
        spine.set_visible(not right)
        spine.set_color(WRONG)
        spine.set_linewidth(3)


def _read_rgb(path: str) -> np.ndarray:
    return read_image(path, channel_order='rgb')


def report_figure(records: List[dict], preds: Predictions, classes: Sequence[str],
                  title: str, subtitle: str = '', wrong_rows: int = 2,
                  read_image: Callable[[str], np.ndarray] = _read_rgb) -> Figure:
    """The report page (module doc) as a matplotlib ``Figure``, 16 in wide.

    Args:
        records: scalar-log records of the training run (``load_log_records``).
        preds: test predictions; ``scores.shape[1]`` must equal ``len(classes)``.
        classes: class names by label.
        title: first header line; the test top-1 / top-5 of ``preds`` are appended.
        subtitle: second header line (model, epochs, time, ...).
        wrong_rows: rows of mistakes in the image grid.
        read_image: path -> ``(H, W, 3)`` RGB uint8 (or ``(H, W)``) image.
    """
    num = len(classes)
    if preds.scores.shape[1] != num:
        raise ValueError(f'{len(classes)} class names for predictions over '
                         f'{preds.scores.shape[1]} classes.')
    matrix = ConfusionMatrix.calculate(torch.as_tensor(preds.pred), torch.as_tensor(preds.gt),
                                       num).numpy()
    fig = Figure(figsize=(16, 6.6 + 1.75 * (1 + wrong_rows)), layout='constrained')
    FigureCanvasAgg(fig)
    head, plots, grid = fig.subfigures(3, 1, height_ratios=[0.9, 5.7, 1.75 * (1 + wrong_rows)])
    head.text(0.5, 0.62, f'{title}: test top-1 {preds.topk_accuracy(1):.2f} %, top-5 '
              f'{preds.topk_accuracy(min(5, num)):.2f} % on {len(preds.gt):,} images',
              ha='center', va='center', fontsize=16, fontweight='bold')
    head.text(0.5, 0.18, subtitle, ha='center', va='center', fontsize=11, color='#444')
    import matplotlib.style
    with matplotlib.style.context(resolve_style('whitegrid')):
        loss_ax, acc_ax, cm_ax = plots.subplots(1, 3, width_ratios=[1, 1, 1.15])
    run = {'train': records}
    draw_curves(loss_ax, run, ['loss'], legend_loc=None)
    loss_ax.set_title('Training loss')
    val_keys = [k for k in ('accuracy/top1', 'accuracy/top5')
                if any(k in r for r in records)]
    if val_keys:
        draw_curves(acc_ax, run, val_keys, legend=[k.split('/')[1] for k in val_keys],
                    annotate_last=True, legend_loc='best')
    acc_ax.set(title='Validation accuracy (%)', ylabel='accuracy (%)')
    _draw_confusion(cm_ax, matrix, classes)
    _draw_image_grid(grid, preds, classes, wrong_rows, read_image)
    return fig


def _draw_image_grid(fig, preds: Predictions, classes: Sequence[str], wrong_rows: int,
                     read_image: Callable[[str], np.ndarray]) -> None:
    picks = pick_examples(preds, len(classes), wrong_rows)
    axes = fig.subplots(len(picks), len(classes), squeeze=False)
    fig.suptitle('Test images by true class (columns): the most confident right prediction, '
                 'then the most confident mistakes (red, with the predicted class)',
                 fontsize=11)
    for row, indices in enumerate(picks):
        for col, index in enumerate(indices):
            ax = axes[row][col]
            if index is None:
                ax.set_axis_off()
                ax.text(0.5, 0.5, 'no mistake' if row else 'none right', ha='center',
                        va='center', fontsize=8, color='#666', transform=ax.transAxes)
                continue
            label, score = int(preds.pred[index]), float(preds.scores[index].max())
            right = label == preds.gt[index]
            mark = '\u2713' if right else '\u2717'  # check mark / ballot x
            caption = f'{mark} {classes[label]} {score:.2f}'
            _draw_tile(ax, read_image(preds.paths[index]), caption, right)
    for col, name in enumerate(classes):  # column headers: the true class
        axes[0][col].annotate(name, (0.5, 1.32), xycoords='axes fraction', ha='center',
                              fontsize=9, fontweight='bold')


def write_report(out_file: str, records: List[dict], preds: Predictions,
                 classes: Sequence[str], title: str, subtitle: str = '',
                 dpi: int = 80, read_image: Callable[[str], np.ndarray] = _read_rgb) -> str:
    """Render :func:`report_figure` to a palette PNG (small: ~200 KB) and return its path
    (``read_image``: ``preds.paths[i]`` -> image, e.g. an in-memory test set's array)."""
    from PIL import Image
    fig = report_figure(records, preds, classes, title, subtitle, read_image=read_image)
    fig.set_dpi(dpi)
    canvas = fig.canvas
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    picture = Image.fromarray(rgba[..., :3]).quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    picture.save(out_file, optimize=True)
    return out_file


def read_predictions(path: str) -> Predictions:
    """:class:`Predictions` from a ``tools/test.py --out`` pickle/json file (a pickle is read
    without running code: :func:`~mmcls_convnext.evaluation.read_results`)."""
    from mmcls_convnext.evaluation import read_results
    return Predictions.from_results(read_results(path))

