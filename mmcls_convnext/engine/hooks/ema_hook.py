"""``EMAHook``: mmengine's exponential moving average, with MMPretrain's evaluation switches.

Registered as ``'EMAHook'`` in our scope, so ``custom_hooks=[dict(type='EMAHook', ...)]`` in a
config with ``default_scope='mmcls_convnext'`` builds this class (mmengine's stays reachable as
``'mmengine.EMAHook'``). On top of mmengine's hook it

* takes MMPretrain 1.x's ``evaluate_on_ema`` / ``evaluate_on_origin`` arguments: validation and
  testing run on the EMA weights, the original weights, or both (the second pass is logged as
  ``<metric>_origin``);
* accepts a checkpoint that is loaded **before** ``before_run`` has built the EMA copy (as
  ``tools/test.py`` and user scripts do: ``runner.load_checkpoint(...)`` then ``runner.test()``):
  the EMA state is kept and put into the copy as soon as it exists;
* when a checkpoint with an ``ema_state_dict`` is loaded without resuming (``load_from``), the
  EMA weights are the ones the run starts from, as in MMPretrain;
* validates its arguments with clear errors instead of asserts, and looks through a TTA wrapper
  (``tools/test.py --tta``) to the model whose weights are averaged.

What a checkpoint holds (unchanged from mmengine): ``state_dict`` = the EMA weights (what
published files ship), ``ema_state_dict`` = the raw weights, keys prefixed with ``'module.'``.
"""
import copy
import logging
import warnings
from typing import Dict, Optional

from mmengine.hooks import EMAHook as MMEngineEMAHook
from mmengine.logging import print_log
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.registry import MODELS as MMENGINE_MODELS
from mmengine.runner.checkpoint import load_state_dict

from mmcls_convnext.registry import HOOKS


