"""Batch augments that mix images and their soft targets: Mixup, CutMix, ResizeMix,
RandomBatchAugment.

Each takes ``(inputs (N, C, H, W), targets (N, num_classes))`` and returns the mixed pair; the
targets stay probability vectors (every row sums to 1). Randomness comes from numpy (the Beta
draw, the box) and torch (the permutation), both seeded by the runner.
"""
from numbers import Real
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F

from mmcls_convnext.registry import BATCH_AUGMENTS

from ..errors import ModelConfigError, ModelConfigTypeError


def _check_batch(inputs: torch.Tensor, targets: torch.Tensor) -> None:
    if inputs.dim() != 4 or targets.dim() != 2 or inputs.shape[0] != targets.shape[0]:
        raise ValueError(f'Batch augments need inputs (N, C, H, W) and soft targets '
                         f'(N, num_classes); got {tuple(inputs.shape)} and '
                         f'{tuple(targets.shape)}.')


class _Mixing:
    def __init__(self, alpha: float):
        if isinstance(alpha, bool) or not isinstance(alpha, Real):
            raise ModelConfigTypeError(f'{type(self).__name__} alpha must be a number > 0; got '
                                       f'{alpha!r}.')
        if alpha <= 0:
            raise ModelConfigError(f'{type(self).__name__} alpha must be > 0; got {alpha}.')
        self.alpha = float(alpha)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(alpha={self.alpha})'


