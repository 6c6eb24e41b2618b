"""``ClsRunner``: mmengine's Runner with safe checkpoint I/O and CPU-friendly distribution.

What it changes, and why (mmengine 0.10.7 on torch >= 2.6, see docs/troubleshooting.md):

* **atomic saves** - every checkpoint is written to a temp file, fsync'ed and renamed, so a
  crash never leaves a half-written ``epoch_N.pth``; a failed save raises
  :class:`CheckpointSaveError` and leaves earlier checkpoints intact.
* **safe loads** - ``--resume`` loads the run's checkpoints with ``weights_only=True`` plus a
  narrow allow-list (:data:`RUN_CHECKPOINT_SAFE_GLOBALS`); ``load_from`` and test checkpoints go
  through :func:`mmcls_convnext.zoo.load_checkpoint`. ``weights_only=False`` is only used with
  ``trust_checkpoint=True`` (``--trust-checkpoint``), and that is logged.
* **work_dir** is checked for writability before anything is built.
* **CPU distributed** - with ``launcher='pytorch'`` and no CUDA, the gloo process group is
  initialised here and DDP gets ``device_ids=None``.
* **default safety hooks** - :class:`FiniteLossHook` (stop on NaN/inf loss) and
  :class:`EpochReseedHook` (exact resume) are added unless the config already lists them; the
  train dataloader gets :func:`seed_worker` as its default ``worker_init_fn``.
"""
import copy
import os
import os.path as osp
from typing import Any, Callable, Dict, Optional, Union

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed, master_only
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmcls_convnext.registry import RUNNERS

from .checkpoint_io import (
    check_work_dir_writable,
    commit_atomically,
    find_latest_checkpoint,
    is_inside,
    load_run_checkpoint,
    load_untrusted_checkpoint,
    remove_stale_temp_files,
)
from .config_validation import validate_config
from .console import console_mode, install_console_filter
from .hooks.reseed_hook import seed_worker
from .message_hub_state import message_hub_from_plain, message_hub_to_plain
from .optimizers.cpu_amp_optim_wrapper import amp_optim_wrapper_cfg

_DEFAULT_SAFETY_HOOKS = ('FiniteLossHook', 'EpochReseedHook', 'DatasetCheckHook')


def _hook_type_name(hook: Union[dict, Any]) -> str:
    if isinstance(hook, dict):
        hook_type = hook.get('type', '')
        return hook_type if isinstance(hook_type, str) else getattr(hook_type, '__name__', '')
    return type(hook).__name__


