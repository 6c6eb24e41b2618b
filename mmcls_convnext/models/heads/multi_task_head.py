"""``MultiTaskHead``: one head per task on a shared feature, with per-task loss masking."""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule, ModuleDict

from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import MultiTaskDataSample

from ..errors import ModelConfigError, TargetError


def _check_samples(data_samples, owner: str) -> None:
    if isinstance(data_samples, MultiTaskDataSample) or not isinstance(data_samples, Sequence):
        raise TargetError(f'{owner}.loss needs a list of MultiTaskDataSample, one per image; got '
                          f'{type(data_samples).__name__}.')
    for i, sample in enumerate(data_samples):
        if not isinstance(sample, MultiTaskDataSample):
            raise TargetError(f'{owner}: data sample {i} is a {type(sample).__name__}; a '
                              f'multi-task head needs MultiTaskDataSample (nested task groups '
                              f'need a MultiTaskDataSample per group).')


def _select(inputs, mask: torch.Tensor):
    """``inputs`` (a tensor or nested tuples/lists of tensors) restricted to ``mask`` rows."""
    if isinstance(inputs, torch.Tensor):
        return inputs[mask]
    return type(inputs)(_select(x, mask) for x in inputs)


def _first_tensor(inputs) -> torch.Tensor:
    return inputs if isinstance(inputs, torch.Tensor) else _first_tensor(inputs[0])


@MODELS.register_module()
class MultiTaskHead(BaseModule):
    """Several task heads on the same features (MMPretrain's ``MultiTaskHead``).

    Each value of ``task_heads`` is a head config (or module); the other keyword arguments
    (e.g. ``in_channels``, ``loss``) are default arguments of every task head, so a task config
    may give only what differs (``dict(type='LinearClsHead', num_classes=3)``). A task head may
    itself be a ``MultiTaskHead`` (nested task groups).

    Loss keys are ``{task}_loss`` (nested: ``{group}_{task}_loss``) and ``{task}_mask_size``, the
    number of images of the batch annotated for that task: an image whose
    :class:`MultiTaskDataSample` lacks a task is left out of that task's loss (a zero loss when
    no image of the batch has it). ``predict`` returns one MultiTaskDataSample per image whose
    task fields carry the task heads' predictions; ``eval_mask`` (metainfo) says whether the
    image was annotated for the task.

    Args:
        task_heads: ``{task_name: head config or module}``.
        init_cfg: mmengine init config.
        **kwargs: default arguments of every task head.
    """

    def __init__(self, task_heads: Dict[str, dict], init_cfg: Optional[dict] = None,
                 **kwargs):
        super().__init__(init_cfg=init_cfg)
        if not isinstance(task_heads, dict) or not task_heads:
            raise ModelConfigError(f'MultiTaskHead task_heads must be a non-empty dict '
                                   f'{{task_name: head config}}; got {task_heads!r}.')
        heads = {}
        for name, head in task_heads.items():
            if not isinstance(name, str) or not name.isidentifier():
                raise ModelConfigError(f'MultiTaskHead task name {name!r} must be a Python '
                                       f'identifier (it becomes a data sample field).')
            if isinstance(head, nn.Module):
                heads[name] = head
            elif isinstance(head, dict):
                heads[name] = MODELS.build(head, default_args=kwargs)
            else:
                raise ModelConfigError(f'MultiTaskHead task {name!r}: expected a head config '
                                       f'dict or module; got {head!r}.')
        self.task_heads = ModuleDict(heads)

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> dict:
        """``{task_name: that head's output}`` (nested dicts for nested groups)."""
        return {name: head(feats) for name, head in self.task_heads.items()}

    def loss(self, feats: Tuple[torch.Tensor, ...], data_samples: Sequence[MultiTaskDataSample],
             **kwargs) -> dict:
        _check_samples(data_samples, 'MultiTaskHead')
        losses = {}
        for name, head in self.task_heads.items():
            if isinstance(head, MultiTaskHead):
                part = head.loss(feats, [s.get(name, MultiTaskDataSample())
                                         for s in data_samples], **kwargs)
            else:
                part = self._task_loss(head, name, feats, data_samples, **kwargs)
            losses.update({f'{name}_{key}': value for key, value in part.items()})
        return losses

    @staticmethod
    def _task_loss(head: nn.Module, name: str, feats, data_samples, **kwargs) -> dict:
        mask = torch.tensor([name in s for s in data_samples], dtype=torch.bool)
        if not mask.any():
            # a zero that still depends on the features, so backward() works for the batch
            zero = (_first_tensor(feats) * 0).sum()
            return dict(loss=zero, mask_size=torch.tensor(0, device=zero.device))
        first = _first_tensor(feats)
        part = head.loss(_select(feats, mask.to(first.device)),
                         [s.get(name) for s in data_samples if name in s], **kwargs)
        part['mask_size'] = mask.sum().to(device=first.device, dtype=torch.float)
        return part

    def predict(self, feats: Tuple[torch.Tensor, ...],
                data_samples: Optional[Sequence[Optional[MultiTaskDataSample]]] = None
                ) -> List[MultiTaskDataSample]:
        """One :class:`MultiTaskDataSample` per image holding every task's prediction.

        A task sample already present in ``data_samples`` (e.g. with its ``gt_label``) is
        updated in place by its head; a missing one is created.
        """
        batch_size = _first_tensor(feats).shape[0]
        if data_samples is None:
            data_samples = [None] * batch_size
        data_samples = [MultiTaskDataSample() if s is None else s for s in data_samples]
        for name, head in self.task_heads.items():
            given = [s.get(name) if name in s else None for s in data_samples]
            for sample, pred, old in zip(data_samples, head.predict(feats, given), given):
                pred.set_field(old is not None, 'eval_mask', field_type='metainfo')
                if old is None:
                    sample.set_field(pred, name)
        return data_samples
