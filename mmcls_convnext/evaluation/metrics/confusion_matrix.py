"""Confusion matrix metric (rows: ground truth, columns: prediction) and a plotting helper."""
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmcls_convnext.registry import METRICS

from .utils import (
    ArrayLike,
    MetricInputError,
    as_dict,
    gt_label_of,
    pred_label_of,
    pred_score_of,
    to_tensor,
)

#: the most classes a confusion matrix is computed for (C x C int64: 8.6 GB at most)
MAX_CLASSES = 32768


@METRICS.register_module()
class ConfusionMatrix(BaseMetric):
    """Count (ground truth, prediction) pairs into a (C, C) LongTensor under key ``result``.

    Args:
        num_classes: C; if None, taken from the length of ``pred_score``. Samples that carry
            only ``pred_label`` need it.
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'confusion_matrix'``.
    """

    default_prefix: Optional[str] = 'confusion_matrix'

    def __init__(self, num_classes: Optional[int] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise MetricInputError(f'num_classes must be a positive int or None; got '
                                   f'{num_classes!r}.')
        self.num_classes = num_classes

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            sample = as_dict(sample)
            score = pred_score_of(sample)
            self.results.append(dict(
                pred_label=pred_label_of(sample), gt_label=gt_label_of(sample),
                num_classes=None if score is None else len(score)))

    def compute_metrics(self, results: List[dict]) -> dict:
        if not results:
            raise MetricInputError('ConfusionMatrix got no samples: the evaluation dataloader '
                                   'yielded nothing.')
        pred = torch.tensor([r['pred_label'] for r in results], dtype=torch.long)
        target = torch.tensor([r['gt_label'] for r in results], dtype=torch.long)
        num_classes = self.num_classes
        if num_classes is None:
            lengths = {r['num_classes'] for r in results if r['num_classes'] is not None}
            if len(lengths) > 1:
                raise MetricInputError(f'ConfusionMatrix got pred_score vectors of different '
                                       f'lengths {sorted(lengths)}; set num_classes.')
            num_classes = lengths.pop() if lengths else None
        if num_classes is None:
            raise MetricInputError(
                'ConfusionMatrix cannot tell the number of classes: the samples carry '
                'pred_label but no pred_score. Please specify the `num_classes`, e.g. '
                "val_evaluator = dict(type='ConfusionMatrix', num_classes=10).")
        return dict(result=self.calculate(pred, target, num_classes))

    @staticmethod
    def calculate(pred: ArrayLike, target: ArrayLike,
                  num_classes: Optional[int] = None) -> torch.Tensor:
        """(C, C) counts; ``matrix[t, p]`` = samples of class t predicted as p.

        Args:
            pred: scores ``(N, C)`` (C inferred) or predicted labels ``(N,)``; a tensor, numpy
                array or list.
            target: labels ``(N,)``.
            num_classes: C; required when ``pred`` holds labels.
        """
        pred = to_tensor(pred, 'pred', 'ConfusionMatrix.calculate')
        target = to_tensor(target, 'target', 'ConfusionMatrix.calculate')
        if pred.ndim == 2:
            if num_classes is not None and num_classes != pred.shape[1]:
                raise MetricInputError(f'num_classes={num_classes} but the scores have '
                                       f'{pred.shape[1]} classes.')
            num_classes = pred.shape[1]
            pred = pred.argmax(dim=1)
        elif num_classes is None:
            raise MetricInputError('Please specify the `num_classes` if `pred` holds labels '
                                   'instead of scores (N, C).')
        if pred.ndim != 1 or pred.shape != target.shape:
            raise ValueError(f'pred must be labels (N,) or scores (N, C) and target labels (N,) '
                             f'of the same N; got {tuple(pred.shape)} and '
                             f'{tuple(target.shape)}.')
        for name, values in (('pred', pred), ('target', target)):
            if values.numel() and (int(values.min()) < 0 or int(values.max()) >= num_classes):
                raise ValueError(f'{name} labels must be in [0, {num_classes}); got '
                                 f'[{int(values.min())}, {int(values.max())}].')
        if num_classes > MAX_CLASSES:  # C x C int64 counts, allocated before counting
            raise MetricInputError(
                f'num_classes={num_classes}: a confusion matrix of {num_classes} x {num_classes} '
                f'counts would take {num_classes ** 2 * 8 / 1e9:.3g} GB; at most {MAX_CLASSES} '
                'classes are supported (a results file or metric input naming more is damaged '
                'or crafted).')
        flat = target.long() * num_classes + pred.long()
        return torch.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)

    @staticmethod
    def plot(confusion_matrix: torch.Tensor, *, classes: Optional[Sequence[str]] = None,
             normalize: bool = False, include_values: Optional[bool] = None,
             cmap: str = 'viridis', title: str = 'Confusion matrix', colorbar: bool = True,
             show: bool = False):
        """Draw the matrix; returns a ``matplotlib.figure.Figure`` (save with ``savefig``).

        Unlike MMPretrain's, this does not open a window unless ``show=True``: the figure is
        built without pyplot, so scripts and headless machines can draw and save it.

        Args:
            confusion_matrix: (C, C) counts, rows = ground truth.
            classes: C names for the axes; defaults to indices.
            normalize: show each row as fractions of that class's samples.
            include_values: write the numbers in the cells (default: when C <= 30).
            cmap: matplotlib colour map.
            title: figure title.
            colorbar: add a colour bar.
            show: also display the figure in a pyplot window (``plt.show()``).
        """
        from matplotlib.figure import Figure

        matrix = np.asarray(torch.as_tensor(confusion_matrix).cpu(), dtype=np.float64)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f'confusion_matrix must be square (C, C); got {matrix.shape}.')
        num = matrix.shape[0]
        if classes is None:
            classes = [str(i) for i in range(num)]
        if len(classes) != num:
            raise ValueError(f'{len(classes)} class names given for a {num}x{num} matrix.')
        if normalize:
            matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        include_values = num <= 30 if include_values is None else include_values
        # readable: ~0.5 inch per class (names up to ~15 characters fit), never below 5 inches
        longest = max(len(str(c)) for c in classes)
        size = max(5., 0.5 * num + 2 + 0.07 * min(longest, 30))
        figsize = (size + (1.5 if colorbar else 0), size)
        if show:
            import matplotlib.pyplot as plt
            fig = plt.figure(figsize=figsize)
        else:
            fig = Figure(figsize=figsize)
        ax = fig.add_subplot()
        image = ax.imshow(matrix, cmap=cmap, interpolation='nearest')
        if colorbar:
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax.set(xticks=np.arange(num), yticks=np.arange(num), title=title)
        ax.set_xlabel('Predicted label', fontsize=11)
        ax.set_ylabel('True label', fontsize=11)
        ticks = 10 if num <= 30 else 8
        ax.set_xticklabels(classes, rotation=45, ha='right', fontsize=ticks)
        ax.set_yticklabels(classes, fontsize=ticks)
        if include_values:
            threshold = (matrix.max() + matrix.min()) / 2
            for t in range(num):
                for p in range(num):
                    text = f'{matrix[t, p]:.2f}' if normalize else f'{int(matrix[t, p])}'
                    ax.text(p, t, text, ha='center', va='center', fontsize=9,
                            color='black' if matrix[t, p] > threshold else 'white')
        fig.tight_layout()
        if show:
            plt.show()
        return fig


def plot_confusion_matrix(confusion_matrix: torch.Tensor, **kwargs):
    """Functional spelling of :meth:`ConfusionMatrix.plot`; returns a matplotlib Figure."""
    return ConfusionMatrix.plot(confusion_matrix, **kwargs)