@RUNNERS.register_module()
class ClsRunner(Runner):
    """mmengine ``Runner`` with atomic checkpoints, safe loading and gloo on CPU.

    Accepts every argument of :class:`mmengine.runner.Runner`, plus:

    Args:
        trust_checkpoint: allow ``weights_only=False`` for ``load_from`` (arbitrary code may run
            when the file is unpickled). Off by default; logged when used.
        add_safety_hooks: add :class:`FiniteLossHook`, :class:`EpochReseedHook` and
            :class:`DatasetCheckHook` when the config does not list them.
    """

    def __init__(self, *args: Any, trust_checkpoint: bool = False,
                 add_safety_hooks: bool = True, **kwargs: Any) -> None:
        work_dir = kwargs.get('work_dir', args[1] if len(args) > 1 else None)
        if work_dir is not None:
            check_work_dir_writable(osp.abspath(work_dir))
        self._trust_checkpoint = bool(trust_checkpoint)
        self._add_safety_hooks = bool(add_safety_hooks)
        self._resuming = False
        loader = kwargs.get('train_dataloader')
        if isinstance(loader, dict) and 'worker_init_fn' not in loader:
            loader = copy.deepcopy(loader)
            loader['worker_init_fn'] = dict(type=seed_worker)
            kwargs['train_dataloader'] = loader
        optim = kwargs.get('optim_wrapper')
        if (isinstance(optim, dict) and optim.get('type') == 'AmpOptimWrapper'
                and not torch.cuda.is_available()):
            # mmengine's AmpOptimWrapper asserts CUDA; bf16 -> CPU autocast, fp16 -> clear error
            kwargs['optim_wrapper'] = amp_optim_wrapper_cfg(optim, cuda=False)
        super().__init__(*args, **kwargs)
        if self._trust_checkpoint:
            self.logger.warning('trust_checkpoint=True: load_from files are unpickled with '
                                'weights_only=False (arbitrary code can run). Only use this for '
                                'files you produced yourself.')

    @classmethod
    def from_cfg(cls, cfg) -> 'ClsRunner':
        """Build from a config, validating its top-level keys first (typos -> ValueError)."""
        validate_config(cfg)
        trust = bool(cfg.get('trust_checkpoint', False))
        runner = super().from_cfg(cfg)
        if trust and not runner._trust_checkpoint:
            runner._trust_checkpoint = True
            runner.logger.warning('trust_checkpoint=True: load_from files are unpickled with '
                                  'weights_only=False (arbitrary code can run).')
        return runner

    # ------------------------------------------------------------------ environment
    def build_logger(self, log_level: Union[int, str] = 'INFO', log_file: Optional[str] = None,
                     **kwargs):
        """mmengine's logger; with ``log_console='brief'`` start-up blocks go to the file only."""
        logger = super().build_logger(log_level=log_level, log_file=log_file, **kwargs)
        install_console_filter(logger, console_mode(self.cfg))
        return logger

    def setup_env(self, env_cfg: Dict) -> None:
        """Initialise gloo ourselves on CPU-only machines (mmengine insists on CUDA)."""
        if self.distributed and not is_distributed() and not torch.cuda.is_available():
            if self.launcher != 'pytorch':
                raise ValueError(
                    f'launcher="{self.launcher}" needs CUDA GPUs; on a CPU-only machine use '
                    '--launcher pytorch with torchrun (gloo backend).')
            missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
                       if k not in os.environ]
            if missing:
                raise ValueError(
                    f'--launcher pytorch needs the environment variables {missing}; start the '
                    'script with torchrun (tools/dist_train.sh) instead of python.')
            timeout = env_cfg.get('dist_cfg', {}).get('timeout')
            extra = {}
            if timeout is not None:
                import datetime
                extra['timeout'] = datetime.timedelta(seconds=timeout)
            torch_dist.init_process_group(backend='gloo', **extra)
        super().setup_env(env_cfg)

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: torch.nn.Module):
        """On CPU, DDP must not receive ``device_ids`` (mmengine passes the local rank)."""
        if (self.distributed and not torch.cuda.is_available() and not is_model_wrapper(model)):
            wrapper_cfg = dict(type='MMDistributedDataParallel')
            if model_wrapper_cfg is not None:
                wrapper_cfg.update(model_wrapper_cfg)
            wrapper_cfg['device_ids'] = None
            model_wrapper_cfg = wrapper_cfg
        return super().wrap_model(model_wrapper_cfg, model)

    # ------------------------------------------------------------------ hooks
    def register_hooks(self, default_hooks=None, custom_hooks=None) -> None:
        """Add the safety hooks (NaN guard, reseeding, dataset checks) unless configured."""
        custom_hooks = list(custom_hooks or [])
        if self._add_safety_hooks:
            present = {_hook_type_name(h) for h in custom_hooks}
            for name in _DEFAULT_SAFETY_HOOKS:
                if name not in present:
                    custom_hooks.append(dict(type=name))
        super().register_hooks(default_hooks, custom_hooks)

    # ------------------------------------------------------------------ saving
    def call_hook(self, fn_name: str, **kwargs) -> None:
        """Call hooks; after ``before_save_checkpoint`` make the message hub plain data.

        With the message hub's ``HistoryBuffer``/numpy objects replaced by tensors and Python
        values, the file loads with a plain ``torch.load(weights_only=True)`` anywhere.
        """
        super().call_hook(fn_name, **kwargs)
        if fn_name == 'before_save_checkpoint' and 'message_hub' in kwargs['checkpoint']:
            checkpoint = kwargs['checkpoint']
            checkpoint['message_hub'] = message_hub_to_plain(checkpoint['message_hub'])

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, file_client_args=None,
                        save_optimizer: bool = True, save_param_scheduler: bool = True,
                        meta: Optional[dict] = None, by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """Save like mmengine, but atomically (temp file + fsync + rename) for local paths."""
        kwargs = dict(save_optimizer=save_optimizer, save_param_scheduler=save_param_scheduler,
                      meta=meta, by_epoch=by_epoch)
        if file_client_args is not None or backend_args is not None or '://' in out_dir:
            super().save_checkpoint(out_dir, filename, file_client_args=file_client_args,
                                    backend_args=backend_args, **kwargs)
            return
        final_path = osp.join(out_dir, filename)
        tmp_name = f'.{filename}.{os.getpid()}.tmp'

        def describe(exc: OSError, directory: str) -> str:
            return (f'Could not save checkpoint "{final_path}": {exc.strerror or exc}. Earlier '
                    f'checkpoints in "{out_dir}" are intact; free disk space or choose another '
                    '--work-dir, then --resume.')

        commit_atomically(final_path,
                          lambda _: super(ClsRunner, self).save_checkpoint(out_dir, tmp_name,
                                                                           **kwargs),
                          describe, tmp_path=osp.join(out_dir, tmp_name))

    # ------------------------------------------------------------------ loading
    def load_or_resume(self) -> None:
        """Resume from ``last_checkpoint`` (robust to a missing/stale pointer) or load weights."""
        if self._has_loaded:
            return
        if self.rank == 0:
            for path in remove_stale_temp_files(self.work_dir):
                self.logger.warning(f'Removed {path}, left by an interrupted checkpoint write.')
        if self._resume and self._load_from is None:
            latest = find_latest_checkpoint(self.work_dir)
            if latest is None:
                self.logger.info(f'--resume: no checkpoint in "{self.work_dir}", starting a new '
                                 'run.')
            else:
                self.logger.info(f'--resume: continuing from the latest checkpoint {latest}')
                self.resume(latest)
                self._has_loaded = True
            return
        super().load_or_resume()

    def resume(self, filename: str, resume_optimizer: bool = True,
               resume_param_scheduler: bool = True,
               map_location: Union[str, Callable] = 'default') -> None:
        """Resume training state; the file is read with the narrow allow-list loader."""
        if not is_inside(filename, self.work_dir):
            self.logger.warning(f'Resuming from "{filename}", outside this run\'s work_dir '
                                f'"{self.work_dir}"; it is loaded with weights_only=True and the '
                                'training-checkpoint allow-list.')
        loader = self.cfg.get('train_dataloader') or {}
        if loader.get('num_workers', 0) > 0 and loader.get('persistent_workers', False):
            self.logger.warning('Resuming with persistent_workers=True: the workers\' RNG '
                                'state is not restored, so augmentations after the resume '
                                'differ from an uninterrupted run. Use --no-persistent-workers '
                                'for a bit-exact resume.')
        self._resuming = True
        try:
            super().resume(filename, resume_optimizer, resume_param_scheduler, map_location)
        finally:
            self._resuming = False

    def _read_checkpoint(self, filename: str, map_location: Any) -> Dict[str, Any]:
        """Read ``filename`` with the loader its role calls for (see :meth:`load_checkpoint`)."""
        if self._trust_checkpoint:
            self.logger.warning(f'Loading "{filename}" with weights_only=False '
                                '(--trust-checkpoint).')
        if not self._resuming:
            return load_untrusted_checkpoint(filename, map_location=map_location,
                                             trust=self._trust_checkpoint)
        if self._trust_checkpoint:
            checkpoint = load_untrusted_checkpoint(filename, map_location=map_location,
                                                   trust=True)
        else:
            checkpoint = load_run_checkpoint(filename, map_location=map_location)
        if 'message_hub' in checkpoint:
            checkpoint['message_hub'] = message_hub_from_plain(checkpoint['message_hub'])
        return checkpoint

    def load_checkpoint(self, filename: str, map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False, revise_keys: list = [(r'^module.', '')]  # noqa: B006
                        ) -> Dict[str, Any]:
        """Load weights safely.

        During ``resume`` the file is a training checkpoint: ``weights_only=True`` with the
        allow-list, and every key must match. Otherwise (``load_from``, ``tools/test.py``) it is a
        user file: the zoo loader (``weights_only=True``). ``trust_checkpoint`` switches both to
        ``weights_only=False`` (logged). With ``strict=False`` a head of another shape is dropped
        with a warning (fine-tuning on new classes); ``strict=True`` makes it an error.
        """
        if map_location == 'default' or callable(map_location):
            map_location = 'cpu'
        checkpoint = self._read_checkpoint(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        if isinstance(model, BaseTTAModel):  # tools/test.py --tta: weights of the wrapped model
            model = model.module
        if self._resuming:
            checkpoint = _load_checkpoint_to_model(model, checkpoint, strict=True,
                                                   revise_keys=revise_keys)
        else:
            from mmcls_convnext.zoo import CheckpointError, load_model_weights
            try:
                load_model_weights(model, checkpoint, allow_head_mismatch=not strict)
            except CheckpointError as exc:  # name the file: the zoo only saw a dict
                raise type(exc)(f'{filename}: {exc}') from exc
        self._has_loaded = True
        self.logger.info(f'Loaded checkpoint from {filename}')
        return checkpoint




__all__ = ['ClsRunner']
