"""``ClsRunner``: mmengine's Runner with safe checkpoint I/O and CPU-friendly distribution.

What it changes, and why (mmengine 0.10.7 on torch >= 2.6, see docs/troubleshooting.md):

* **one run per work_dir** - a training runner holds an OS lock on its work_dir
  (:class:`WorkDirLock`); a second training run into it is refused with the holder's pid and
  command. The lock goes away with the process (also after ``kill -9``).
* **atomic saves of plain data** - every checkpoint is converted to plain data
  (:func:`mmcls_convnext.checkpoint.to_plain`: message hub, numpy values, RNG states), written
  to a temp file, fsync'ed and renamed, so a crash never leaves a half-written ``epoch_N.pth``
  and the file loads with a plain ``torch.load(weights_only=True)``. A failed save raises
  :class:`CheckpointSaveError` and leaves earlier checkpoints intact; Ctrl-C during a save is a
  ``KeyboardInterrupt``, not mmengine's "Failed to format the config file".
* **safe loads** - every file is read under the package's one policy (``weights_only=True``;
  never ``False``). A resume is marked by its argument (:class:`RunCheckpoint`), not by runner
  state: the run's own checkpoint is read by :func:`mmcls_convnext.checkpoint.read_run_checkpoint`
  and restores every key strictly; ``load_from`` and ``tools/test.py`` files are weights, read
  by :func:`mmcls_convnext.weights.read_weights_file` and loaded with the explained key
  matching of :func:`mmcls_convnext.weights.load_model_weights`.
* **work_dir** is checked for writability before anything is built.
* **CPU distributed** - with ``launcher='pytorch'`` and no CUDA, the gloo process group is
  initialised here and DDP gets ``device_ids=None``.
* **default safety hooks** - :class:`FiniteLossHook` (stop on NaN/inf loss),
  :class:`EpochReseedHook` (exact resume) and :class:`DatasetCheckHook` (class maps, labels vs
  ``num_classes``) are added unless the config already lists them; the train dataloader gets
  :func:`seed_worker` as its default ``worker_init_fn``.
"""
import copy
import os
import os.path as osp
import time
from contextvars import ContextVar
from typing import Any, Callable, Dict, Optional, Sequence, Union

import torch
import torch.distributed as torch_dist
from mmengine.dist import get_dist_info, is_distributed, master_only
from mmengine.logging import MMLogger
from mmengine.model import BaseTTAModel, is_model_wrapper
from mmengine.runner import Runner
from mmengine.runner.checkpoint import _load_checkpoint_to_model

from mmcls_convnext.checkpoint import (
    CheckpointError,
    commit_atomically,
    read_run_checkpoint,
    remove_stale_temp_files,
    to_plain,
)
from mmcls_convnext.config import load_config
from mmcls_convnext.registry import RUNNERS
from mmcls_convnext.weights import download_weights, is_url, load_model_weights, read_weights_file

from .console import console_mode, install_console_filter
from .hooks.reseed_hook import seed_worker
from .optimizers.cpu_amp_optim_wrapper import amp_optim_wrapper_cfg
from .work_dir import WorkDirLock, check_work_dir_writable, find_latest_checkpoint

_DEFAULT_SAFETY_HOOKS = ('FiniteLossHook', 'EpochReseedHook', 'DatasetCheckHook')
_RANK_VARS = {'pytorch': 'RANK', 'slurm': 'SLURM_PROCID', 'mpi': 'OMPI_COMM_WORLD_RANK'}
# from_cfg(cfg, hold_work_dir=...) -> __init__: mmengine's from_cfg passes a fixed argument list
_HOLD_FROM_CFG: ContextVar[Optional[bool]] = ContextVar('hold_work_dir', default=None)


class RunCheckpoint(str):
    """The path of a training checkpoint being resumed.

    :meth:`ClsRunner.resume` hands mmengine's ``Runner.resume`` this ``str`` subclass, and
    mmengine passes it on to :meth:`ClsRunner.load_checkpoint`: the argument itself says that
    the file must restore the run exactly, so no runner attribute has to be set and reset.
    """


