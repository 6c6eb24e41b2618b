"""``tools/test.py``: evaluate a checkpoint (local path or URL) with mmengine's Runner.

A test run never writes over a training run's files: everything it writes (log, config dump,
``vis_data``, relative ``--show-dir``) goes to its own folder ``<work_dir>/test/<timestamp>/``,
so ``--work-dir`` may be the training run's directory (its config dump, ``last_checkpoint``,
logs and checkpoints stay as they are).
"""
import argparse
import os
import os.path as osp
import time
from typing import Any, List, Optional

from mmengine.config import Config, ConfigDict
from mmengine.fileio import dump
from mmengine.model import is_model_wrapper

from mmcls_convnext.config import load_config, resolve_config_file

from ..summaries import log_test_summary
from .common import (
    add_common_args,
    build_runner,
    export_local_rank,
    run_cli,
    set_work_dir,
)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a classifier checkpoint')
    parser.add_argument('config', help='test config file path or model-zoo name (its config)')
    parser.add_argument('checkpoint', help='checkpoint file or http(s) URL')
    parser.add_argument('--out', help='write results to this file (.pkl, .json or .yaml)')
    parser.add_argument('--out-item', choices=['metrics', 'pred'], default='pred',
                        help="what --out holds: per-image predictions ('pred', default) or "
                        "the metrics ('metrics')")
    parser.add_argument('--show', action='store_true', help='display each prediction')
    parser.add_argument('--show-dir', help='save images with their predictions drawn to this '
                        'directory (a relative path is inside the test run\'s folder '
                        '<work_dir>/test/<timestamp>/)')
    parser.add_argument('--interval', type=int, default=1,
                        help='with --show / --show-dir: draw every N-th test image (1: all)')
    parser.add_argument('--wait-time', type=float, default=2.0,
                        help='seconds each image is shown with --show')
    parser.add_argument('--no-pin-memory', action='store_true',
                        help='pin_memory=False on the test dataloader')
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


#: sub-folder of ``work_dir`` holding one ``<timestamp>/`` folder per test run
TEST_SUBDIR = 'test'