@HOOKS.register_module()
class EMAHook(MMEngineEMAHook):
    """Keep an exponential moving average of the model's weights and evaluate on it.

    ``ema = (1 - momentum) * ema + momentum * param`` after every training iteration (with the
    default ``ema_type='ExponentialMovingAverage'``); momentum 1e-4 is a decay of 0.9999.

    Args:
        ema_type: an averaged-model type of mmengine's MODELS registry
            (``'ExponentialMovingAverage'``, ``'MomentumAnnealingEMA'``, ...).
        strict_load: require the checkpoint's EMA keys to match the model exactly.
        begin_iter: first iteration that updates the average (copies the weights before it).
        begin_epoch: first epoch that updates the average; not together with ``begin_iter``.
        evaluate_on_ema: validate / test on the EMA weights.
        evaluate_on_origin: validate / test on the original weights (after the EMA pass when
            both are on). If both are False, the original weights are used, with a warning.
        **kwargs: arguments of the averaged model, e.g. ``momentum=1e-4``.

    Raises:
        ValueError: for a negative or doubly set ``begin_iter``/``begin_epoch``, a momentum
            outside (0, 1) or an unknown ``ema_type``.
    """

    def __init__(self, ema_type: str = 'ExponentialMovingAverage', strict_load: bool = False,
                 begin_iter: int = 0, begin_epoch: int = 0, evaluate_on_ema: bool = True,
                 evaluate_on_origin: bool = False, **kwargs) -> None:
        if begin_iter < 0 or begin_epoch < 0:
            raise ValueError(f'EMAHook: begin_iter and begin_epoch must be >= 0; got '
                             f'begin_iter={begin_iter}, begin_epoch={begin_epoch}.')
        if begin_iter and begin_epoch:
            raise ValueError('EMAHook: set begin_iter or begin_epoch, not both (got '
                             f'begin_iter={begin_iter}, begin_epoch={begin_epoch}).')
        momentum = kwargs.get('momentum')
        if momentum is not None and not 0 < momentum < 1:
            raise ValueError(f'EMAHook: momentum must be in (0, 1) (1e-4 = decay 0.9999); '
                             f'got {momentum}.')
        if isinstance(ema_type, str) and MMENGINE_MODELS.get(ema_type) is None:
            raise ValueError(f'EMAHook: unknown ema_type {ema_type!r}; use an averaged model of '
                             "mmengine.model such as 'ExponentialMovingAverage'.")
        if not evaluate_on_ema and not evaluate_on_origin:
            warnings.warn('EMAHook(evaluate_on_ema=False): evaluating on the original weights, '
                          'as if evaluate_on_origin=True. To skip validation altogether, change '
                          'train_cfg.val_interval instead.', UserWarning)
            evaluate_on_origin = True
        super().__init__(ema_type=ema_type, strict_load=strict_load, begin_iter=begin_iter,
                         begin_epoch=begin_epoch, **kwargs)
        self.evaluate_on_ema = bool(evaluate_on_ema)
        self.evaluate_on_origin = bool(evaluate_on_origin)
        self._pending_ema_state: Optional[dict] = None
        self._start_from_ema = False

    # ------------------------------------------------------------------ building
    def before_run(self, runner) -> None:
        """Build the EMA copy of the model; apply EMA weights of an earlier-loaded checkpoint."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if isinstance(model, BaseTTAModel):  # tools/test.py --tta wraps the classifier
            model = model.module
        self.src_model = model
        self.ema_model = MMENGINE_MODELS.build(self.ema_cfg,
                                               default_args=dict(model=self.src_model))
        if self._pending_ema_state is not None:
            self._load_ema_state(self._pending_ema_state)
            self._pending_ema_state = None

    def before_train(self, runner) -> None:
        """Check ``begin_*`` against the schedule; start from the EMA weights after load_from."""
        max_epochs, max_iters = runner.max_epochs, runner.max_iters
        if self.enabled_by_epoch and self.begin_epoch > max_epochs:
            raise ValueError(f'EMAHook: begin_epoch={self.begin_epoch} is after the last epoch '
                             f'({max_epochs}).')
        if not self.enabled_by_epoch and self.begin_iter > max_iters:
            raise ValueError(f'EMAHook: begin_iter={self.begin_iter} is after the last iteration '
                             f'({max_iters}).')
        if self._start_from_ema and not runner._resume:
            print_log('EMAHook: load_from held EMA weights; training starts from them.',
                      'current', logging.INFO)
            for p_ema, p_src in zip(self._averaged_tensors(self.ema_model.module),
                                    self._averaged_tensors(self.src_model)):
                p_src.data.copy_(p_ema.data)
        self._start_from_ema = False

    def _averaged_tensors(self, module):
        if self.ema_model.update_buffers:
            return list(module.parameters()) + list(module.buffers())
        return list(module.parameters())

    # ------------------------------------------------------------------ checkpoints
    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Take the EMA weights from ``checkpoint`` (now, or in ``before_run`` if not built yet).

        With an ``ema_state_dict`` (a training checkpoint) the two state dicts are swapped back,
        so the model loads the raw weights and the EMA copy the averaged ones. Without one (a
        published ``{'state_dict', 'meta'}`` file) the EMA copy starts from ``state_dict``.
        """
        if 'ema_state_dict' in checkpoint:
            self._swap_ema_state_dict(checkpoint)
            state = dict(kind='ema', weights=checkpoint['ema_state_dict'])
            self._start_from_ema = not runner._resume
        else:
            if runner._resume:
                print_log('EMAHook: the checkpoint has no ema_state_dict; the average starts '
                          'from its state_dict.', 'current', logging.WARNING)
            state = dict(kind='model', weights=copy.copy(checkpoint['state_dict']))
        if getattr(self, 'ema_model', None) is None:
            self._pending_ema_state = state  # loaded before before_run (tools/test.py)
        else:
            self._load_ema_state(state)

    def _load_ema_state(self, state: dict) -> None:
        if state['kind'] == 'ema':
            self.ema_model.load_state_dict(state['weights'], strict=self.strict_load)
        else:
            load_state_dict(self.ema_model.module, state['weights'], strict=self.strict_load)

    # ------------------------------------------------------------------ evaluation
    def before_val_epoch(self, runner) -> None:
        if self.evaluate_on_ema:
            self._swap_ema_parameters()

    def after_val_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if self.evaluate_on_ema:
            self._swap_ema_parameters()
            if self.evaluate_on_origin:
                self._evaluate_origin(runner, runner.val_loop, 'val')

    def before_test_epoch(self, runner) -> None:
        if self.evaluate_on_ema:
            self._swap_ema_parameters()

    def after_test_epoch(self, runner, metrics: Optional[Dict[str, float]] = None) -> None:
        if self.evaluate_on_ema:
            self._swap_ema_parameters()
            if self.evaluate_on_origin:
                self._evaluate_origin(runner, runner.test_loop, 'test')

    @staticmethod
    def _evaluate_origin(runner, loop, mode: str) -> Dict[str, float]:
        """Run ``loop`` again on the original weights; log the metrics as ``<key>_origin``."""
        runner.model.eval()
        for idx, data_batch in enumerate(loop.dataloader):
            loop.run_iter(idx, data_batch)
        metrics = loop.evaluator.evaluate(len(loop.dataloader.dataset))
        for key, value in metrics.items():
            runner.message_hub.update_scalar(f'{mode}/{key}_origin', value)
        shown = ', '.join(f'{k}: {v:.4f}' if isinstance(v, float) else f'{k}: {v}'
                          for k, v in metrics.items())
        print_log(f'EMAHook: {mode} metrics of the original (non-EMA) weights: {shown}',
                  'current', logging.INFO)
        return metrics
