"""``PreciseBNHook``: recompute BatchNorm statistics over many training batches (Wu & Johnson,
"Rethinking 'Batch' in BatchNorm", 2021)."""
import itertools
import logging
from typing import Optional

import mmengine.dist
import torch
import torch.distributed
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop
from torch.nn import GroupNorm
from torch.nn.modules.batchnorm import _BatchNorm
from torch.nn.modules.instancenorm import _InstanceNorm

from mmcls_convnext.registry import HOOKS


class PreciseBNError(ValueError, AssertionError):
    """A bad PreciseBNHook argument (also the ``AssertionError`` MMPretrain raises)."""


@torch.no_grad()
def update_bn_stats(model: torch.nn.Module, loader, num_samples: int = 8192,
                    logger=None) -> Optional[int]:
    """Set every training-mode BN layer's running mean/var to the average over batches.

    ``num_samples // (batch_size * world_size)`` batches of ``loader`` are run (at least one, at
    most the whole loader); for each BN layer the running mean becomes the mean of the batch
    means and the running variance the mean of the batch variances (BatchNorm's own unbiased
    estimate), averaged over processes too. Other norm layers (GN, IN) are left alone.

    Returns:
        The number of batches used, or None when the model has no BN layer in training mode.
    """
    if is_model_wrapper(model):
        model = model.module
    _, world_size = mmengine.dist.get_dist_info()
    batch_size = loader.batch_size or 1
    num_iter = min(num_samples // (batch_size * world_size), len(loader))
    if num_iter < 1:
        print_log(f'PreciseBN: num_samples={num_samples} is less than one batch '
                  f'({batch_size} x {world_size} processes); using one batch.', logger=logger,
                  level=logging.WARNING)
        num_iter = 1
    bn_layers = [m for m in model.modules() if m.training and isinstance(m, _BatchNorm)]
    if not bn_layers:
        print_log('PreciseBN: no BN layer in training mode found in the model.', logger=logger,
                  level=logging.WARNING)
        return None
    others = [m for m in model.modules()
              if m.training and isinstance(m, (_InstanceNorm, GroupNorm))]
    if others:
        print_log(f'PreciseBN: {len(others)} IN/GN layers keep their statistics (only BN is '
                  f'recomputed).', logger=logger, level=logging.WARNING)
    print_log(f'PreciseBN: {len(bn_layers)} BN layers, {num_iter} batches.', logger=logger)
    momenta = [bn.momentum for bn in bn_layers]
    for bn in bn_layers:
        bn.momentum = 1.0  # running stats = this batch's stats
    means = [torch.zeros_like(bn.running_mean) for bn in bn_layers]
    variances = [torch.zeros_like(bn.running_var) for bn in bn_layers]
    used = 0
    for data in itertools.islice(loader, num_iter):
        data = model.data_preprocessor(data, False)
        model(**data)
        for i, bn in enumerate(bn_layers):
            means[i] += bn.running_mean / num_iter
            variances[i] += bn.running_var / num_iter
        used += 1
    if used != num_iter:
        for bn, momentum in zip(bn_layers, momenta):
            bn.momentum = momentum
        raise RuntimeError(f'PreciseBN: the dataloader ended after {used} of {num_iter} '
                           f'batches.')
    for i, bn in enumerate(bn_layers):
        if world_size > 1:
            torch.distributed.all_reduce(means[i], op=torch.distributed.ReduceOp.SUM)
            torch.distributed.all_reduce(variances[i], op=torch.distributed.ReduceOp.SUM)
            means[i] /= world_size
            variances[i] /= world_size
        bn.running_mean = means[i]
        bn.running_var = variances[i]
        bn.momentum = momenta[i]
    return num_iter


@HOOKS.register_module()
class PreciseBNHook(Hook):
    """Recompute BN statistics with :func:`update_bn_stats` after every ``interval`` training
    epochs (epoch-based loops) or iterations (iteration-based loops), so that validation and
    the saved checkpoint use statistics of the final weights rather than an EMA over weights
    that kept changing.

    Args:
        num_samples: training samples to run through the model (over all processes).
        interval: how often, in epochs or iterations.
    """

    priority = 'ABOVE_NORMAL'

    def __init__(self, num_samples: int = 8192, interval: int = 1) -> None:
        for name, value in (('num_samples', num_samples), ('interval', interval)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise PreciseBNError(f'PreciseBNHook {name} must be an int > 0; got {value!r}.')
        self.num_samples = num_samples
        self.interval = interval

    def _perform_precise_bn(self, runner) -> None:
        update_bn_stats(runner.model, runner.train_dataloader, self.num_samples, runner.logger)

    def after_train_epoch(self, runner) -> None:
        if isinstance(runner.train_loop, EpochBasedTrainLoop) and \
                self.every_n_epochs(runner, self.interval):
            self._perform_precise_bn(runner)

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        if isinstance(runner.train_loop, IterBasedTrainLoop) and \
                self.every_n_train_iters(runner, self.interval):
            self._perform_precise_bn(runner)
