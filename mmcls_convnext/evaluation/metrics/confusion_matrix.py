"""Confusion matrix metric (rows: ground truth, columns: prediction) and a plotting helper."""
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from mmcls_convnext.registry import METRICS

from .utils import as_dict, gt_label_of, pred_label_of, pred_score_of


@METRICS.register_module()
class ConfusionMatrix(BaseMetric):
    """Count (ground truth, prediction) pairs into a (C, C) LongTensor under key ``result``.

    Args:
        num_classes: C; if None, taken from the length of ``pred_score`` (or the largest label).
        collect_device: ``'cpu'`` or ``'gpu'``.
        prefix: key prefix; defaults to ``'confusion_matrix'``.
    """

    default_prefix: Optional[str] = 'confusion_matrix'

    def __init__(self, num_classes: Optional[int] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f'num_classes must be a positive int or None; got {num_classes!r}.')
        self.num_classes = num_classes

    def process(self, data_batch, data_samples: Sequence) -> None:
        for sample in data_samples:
            sample = as_dict(sample)
            score = pred_score_of(sample)
            self.results.append(dict(
                pred_label=pred_label_of(sample), gt_label=gt_label_of(sample),
                num_classes=None if score is None else len(score)))

    def compute_metrics(self, results: List[dict]) -> dict:
        pred = torch.tensor([r['pred_label'] for r in results], dtype=torch.long)
        target = torch.tensor([r['gt_label'] for r in results], dtype=torch.long)
        num_classes = self.num_classes or max(
            [r['num_classes'] or 0 for r in results] + [int(pred.max()) + 1, int(target.max()) + 1])
        return dict(result=self.calculate(pred, target, num_classes))

    @staticmethod
    def calculate(pred: torch.Tensor, target: torch.Tensor, num_classes: int) -> torch.Tensor:
        """(C, C) counts; ``matrix[t, p]`` = samples of class t predicted as p.

        ``pred`` may be labels (N,) or scores (N, C).
        """
        if pred.ndim == 2:
            pred = pred.argmax(dim=1)
        if pred.shape != target.shape:
            raise ValueError(f'pred and target must have the same length; got '
                             f'{tuple(pred.shape)} and {tuple(target.shape)}.')
        for name, values in (('pred', pred), ('target', target)):
            if values.numel() and (int(values.min()) < 0 or int(values.max()) >= num_classes):
                raise ValueError(f'{name} labels must be in [0, {num_classes}); got '
                                 f'[{int(values.min())}, {int(values.max())}].')
        flat = target.long() * num_classes + pred.long()
        return torch.bincount(flat, minlength=num_classes ** 2).reshape(num_classes, num_classes)

    @staticmethod
    def plot(confusion_matrix: torch.Tensor, classes: Optional[Sequence[str]] = None,
             normalize: bool = False, include_values: Optional[bool] = None,
             cmap: str = 'viridis', title: str = 'Confusion matrix', colorbar: bool = True):
        """Draw the matrix; returns a ``matplotlib.figure.Figure`` (save with ``savefig``).

        Args:
            confusion_matrix: (C, C) counts, rows = ground truth.
            classes: C names for the axes; defaults to indices.
            normalize: show each row as fractions of that class's samples.
            include_values: write the numbers in the cells (default: when C <= 30).
            cmap: matplotlib colour map.
            title: figure title.
            colorbar: add a colour bar.
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
        size = max(4., 0.45 * num + 2)
        fig = Figure(figsize=(size + (1.5 if colorbar else 0), size))
        ax = fig.add_subplot()
        image = ax.imshow(matrix, cmap=cmap, interpolation='nearest')
        if colorbar:
            fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
        ax.set(xticks=np.arange(num), yticks=np.arange(num), xlabel='Predicted label',
               ylabel='True label', title=title)
        ax.set_xticklabels(classes, rotation=45, ha='right')
        ax.set_yticklabels(classes)
        if include_values:
            threshold = (matrix.max() + matrix.min()) / 2
            for t in range(num):
                for p in range(num):
                    text = f'{matrix[t, p]:.2f}' if normalize else f'{int(matrix[t, p])}'
                    ax.text(p, t, text, ha='center', va='center', fontsize=8,
                            color='black' if matrix[t, p] > threshold else 'white')
        fig.tight_layout()
        return fig


def plot_confusion_matrix(confusion_matrix: torch.Tensor, **kwargs):
    """Functional spelling of :meth:`ConfusionMatrix.plot`; returns a matplotlib Figure."""
    return ConfusionMatrix.plot(confusion_matrix, **kwargs)