@BATCH_AUGMENTS.register_module()
class Mixup(_Mixing):
    """``x = lam * x + (1 - lam) * x[perm]`` with ``lam ~ Beta(alpha, alpha)`` (Zhang et al.)."""

    def __call__(self, inputs: torch.Tensor,
                 targets: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        _check_batch(inputs, targets)
        lam = float(np.random.beta(self.alpha, self.alpha))
        perm = torch.randperm(inputs.size(0), device=inputs.device)
        mixed = inputs.mul(lam).add_(inputs[perm], alpha=1 - lam)
        return mixed, targets * lam + targets[perm] * (1 - lam)


@BATCH_AUGMENTS.register_module()
class CutMix(_Mixing):
    """Paste a box of ``x[perm]`` into ``x``; targets mix by the pasted area (Yun et al.).

    Args:
        alpha: ``lam ~ Beta(alpha, alpha)`` sets the box area ``(1 - lam) * H * W``.
        cutmix_minmax: if given, box side ratios drawn uniformly in this range instead.
        correct_lam: recompute lam from the box after clipping it to the image (the area that
            was really pasted), so targets match pixels.
    """

    def __init__(self, alpha: float, cutmix_minmax: Optional[Sequence[float]] = None,
                 correct_lam: bool = True):
        super().__init__(alpha)
        if cutmix_minmax is not None and (len(cutmix_minmax) != 2
                                          or not 0 < cutmix_minmax[0] < cutmix_minmax[1] <= 1):
            raise ModelConfigError(f'cutmix_minmax must be (min, max) with 0 < min < max <= 1; got '
                             f'{cutmix_minmax!r}.')
        self.cutmix_minmax = None if cutmix_minmax is None else tuple(cutmix_minmax)
        self.correct_lam = correct_lam

    def box(self, height: int, width: int, lam: float) -> Tuple[int, int, int, int]:
        """(y0, y1, x0, x1) of the pasted box."""
        if self.cutmix_minmax is not None:
            low, high = self.cutmix_minmax
            cut_h = int(np.random.randint(int(height * low), int(height * high) + 1))
            cut_w = int(np.random.randint(int(width * low), int(width * high) + 1))
            y0 = int(np.random.randint(0, height - cut_h + 1))
            x0 = int(np.random.randint(0, width - cut_w + 1))
            return y0, y0 + cut_h, x0, x0 + cut_w
        ratio = np.sqrt(1 - lam)
        cut_h, cut_w = int(height * ratio), int(width * ratio)
        cy, cx = int(np.random.randint(0, height)), int(np.random.randint(0, width))
        y0, y1 = np.clip(cy - cut_h // 2, 0, height), np.clip(cy + cut_h // 2, 0, height)
        x0, x1 = np.clip(cx - cut_w // 2, 0, width), np.clip(cx + cut_w // 2, 0, width)
        return int(y0), int(y1), int(x0), int(x1)

    def __call__(self, inputs: torch.Tensor,
                 targets: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        _check_batch(inputs, targets)
        height, width = inputs.shape[-2:]
        lam = float(np.random.beta(self.alpha, self.alpha))
        perm = torch.randperm(inputs.size(0), device=inputs.device)
        y0, y1, x0, x1 = self.box(height, width, lam)
        if self.correct_lam or self.cutmix_minmax is not None:
            lam = 1 - (y1 - y0) * (x1 - x0) / float(height * width)
        mixed = inputs.clone()
        mixed[:, :, y0:y1, x0:x1] = inputs[perm, :, y0:y1, x0:x1]
        return mixed, targets * lam + targets[perm] * (1 - lam)


@BATCH_AUGMENTS.register_module()
class ResizeMix(CutMix):
    """Paste the whole of ``x[perm]``, shrunk into a box, into ``x`` (Qin et al., "ResizeMix:
    Mixing Data with Preserved Object Information and True Labels", 2020).

    The box's side ratio is ``sqrt(1 - lam)`` with ``lam ~ Beta(alpha, alpha)`` rescaled to
    ``[lam_min, lam_max]``; targets mix by the pasted area, as in CutMix.

    Args:
        alpha: Beta parameter, > 0.
        lam_min, lam_max: range ``lam`` is rescaled to (0 <= lam_min <= lam_max <= 1).
        interpolation: ``torch.nn.functional.interpolate`` mode used to shrink the image.
        cutmix_minmax, correct_lam: as for :class:`CutMix`.
    """

    def __init__(self, alpha: float, lam_min: float = 0.1, lam_max: float = 0.8,
                 interpolation: str = 'bilinear',
                 cutmix_minmax: Optional[Sequence[float]] = None, correct_lam: bool = True):
        super().__init__(alpha, cutmix_minmax=cutmix_minmax, correct_lam=correct_lam)
        if not 0 <= lam_min <= lam_max <= 1:
            raise ModelConfigError(f'ResizeMix needs 0 <= lam_min <= lam_max <= 1; got '
                                   f'lam_min={lam_min}, lam_max={lam_max}.')
        modes = ('nearest', 'bilinear', 'bicubic', 'area', 'nearest-exact')
        if interpolation not in modes:
            raise ModelConfigError(f'ResizeMix interpolation must be one of {modes}; got '
                                   f'{interpolation!r}.')
        self.lam_min = float(lam_min)
        self.lam_max = float(lam_max)
        self.interpolation = interpolation

    def __call__(self, inputs: torch.Tensor,
                 targets: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        _check_batch(inputs, targets)
        height, width = inputs.shape[-2:]
        lam = float(np.random.beta(self.alpha, self.alpha))
        lam = lam * (self.lam_max - self.lam_min) + self.lam_min
        perm = torch.randperm(inputs.size(0), device=inputs.device)
        y0, y1, x0, x1 = self.box(height, width, lam)
        if self.correct_lam or self.cutmix_minmax is not None:
            lam = 1 - (y1 - y0) * (x1 - x0) / float(height * width)
        mixed = inputs.clone()
        if y1 > y0 and x1 > x0:
            align = False if self.interpolation in ('bilinear', 'bicubic') else None
            shrunk = F.interpolate(inputs[perm].float(), size=(y1 - y0, x1 - x0),
                                   mode=self.interpolation, align_corners=align)
            mixed[:, :, y0:y1, x0:x1] = shrunk.to(inputs.dtype)
        return mixed, targets * lam + targets[perm] * (1 - lam)

    def __repr__(self) -> str:
        return (f'ResizeMix(alpha={self.alpha}, lam_min={self.lam_min}, lam_max={self.lam_max}, '
                f'interpolation={self.interpolation!r})')


@BATCH_AUGMENTS.register_module()
class RandomBatchAugment:
    """Apply one of ``augments`` per batch, picked with ``probs`` (or none with the rest).

    Args:
        augments: batch augment configs/objects, e.g. ``[dict(type='Mixup', alpha=0.8),
            dict(type='CutMix', alpha=1.0)]``.
        probs: probability of each; None picks uniformly. If they sum to less than 1, the
            remainder leaves the batch unchanged: a ``None`` entry is appended to
            ``self.augments`` and the remainder to ``self.probs`` (as MMPretrain does).
    """

    def __init__(self, augments: Union[dict, Sequence[Union[dict, object]]],
                 probs: Optional[Union[float, Sequence[float]]] = None):
        if isinstance(augments, dict) or callable(augments):
            augments = [augments]
        self.augments: List = [
            BATCH_AUGMENTS.build(a) if isinstance(a, dict) else a for a in augments
        ]
        if not self.augments:
            raise ModelConfigError('RandomBatchAugment needs at least one augment.')
        self.probs: Optional[List[float]] = None
        if probs is not None:
            probs = [float(probs)] if isinstance(probs, Real) else [float(p) for p in probs]
            if len(probs) != len(self.augments):
                raise ModelConfigError(
                    f'RandomBatchAugment needs one probability per augment. Got '
                    f'{len(self.augments)} vs {len(probs)}: {len(self.augments)} augments but '
                    f'{len(probs)} probs.')
            total = sum(probs)
            if any(p < 0 for p in probs) or total > 1 + 1e-6:
                raise ModelConfigError(f'probs must be >= 0 and sum to at most 1; got {probs}, '
                                       f'whose total {total:g} exceeds 1.')
            if total < 1:
                self.augments.append(None)
                probs.append(1 - total)
            self.probs = probs

    def __call__(self, inputs: torch.Tensor,
                 targets: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        index = int(np.random.choice(len(self.augments), p=self.probs))
        augment = self.augments[index]
        if augment is None:
            return inputs, targets
        return augment(inputs, targets)

    def __repr__(self) -> str:
        return f'RandomBatchAugment(augments={self.augments}, probs={self.probs})'
