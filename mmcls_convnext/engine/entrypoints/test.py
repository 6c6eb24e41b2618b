"""``tools/test.py``: evaluate a checkpoint (local path or URL) with mmengine's Runner."""
import argparse
import os
import os.path as osp
from typing import List, Optional

from mmengine.config import Config, ConfigDict
from mmengine.fileio import dump
from mmengine.model import is_model_wrapper

from .common import (
    add_common_args,
    build_runner,
    export_local_rank,
    load_config,
    run_cli,
    set_work_dir,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a classifier checkpoint')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file or http(s) URL')
    parser.add_argument('--out', help='write results to this file (.pkl, .json or .yaml)')
    parser.add_argument('--out-item', choices=['metrics', 'pred'], default='pred',
                        help="what --out holds: per-image predictions ('pred', default) or "
                        "the metrics ('metrics')")
    parser.add_argument('--show', action='store_true', help='display each prediction')
    parser.add_argument('--show-dir', help='save images with their predictions drawn to this '
                        'directory (relative paths are inside work_dir)')
    parser.add_argument('--wait-time', type=float, default=2.0,
                        help='seconds each image is shown with --show')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation: average the scores of the image and its '
                        'horizontal flip (cfg.tta_model / cfg.tta_pipeline if set)')
    add_common_args(parser)
    return parser.parse_args(argv)


def _tta(cfg: Config) -> None:
    from ..tta import default_tta_pipeline
    tta_model = cfg.get('tta_model') or dict(type='AverageClsScoreTTA')
    cfg.model = ConfigDict(**tta_model, module=cfg.model)
    pipeline = cfg.get('tta_pipeline') or default_tta_pipeline(
        cfg.test_dataloader.dataset.pipeline)
    cfg.test_dataloader.dataset.pipeline = pipeline


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line flags to the freshly loaded ``cfg``."""
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.launcher = args.launcher
    cfg.load_from = None  # loaded by main() with a strict head check
    for name in ('test_dataloader', 'test_evaluator', 'test_cfg'):
        if cfg.get(name) is None:
            raise KeyError(f'{args.config} has no {name}; tools/test.py needs test_dataloader, '
                           'test_evaluator and test_cfg (e.g. test_cfg=dict()).')
    if args.amp:
        cfg.test_cfg.fp16 = True
    if args.tta:
        _tta(cfg)
    if args.show or args.show_dir:
        show_dir = args.show_dir
        if show_dir is not None and not osp.isabs(show_dir):
            show_dir = osp.join(cfg.work_dir, show_dir)
        if args.show and not os.environ.get('DISPLAY'):
            raise ValueError('--show needs a display (DISPLAY is not set); use --show-dir DIR '
                             'to save the drawn predictions instead.')
        hook = dict(type='ClsVisualizationHook', show=args.show, out_dir=show_dir,
                    wait_time=args.wait_time)
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [hook]
    if args.out and args.out_item == 'pred':
        evaluators = cfg.test_evaluator
        evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) else [evaluators]
        cfg.test_evaluator = evaluators + [dict(type='DumpResults', out_file_path=args.out)]
    if args.trust_checkpoint:
        cfg.trust_checkpoint = True
    return cfg


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the arguments, build the runner, load the checkpoint strictly and test."""
    args = parse_args(argv)
    export_local_rank(args.local_rank)
    cfg = merge_args(load_config(args.config, args.cfg_options), args)
    runner = build_runner(cfg, hold_work_dir=False)  # evaluating never waits for a training run
    # strict=True: a head of another shape than the model's is an error in evaluation.
    runner.load_checkpoint(args.checkpoint, map_location='cpu', strict=True)
    if cfg.get('fast_inference'):
        # after the weights are in: the fast path folds them (see docs/benchmark.md)
        from mmcls_convnext.models.fast_path import build_fast_inference_model
        if is_model_wrapper(runner.model) or args.tta:
            raise ValueError('fast_inference works for single-process testing without --tta; '
                             'drop one of them.')
        runner.model = build_fast_inference_model(runner.model, dict(cfg.fast_inference))
    metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        dump(metrics, args.out)
    return 0


def cli(argv: Optional[List[str]] = None) -> int:
    """Entry point with one-line user errors (see :func:`run_cli`)."""
    return run_cli(main, argv)
