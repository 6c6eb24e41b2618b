"""``SetAdaptiveMarginsHook``: per-class ArcFace margins from the class frequencies."""
import numpy as np
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmcls_convnext.registry import HOOKS


class MarginHookError(ValueError, AssertionError):
    """A bad SetAdaptiveMarginsHook argument (also an ``AssertionError``)."""


def adaptive_margins(gt_labels, num_classes: int, margin_min: float = 0.05,
                     margin_max: float = 0.5, power: float = -0.25) -> np.ndarray:
    """``count ** power`` per class, min-max rescaled to ``[margin_min, margin_max]``.

    With the default negative power, rare classes get large margins, frequent ones small
    (the adaptive margins of the Google Landmark Recognition 2020 winners). A class that does
    not occur counts once; when every class is equally frequent all margins are
    ``margin_max``.
    """
    counts = np.bincount(np.asarray(gt_labels, dtype=np.int64).reshape(-1),
                         minlength=num_classes).astype(np.float64)
    if len(counts) > num_classes:
        raise MarginHookError(f'The dataset has labels up to {len(counts) - 1}, but the '
                              f'ArcFaceClsHead has num_classes={num_classes}.')
    counts[counts == 0] = 1
    freq = np.power(counts, power)
    low, high = freq.min(), freq.max()
    if high == low:
        return np.full(num_classes, float(margin_max))
    return (freq - low) / (high - low) * (margin_max - margin_min) + margin_min


@HOOKS.register_module()
class SetAdaptiveMarginsHook(Hook):
    """Before training, set the ``ArcFaceClsHead``'s margins from the train dataset's class
    frequencies (:func:`adaptive_margins` of ``dataset.get_gt_labels()``).

    Args:
        margin_min: margin of the most frequent class.
        margin_max: margin of the rarest class.
        power: exponent applied to the class counts (negative: rarer -> larger margin).
    """

    def __init__(self, margin_min: float = 0.05, margin_max: float = 0.5,
                 power: float = -0.25) -> None:
        if not 0 <= margin_min <= margin_max:
            raise MarginHookError(f'SetAdaptiveMarginsHook needs 0 <= margin_min <= margin_max; '
                                  f'got margin_min={margin_min}, margin_max={margin_max}.')
        self.margin_min = float(margin_min)
        self.margin_max = float(margin_max)
        self.p = float(power)

    def before_train(self, runner) -> None:
        from mmcls_convnext.models.heads import ArcFaceClsHead
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(model, 'head', None)
        if not isinstance(head, ArcFaceClsHead):
            raise ValueError(f'SetAdaptiveMarginsHook only works with an ArcFaceClsHead; the '
                             f'model\'s head is {type(head).__name__}.')
        dataset = runner.train_dataloader.dataset
        if not hasattr(dataset, 'get_gt_labels'):
            raise ValueError(f'SetAdaptiveMarginsHook reads the class frequencies from '
                             f'dataset.get_gt_labels(), which {type(dataset).__name__} lacks.')
        margins = adaptive_margins(dataset.get_gt_labels(), head.num_classes, self.margin_min,
                                   self.margin_max, self.p)
        head.set_margins(margins)
        runner.logger.info(f'SetAdaptiveMarginsHook: margins from {margins.min():.3f} to '
                           f'{margins.max():.3f} over {head.num_classes} classes.')
