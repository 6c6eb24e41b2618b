"""``tools/train.py``: train a model from a config with mmengine's Runner (``ClsRunner``)."""
import argparse
import time
from typing import List, Optional

import torch
from mmengine.config import Config

from mmcls_convnext.config import load_config

from ..optimizers.cpu_amp_optim_wrapper import amp_optim_wrapper_cfg, training_precision
from ..schedule_check import check_schedule_fits
from ..summaries import log_train_summary
from .common import (
    add_common_args,
    build_runner,
    export_local_rank,
    run_cli,
    set_work_dir,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a classifier')
    parser.add_argument('config', help='train config file path or model-zoo name (its config)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from PATH, or (no value) from the latest checkpoint in '
                        'work_dir')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate during training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale lr by (total batch size / auto_scale_lr.base_batch_size)')
    parser.add_argument('--no-pin-memory', action='store_true',
                        help='pin_memory=False for every dataloader')
    parser.add_argument('--no-persistent-workers', action='store_true',
                        help='persistent_workers=False for every dataloader')
    add_common_args(parser)
    return parser.parse_args(argv)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line flags to ``cfg`` (in place on the freshly loaded config)."""
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.launcher = args.launcher
    if args.amp:
        if 'optim_wrapper' not in cfg:
            raise KeyError('--amp needs an optim_wrapper in the config.')
        cfg.optim_wrapper = amp_optim_wrapper_cfg(cfg.optim_wrapper, torch.cuda.is_available())
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    if args.auto_scale_lr:
        scale = cfg.get('auto_scale_lr')
        if not scale or 'base_batch_size' not in scale:
            raise KeyError('--auto-scale-lr needs auto_scale_lr=dict(base_batch_size=...) in '
                           'the config (the total batch size the lr was tuned for).')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if not loader:
            continue
        if args.no_pin_memory:
            loader.pin_memory = False
        if args.no_persistent_workers:
            loader.persistent_workers = False
    return cfg


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the arguments, build the runner and train."""
    start = time.time()
    args = parse_args(argv)
    export_local_rank(args.local_rank)
    cfg = merge_args(load_config(args.config, args.cfg_options), args)
    check_schedule_fits(cfg)  # one line naming the scheduler keys, not mmengine's begin/end
    runner = build_runner(cfg)
    precision = training_precision(cfg.optim_wrapper, torch.cuda.is_available())
    if precision:  # CPUAmpOptimWrapper logs its own line when it is built
        runner.logger.info(precision)
    runner.train()
    log_train_summary(runner, time.time() - start)  # best/latest checkpoint, curves.png, log
    return 0


def cli(argv: Optional[List[str]] = None) -> int:
    """Entry point with one-line user errors (see :func:`run_cli`)."""
    return run_cli(main, argv)