def _hook_type_name(hook: Union[dict, Any]) -> str:
    if isinstance(hook, dict):
        hook_type = hook.get('type', '')
        return hook_type if isinstance(hook_type, str) else getattr(hook_type, '__name__', '')
    return type(hook).__name__


def _launch_rank(launcher: str) -> int:
    """This process's global rank as the launcher set it (before the process group exists)."""
    value = os.environ.get(_RANK_VARS.get(launcher, ''), '0')
    return int(value) if value.isdigit() else 0


@RUNNERS.register_module()
def _next_second() -> str:
    time.sleep(max(0.0, 1.0 - time.time() % 1.0) + 0.01)
    return time.strftime('%Y%m%d_%H%M%S', time.localtime())


def claim_run_folder(work_dir: str, stamp: str,
                     taken: Callable[[str], bool] = lambda stamp: False) -> str:
    """Create ``<work_dir>/<stamp>`` for this run and return ``stamp``; when that folder exists
    already (another run, maybe another process started in the same second) or ``taken(stamp)``
    says so, wait for the next second and try that. The folder is claimed by ``os.makedirs``,
    which fails for all but one of several processes creating it at once: two runs never share
    a log folder, log file or metrics json."""
    while True:
        if not taken(stamp):
            try:
                os.makedirs(osp.join(work_dir, stamp))
                return stamp
            except FileExistsError:
                pass
        stamp = _next_second()


