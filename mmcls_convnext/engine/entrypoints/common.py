"""Shared pieces of the ``tools/train.py`` and ``tools/test.py`` entry points."""
import argparse
import os
import os.path as osp
from typing import Any, Dict, Optional

from mmengine.config import Config, DictAction

from mmcls_convnext.registry import RUNNERS

from ..config_compat import import_custom_modules, load_config_file, translate_config
from ..config_validation import validate_cfg_options, validate_config
from .cli_errors import run_cli, user_errors

LAUNCHERS = ['none', 'pytorch', 'slurm', 'mpi']


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by train and test."""
    parser.add_argument('--work-dir', help='directory for logs and checkpoints (default: '
                        'work_dirs/<config name>)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. train_cfg.max_epochs=10 '
                        'model.backbone.drop_path_rate=0.2 (typos are refused)')
    parser.add_argument('--amp', action='store_true', help='mixed precision: fp16 AMP on '
                        'CUDA, bf16 autocast on CPU')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none',
                        help='job launcher for distributed runs')
    parser.add_argument('--local-rank', '--local_rank', type=int, default=0,
                        help='set by torch.distributed.launch (torchrun uses LOCAL_RANK)')
    parser.add_argument('--debug', action='store_true',
                        help='show the full traceback of an error instead of one ERROR line')
    parser.add_argument('--trust-checkpoint', action=_RemovedTrustFlag, nargs=0, default=False,
                        help=argparse.SUPPRESS)


class _RemovedTrustFlag(argparse.Action):
    """``--trust-checkpoint`` (weights_only=False) was removed: say so instead of 'unknown'."""

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        parser.error('--trust-checkpoint was removed: checkpoints are never unpickled with '
                     'weights_only=False. Our own and mmengine training checkpoints load '
                     'without it; for another file, save its tensors as a plain state dict.')


def export_local_rank(local_rank: int) -> None:
    """``torch.distributed.launch`` passes ``--local-rank``; mmengine reads ``LOCAL_RANK``."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))


def load_config(path: str, cfg_options: Dict[str, Any]) -> Config:
    """Load, validate (typos -> ConfigKeyError), apply ``--cfg-options``, then translate
    MMPretrain / MMClassification 1.x names to ours (one log line; unknown types ->
    ConfigCompatError, see :mod:`mmcls_convnext.engine.config_compat`)."""
    if osp.isdir(path):
        found = sorted(n for n in os.listdir(path) if n.endswith('.py'))[:3]
        hint = f' (it holds {found})' if found else ''
        raise ValueError(f'Config path "{path}" is a directory, not a config file{hint}; pass '
                         'the path of one .py config file.')
    if not osp.isfile(path):
        raise FileNotFoundError(f'Config file "{path}" does not exist.')
    try:
        cfg = load_config_file(path)
    except SyntaxError as exc:  # mmengine parses the file with ast first
        where = f', line {exc.lineno}' if exc.lineno else ''
        text = f': {exc.text.strip()!r}' if exc.text else ''
        raise ValueError(f'Config file "{path}"{where} is not valid Python ({exc.msg}){text}. '
                         'Fix the syntax of the file.') from None
    validate_config(cfg)
    if cfg_options:
        validate_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
        validate_config(cfg)
        if any(key.split('.')[0] == 'custom_imports' for key in cfg_options):
            import_custom_modules(cfg)  # their modules register types the config may name
    return translate_config(cfg, source=path)[0]


def set_work_dir(cfg: Config, work_dir: Optional[str], config_path: str) -> None:
    """``--work-dir`` > ``cfg.work_dir`` > ``work_dirs/<config stem>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def build_runner(cfg: Config, hold_work_dir: Optional[bool] = None):
    """Build ``cfg.runner_type`` (default: our ``ClsRunner``) from the config.

    Args:
        cfg: the config.
        hold_work_dir: whether the run takes the work_dir lock (default: when it can train;
            ``tools/test.py`` passes False: evaluating never waits for a training run).
    """
    from ..registration import import_registering_modules
    import_registering_modules()  # the default scope is the Runner's to set
    if 'runner_type' not in cfg:
        from ..runner import ClsRunner
        return ClsRunner.from_cfg(cfg, hold_work_dir=hold_work_dir)
    return RUNNERS.build(cfg)


__all__ = ['LAUNCHERS', 'add_common_args', 'export_local_rank', 'load_config', 'set_work_dir',
           'build_runner', 'run_cli', 'user_errors']