def work_dir_for_test_run(work_dir: str) -> str:
    """The Runner ``work_dir`` of a test-time tool whose outputs belong under ``work_dir``.

    The Runner writes its config dump into ``work_dir`` and its log into
    ``work_dir/<timestamp>/``: under ``test/`` neither touches a training run's files, and
    :func:`keep_outputs_in_run_folder` then moves the dump next to the log.
    """
    return osp.join(work_dir, TEST_SUBDIR)


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply the command-line flags to the freshly loaded ``cfg``."""
    set_work_dir(cfg, args.work_dir, args.config)
    cfg.work_dir = work_dir_for_test_run(cfg.work_dir)
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
        show_dir = args.show_dir  # a relative one is rooted in the run folder after the build
        if args.show and not os.environ.get('DISPLAY'):
            raise ValueError('--show needs a display (DISPLAY is not set); use --show-dir DIR '
                             'to save the drawn predictions instead.')
        hook = dict(type='ClsVisualizationHook', show=args.show, out_dir=show_dir,
                    wait_time=args.wait_time, interval=args.interval)
        cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [hook]
    if args.no_pin_memory:
        cfg.test_dataloader.pin_memory = False
    if args.out and args.out_item == 'pred':
        evaluators = cfg.test_evaluator
        evaluators = list(evaluators) if isinstance(evaluators, (list, tuple)) else [evaluators]
        cfg.test_evaluator = evaluators + [dict(type='DumpResults', out_file_path=args.out)]
    return cfg


def _drop_ema_for_fast_inference(cfg: Config) -> None:
    """The fast path folds the weights once: evaluate ``state_dict`` (the EMA weights) as is.

    An ``EMAHook`` would swap parameters of the unfolded model, which the folded one no longer
    has; with the default ``evaluate_on_ema=True`` it would evaluate ``state_dict`` anyway.
    """
    hooks = list(cfg.get('custom_hooks') or [])
    kept = []
    for hook in hooks:
        name = hook.get('type', '') if isinstance(hook, dict) else type(hook).__name__
        name = name if isinstance(name, str) else getattr(name, '__name__', '')
        if name.split('.')[-1] != 'EMAHook':
            kept.append(hook)
            continue
        options = hook if isinstance(hook, dict) else vars(hook)
        if options.get('evaluate_on_origin') or options.get('evaluate_on_ema') is False:
            raise ValueError('fast_inference evaluates one set of weights (the checkpoint\'s '
                             'state_dict, i.e. the EMA weights); drop fast_inference or the '
                             'EMAHook evaluate_on_origin / evaluate_on_ema options.')
    if len(kept) != len(hooks):
        cfg.custom_hooks = kept


def config_dump_name(runner: Any, cfg: Config) -> str:
    """The file name of the Runner's config dump (mmengine: the config's file name)."""
    return osp.basename(cfg.filename) if cfg.filename else f'{runner.timestamp}.py'


def other_run_config_hint(exc: BaseException, args: argparse.Namespace) -> Optional[str]:
    """When a checkpoint does not fit the config (missing / shape-mismatched keys) and the
    checkpoint's folder holds the config dump of another config - the run that wrote it,
    with its training-time changes (arch, size, class count) - name that config and the
    command to use; else None."""
    text = str(exc)
    if not isinstance(exc, ValueError) or not any(
            word in text for word in ('missing key', 'shape mismatch', 'unexpected key')):
        return None
    folder = osp.dirname(osp.abspath(args.checkpoint)) if osp.isfile(args.checkpoint) else None
    if folder is None:
        return None
    given = osp.abspath(resolve_config_file(args.config))
    shown = osp.dirname(args.checkpoint)  # as the user wrote it (relative stays relative)
    dumps = [osp.join(shown, f) for f in sorted(os.listdir(folder))
             if f.endswith('.py') and osp.isfile(osp.join(folder, f))
             and osp.join(folder, f) != given]
    if not dumps:
        return None
    command = (f'python tools/test.py {dumps[0]} {args.checkpoint} (with your other flags; '
               'its --cfg-options are in it already)')
    return (f'The checkpoint\'s folder holds the config of the run that wrote it, {dumps[0]} '
            f'(tools/train.py saves the resolved config there, with every --cfg-options '
            f'change); {args.config} builds another model. Test with that config: {command}')


def keep_outputs_in_run_folder(runner: Any, cfg: Config,
                               show_dir: Optional[str] = None) -> None:
    """Move the config dump into the run's timestamped folder; root a relative --show-dir there.

    The Runner dumps the config to ``work_dir`` (``<work_dir>/test``), where a later test run
    would overwrite it; each run's own copy belongs beside its log.
    """
    from mmengine.dist import is_main_process

    from ..hooks.visualization_hook import ClsVisualizationHook
    name = config_dump_name(runner, cfg)
    if is_main_process():
        try:
            os.replace(osp.join(runner.work_dir, name), osp.join(runner.log_dir, name))
        except FileNotFoundError:  # a concurrent test run took it: write our own copy
            runner.cfg.dump(osp.join(runner.log_dir, name))
    if show_dir is not None and not osp.isabs(show_dir):
        for hook in runner.hooks:
            if isinstance(hook, ClsVisualizationHook):
                hook.out_dir = osp.join(runner.log_dir, show_dir)
    runner.logger.info(f'Test run folder (log, config, outputs): {runner.log_dir}')


def build_test_runner(args: argparse.Namespace) -> Any:
    """Config + flags -> a Runner with the checkpoint loaded (strict head check)."""
    cfg = merge_args(load_config(args.config, args.cfg_options), args)
    if cfg.get('fast_inference'):
        _drop_ema_for_fast_inference(cfg)
    runner = build_runner(cfg, hold_work_dir=False)  # evaluating never waits for a training run
    keep_outputs_in_run_folder(runner, cfg, args.show_dir)
    # strict=True: a head of another shape than the model's is an error in evaluation. An
    # EMAHook takes the EMA weights from here although before_run has not built its copy yet.
    try:
        runner.load_checkpoint(args.checkpoint, map_location='cpu', strict=True)
    except BaseException as exc:
        from ..runner import remove_unused_run_folder
        remove_unused_run_folder(runner, also=[config_dump_name(runner, cfg)])
        hint = other_run_config_hint(exc, args)
        if hint:
            raise type(exc)(f'{exc} {hint}') from None
        raise
    if cfg.get('fast_inference'):
        # after the weights are in: the fast path folds them (see docs/benchmark.md)
        from mmcls_convnext.deploy import apply_fast_inference
        if is_model_wrapper(runner.model) or args.tta:
            raise ValueError('fast_inference works for single-process testing without --tta; '
                             'drop one of them.')
        runner.model = apply_fast_inference(runner.model, cfg)
    return runner


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the arguments, build the runner, load the checkpoint strictly and test."""
    start = time.time()
    args = parse_args(argv)
    export_local_rank(args.local_rank)
    runner = build_test_runner(args)
    metrics = runner.test()
    if args.out and args.out_item == 'metrics':
        dump(metrics, args.out)
    # metrics, checkpoint, where --out and --show-dir went, the log file
    log_test_summary(runner, metrics, time.time() - start, checkpoint=args.checkpoint,
                     out=args.out, out_item=args.out_item)
    return 0


def cli(argv: Optional[List[str]] = None) -> int:
    """Entry point with one-line user errors (see :func:`run_cli`)."""
    return run_cli(main, argv)
