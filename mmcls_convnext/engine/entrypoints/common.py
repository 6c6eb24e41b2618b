"""Shared pieces of the ``tools/train.py`` and ``tools/test.py`` entry points."""
import argparse
import os
import os.path as osp
from typing import Optional

from mmengine.config import Config, DictAction

from mmcls_convnext.config import removed_trust_checkpoint
from mmcls_convnext.registry import RUNNERS

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
        parser.error(removed_trust_checkpoint('--trust-checkpoint'))


def export_local_rank(local_rank: int) -> None:
    """``torch.distributed.launch`` passes ``--local-rank``; mmengine reads ``LOCAL_RANK``."""
    os.environ.setdefault('LOCAL_RANK', str(local_rank))


def config_file_of(spec: str) -> str:
    """A config path, or the config file of a model-zoo name (``convnext-tiny_32xb128_in1k``).

    Raises:
        FileNotFoundError: a ``.py`` path that does not exist.
        ModelNotFoundError: neither a file nor a zoo name (with the closest names).
    """
    if osp.isfile(spec) or spec.endswith('.py'):
        return spec
    from ...zoo import get_model_info
    from ...zoo.model_index import resolve_config_path
    return resolve_config_path(get_model_info(spec).config)


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


__all__ = ['LAUNCHERS', 'add_common_args', 'config_file_of', 'export_local_rank',
           'set_work_dir', 'build_runner', 'run_cli', 'user_errors']
