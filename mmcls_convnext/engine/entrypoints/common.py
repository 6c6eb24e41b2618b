"""Shared pieces of the ``tools/train.py`` and ``tools/test.py`` entry points."""
import argparse
import os
import os.path as osp
import sys
from typing import Any, Callable, Dict, List, Optional

from mmengine.config import Config, DictAction

from mmcls_convnext.registry import RUNNERS, SCOPE

from ..config_validation import ConfigKeyError, validate_cfg_options, validate_config

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
    parser.add_argument('--trust-checkpoint', action='store_true',
                        help='allow weights_only=False for the checkpoint / load_from file '
                        '(arbitrary code can run; only for files you produced)')


def export_local_rank(local_rank: int) -> None:
    """``torch.distributed.launch`` passes ``--local-rank``; mmengine reads ``LOCAL_RANK``."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))


def load_config(path: str, cfg_options: Dict[str, Any]) -> Config:
    """Load, validate (typos -> ConfigKeyError) and apply ``--cfg-options``."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Config file "{path}" does not exist.')
    cfg = Config.fromfile(path)
    validate_config(cfg)
    if cfg_options:
        validate_cfg_options(cfg, cfg_options)
        cfg.merge_from_dict(cfg_options)
        validate_config(cfg)
    cfg.setdefault('default_scope', SCOPE)
    return cfg


def set_work_dir(cfg: Config, work_dir: Optional[str], config_path: str) -> None:
    """``--work-dir`` > ``cfg.work_dir`` > ``work_dirs/<config stem>``."""
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(config_path))[0])


def build_runner(cfg: Config):
    """Build ``cfg.runner_type`` (default: our ``ClsRunner``) from the config."""
    from mmcls_convnext.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    if 'runner_type' not in cfg:
        from ..runner import ClsRunner
        return ClsRunner.from_cfg(cfg)
    return RUNNERS.build(cfg)


def user_errors() -> tuple:
    """Error types that are the user's to fix (printed as one line instead of a traceback)."""
    from mmcls_convnext.zoo import CheckpointError

    from ..checkpoint_io import CheckpointSaveError
    from ..hooks.finite_loss_hook import NonFiniteLossError
    from ..optimizers.cpu_amp_optim_wrapper import EmulatedBF16Error
    return (ConfigKeyError, CheckpointError, CheckpointSaveError, NonFiniteLossError,
            PermissionError, FileNotFoundError, EmulatedBF16Error)


def run_cli(main: Callable[[Optional[List[str]]], int], argv: Optional[List[str]] = None) -> int:
    """Run ``main``; user errors become one ``ERROR`` line on stderr and exit status 1.

    Other exceptions keep their traceback (they are bugs or environment problems).
    """
    try:
        return main(argv)
    except user_errors() as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        print(f'ERROR ({type(exc).__name__}): {message}', file=sys.stderr, flush=True)
        return 1