def available_cores() -> int:
    """CPU cores this process may run on (its affinity mask; ``os.cpu_count()`` where the
    platform has none)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS / Windows
        return max(1, os.cpu_count() or 1)


def cap_num_workers(kwargs: Dict[str, Any]) -> Optional[str]:
    """Lower each dataloader's ``num_workers`` to the available cores (in ``kwargs``, on
    copies of the dataloader dicts); returns the one log line saying so, or None.

    More worker processes than cores only compete for them (PyTorch warns on every dataloader
    it builds, e.g. ``num_workers=4`` of the recipes on a 2-core machine).
    """
    cores, changed = available_cores(), []
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = kwargs.get(name)
        workers = loader.get('num_workers', 0) if isinstance(loader, dict) else 0
        if isinstance(workers, int) and workers > cores:
            loader = copy.deepcopy(loader)
            loader['num_workers'] = cores
            kwargs[name] = loader
            changed.append(f'{name} {workers} -> {cores}')
    if not changed:
        return None
    return (f'num_workers capped to the {cores} available CPU core(s) (os.sched_getaffinity): '
            f'{", ".join(changed)}; more worker processes than cores only compete for them.')


def drop_idle_persistent_workers(kwargs: Dict[str, Any]) -> Optional[str]:
    """Set ``persistent_workers=False`` for each dataloader with ``num_workers=0`` (in
    ``kwargs``, on copies of the dataloader dicts); returns the one log line saying so, or None.

    torch refuses the pair ("persistent_workers option needs num_workers > 0"), which a user
    meets by setting ``num_workers=0`` on a base that keeps its workers, as several of
    MMPretrain's dataset bases do.
    """
    changed = []
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = kwargs.get(name)
        if (isinstance(loader, dict) and loader.get('persistent_workers')
                and loader.get('num_workers', 0) == 0):
            loader = copy.deepcopy(loader)
            loader['persistent_workers'] = False
            kwargs[name] = loader
            changed.append(name)
    if not changed:
        return None
    return (f'persistent_workers=True set to False for {", ".join(changed)}: they have '
            'num_workers=0, so there are no worker processes to keep (torch refuses the pair).')


#: files a run writes into its timestamp folder before its first iteration (relative paths)
def _start_up_files(timestamp: str) -> set:
    return {f'{timestamp}.log', osp.join('vis_data', 'config.py'),
            osp.join('vis_data', 'scalars.json'), osp.join('vis_data', f'{timestamp}.json')}


def remove_unused_run_folder(runner: Runner, also: Sequence[str] = ()) -> bool:
    """Remove the timestamp folder (``runner.log_dir``) of a run that failed before doing any
    work, so failed attempts do not pile up in the work_dir.

    Only a folder holding nothing but the start-up files (the log, ``vis_data/config.py`` and
    empty scalar logs) is removed; one with anything else (a checkpoint, a picture, a user's
    file) is kept; ``also``: more start-up files (relative paths; ``tools/test.py``'s config
    dump). Rank 0 only. Returns whether the folder was removed.
    """
    import shutil
    log_dir = getattr(runner, '_log_dir', None)
    if get_dist_info()[0] != 0 or not log_dir or not osp.isdir(log_dir):
        return False
    allowed, found = _start_up_files(runner.timestamp) | set(also), set()
    for dirpath, _, files in os.walk(log_dir):
        found.update(osp.relpath(osp.join(dirpath, f), log_dir) for f in files)
    if not found <= allowed:
        return False
    for handler in list(runner.logger.handlers):  # close the log file before removing it
        if getattr(handler, 'baseFilename', '').startswith(osp.abspath(log_dir)):
            handler.close()
            runner.logger.removeHandler(handler)
    shutil.rmtree(log_dir, ignore_errors=True)
    runner.logger.warning(f'The run failed before its first iteration: removed its folder '
                          f'{log_dir} (it held only the start-up log; the error follows).')
    return True


class ClsRunner(Runner):
    """mmengine ``Runner`` with a held work_dir, atomic plain-data checkpoints, safe loading
    and gloo on CPU.

    Accepts every argument of :class:`mmengine.runner.Runner`, plus:

    Args:
        add_safety_hooks: add :class:`FiniteLossHook`, :class:`EpochReseedHook` and
            :class:`DatasetCheckHook` when the config does not list them.
        hold_work_dir: take the work_dir lock (:class:`WorkDirLock`) for this run. Default:
            when the runner can train (``train_cfg`` and ``train_dataloader`` given). Pass
            False for a runner that only evaluates. Only global rank 0 takes it.
    """

    def __init__(self, *args: Any, add_safety_hooks: bool = True,
                 hold_work_dir: Optional[bool] = None, **kwargs: Any) -> None:
        work_dir = kwargs.get('work_dir', args[1] if len(args) > 1 else None)
        self._work_dir_lock: Optional[WorkDirLock] = None
        if hold_work_dir is None:
            hold_work_dir = _HOLD_FROM_CFG.get()
        if work_dir is not None:
            check_work_dir_writable(osp.abspath(work_dir))
            trains = kwargs.get('train_cfg') is not None and kwargs.get(
                'train_dataloader') is not None
            if (trains if hold_work_dir is None else hold_work_dir) and _launch_rank(
                    kwargs.get('launcher', 'none')) == 0:
                # before mmengine writes anything (log file, config dump) into the folder
                self._work_dir_lock = WorkDirLock(osp.abspath(work_dir))
        self._add_safety_hooks = bool(add_safety_hooks)
        capped = cap_num_workers(kwargs)
        idle = drop_idle_persistent_workers(kwargs)
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
        self._trained_an_iter = False
        try:
            super().__init__(*args, **kwargs)
        except BaseException:
            self.release_work_dir()
            raise
        for line in (capped, idle):
            if line:
                self.logger.info(line)

    @classmethod
    def from_cfg(cls, cfg, hold_work_dir: Optional[bool] = None) -> 'ClsRunner':
        """Build from a config. One from :func:`mmcls_convnext.config.load_config` (every tool's
        way in) is used as it is; any other (a raw ``Config`` or dict) is loaded here:
        top-level keys validated (typos -> ValueError), MMPretrain / MMClassification 1.x names
        translated to ours.

        Args:
            cfg: the config.
            hold_work_dir: as for the constructor (default: when the runner can train).
        """
        cfg = load_config(cfg)  # no-op for a loaded config
        token = _HOLD_FROM_CFG.set(hold_work_dir)
        try:
            return super().from_cfg(cfg)
        finally:
            _HOLD_FROM_CFG.reset(token)

    def release_work_dir(self) -> None:
        """Release the work_dir lock (done when :meth:`train` returns or raises)."""
        if self._work_dir_lock is not None:
            self._work_dir_lock.release()
            self._work_dir_lock = None

    def train(self) -> torch.nn.Module:
        """Train (mmengine's loop); the work_dir is released however it ends, and a run that
        fails before its first iteration leaves no timestamp folder behind
        (:func:`remove_unused_run_folder`)."""
        try:
            return super().train()
        except BaseException:
            if not self._trained_an_iter:
                remove_unused_run_folder(self)
            raise
        finally:
            self.release_work_dir()

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
        self._make_timestamp_unique()

    def _make_timestamp_unique(self) -> None:
        """Give this run a timestamp no earlier run in this process or work_dir has.

        mmengine names the run's log folder ``<work_dir>/<timestamp>`` and its logger, message
        hub and visualizer instances ``<config name>_<timestamp>``, with one-second resolution.
        Two runs started within one second (a sweep in a notebook, a test run right after
        training, two ``tools/test.py`` in one work_dir) would share the first run's logger -
        writing into its log file - or its log folder and metrics json. Rank 0 claims the
        folder atomically (:func:`claim_run_folder`), waiting for the next free second, and
        shares the stamp with the other ranks.
        """
        def taken(stamp: str) -> bool:
            return any(name == stamp or name.endswith('_' + stamp)
                       for name in MMLogger._instance_dict)

        rank, _ = get_dist_info()
        stamp = self._timestamp
        if rank == 0:
            stamp = claim_run_folder(self._work_dir, stamp, taken)
        if self.distributed:
            shared = [stamp]
            torch_dist.broadcast_object_list(shared, src=0)
            stamp = shared[0]
        self._timestamp = stamp

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
        """Call hooks; after ``before_save_checkpoint`` turn the checkpoint into plain data.

        Everything the hooks added is converted too (message hub, numpy values, RNG states),
        so the file loads with a plain ``torch.load(weights_only=True)`` anywhere.
        """
        super().call_hook(fn_name, **kwargs)
        if fn_name == 'after_train_iter':
            self._trained_an_iter = True
        if fn_name == 'before_save_checkpoint':
            checkpoint = kwargs['checkpoint']
            plain, dropped = to_plain(dict(checkpoint))
            checkpoint.clear()
            checkpoint.update(plain)
            if dropped:
                self.logger.debug(f'Not saved (functions are rebuilt from the config): {dropped}')

    @master_only
    def save_checkpoint(self, out_dir: str, filename: str, file_client_args=None,
                        save_optimizer: bool = True, save_param_scheduler: bool = True,
                        meta: Optional[dict] = None, by_epoch: bool = True,
                        backend_args: Optional[dict] = None) -> None:
        """Save like mmengine, but atomically (temp file + fsync + rename) for local paths."""
        kwargs = dict(save_optimizer=save_optimizer, save_param_scheduler=save_param_scheduler,
                      meta=meta, by_epoch=by_epoch)
        remote = is_url(out_dir, schemes=None)  # s3://, petrel://, ...: mmengine's backends
        if file_client_args is not None or backend_args is not None or remote:
            super().save_checkpoint(out_dir, filename, file_client_args=file_client_args,
                                    backend_args=backend_args, **kwargs)
            return
        final_path = osp.join(out_dir, filename)

        def write(tmp_path: str) -> None:
            try:
                super(ClsRunner, self).save_checkpoint(out_dir, osp.basename(tmp_path), **kwargs)
            except SyntaxError as exc:  # mmengine turns Ctrl-C inside yapf into this
                if isinstance(exc.__context__, KeyboardInterrupt):
                    raise KeyboardInterrupt(f'while saving {final_path}') from None
                raise

        def describe(exc: OSError, directory: str) -> str:
            return (f'Could not save checkpoint "{final_path}": {exc.strerror or exc}. Earlier '
                    f'checkpoints in "{out_dir}" are intact; free disk space or choose another '
                    '--work-dir, then --resume.')

        commit_atomically(final_path, write, describe,
                          tmp_path=osp.join(out_dir, f'.{filename}.{os.getpid()}.tmp'))

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
        """Resume training state from ``filename`` (read safely, restored strictly)."""
        loader = self.cfg.get('train_dataloader') or {}
        if loader.get('num_workers', 0) > 0 and loader.get('persistent_workers', False):
            self.logger.warning('Resuming with persistent_workers=True: the workers\' RNG '
                                'state is not restored, so augmentations after the resume '
                                'differ from an uninterrupted run. Use --no-persistent-workers '
                                'for a bit-exact resume.')
        try:
            super().resume(RunCheckpoint(filename), resume_optimizer, resume_param_scheduler,
                           map_location)
        except ValueError as err:
            if 'parameter group' not in str(err):  # torch.optim.Optimizer.load_state_dict's
                raise
            groups = getattr(self.optim_wrapper, 'param_groups', None)
            made = f' (this config makes {len(groups)})' if groups is not None else ''
            raise CheckpointError(
                f'Cannot resume from {filename}: its optimizer state does not fit the optimizer '
                f'this config builds: {err}{made}. The optimizer\'s param groups changed since '
                'the checkpoint was written: another optim_wrapper.paramwise_cfg or constructor '
                '(e.g. layer-wise lr decay, which makes one group per parameter), or a '
                'checkpoint of an older version of the constructor. Resume with the config '
                'that wrote it, or continue from its weights only with --cfg-options '
                f'load_from={filename} (the optimizer state and schedule start afresh).'
            ) from err

    def load_checkpoint(self, filename: str, map_location: Union[str, Callable] = 'cpu',
                        strict: bool = False, revise_keys: list = [(r'^module.', '')]  # noqa: B006
                        ) -> Dict[str, Any]:
        """Load a checkpoint file (path or URL), read under the package's one safe policy.

        A :class:`RunCheckpoint` (from :meth:`resume`) is the run's own training checkpoint
        (:func:`read_run_checkpoint`; a URL is downloaded first) and every weight must match.
        Any other file (``load_from``, ``tools/test.py``) is weights
        (:func:`read_weights_file`), loaded with the explained key matching of
        :func:`load_model_weights`: with ``strict=False`` a head of another shape is dropped
        with a warning (fine-tuning on new classes); ``strict=True`` makes it an error.
        """
        if map_location == 'default' or callable(map_location):
            map_location = 'cpu'
        resuming = isinstance(filename, RunCheckpoint)
        if resuming:
            local = download_weights(filename) if is_url(filename) else filename
            checkpoint = read_run_checkpoint(local, map_location)
        else:
            checkpoint = read_weights_file(filename, map_location)
        self.call_hook('after_load_checkpoint', checkpoint=checkpoint)
        model = self.model.module if is_model_wrapper(self.model) else self.model
        if isinstance(model, BaseTTAModel):  # tools/test.py --tta: weights of the wrapped model
            model = model.module
        if resuming:
            checkpoint = _load_checkpoint_to_model(model, checkpoint, strict=True,
                                                   revise_keys=revise_keys)
        else:
            load_model_weights(model, checkpoint, allow_head_mismatch=not strict,
                               source=str(filename))
        self._has_loaded = True
        self.logger.info(f'Loaded checkpoint from {filename}')
        return checkpoint


__all__ = ['ClsRunner', 'available_cores', 'cap_num_workers', 'remove_unused_run_folder']
