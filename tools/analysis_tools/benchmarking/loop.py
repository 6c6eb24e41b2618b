"""The ``loop`` section of ``tools/analysis_tools/benchmark.py``: the training loop's own cost.

``tools/train.py`` (config -> ``ClsRunner`` -> ``runner.train()``: loader, workers, hooks,
logging) against the bare model step on one in-memory batch of the same config
(``model.train_step``: data preprocessor + forward + loss + backward + optimizer step), run
alternately in one process so load on a shared machine hits both alike.
"""
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence

import torch
from mmengine.hooks import Hook

from .timing import sync


class _IterClock(Hook):
    """Timestamps (wall, process CPU) after every training iteration; one epoch only.

    Stopping after the first epoch keeps the config's schedule (``max_epochs`` unchanged, so
    warm-up/cosine schedulers build as usual) while the run lasts one pass over the data.
    """

    priority = 'LOWEST'

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.marks: List[tuple] = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        sync(self.device)
        self.marks.append((time.perf_counter(), time.process_time()))

    def after_train_epoch(self, runner) -> None:
        runner.train_loop.stop_training = True


def _rates(marks: Sequence[tuple], warmup: int, batch: int) -> tuple:
    """(img/s from wall time, img/s from process CPU time) after ``warmup`` iterations."""
    (w0, c0), (w1, c1) = marks[warmup - 1], marks[-1]
    images = (len(marks) - warmup) * batch
    return images / (w1 - w0), images / max(c1 - c0, 1e-9)


def runner_run(config: str, cfg_options: Sequence[str], work_dir: str, warmup: int,
               device: torch.device) -> dict:
    """One ``tools/train.py`` run of ``config`` (``cfg_options`` as on its command line).

    Returns the steady-state rates (iterations after ``warmup``), the batch size, the
    ``runner.train()`` wall time (including building the loader, e.g. filling a cache) and one
    batch of the run's own dataloader (for the bare step).
    """
    from mmcls_convnext.config import load_config
    from mmcls_convnext.engine.entrypoints.train import build_runner, merge_args, parse_args
    argv = [config, '--work-dir', work_dir, '--no-validate']
    args = parse_args(argv + (['--cfg-options', *cfg_options] if cfg_options else []))
    cfg = merge_args(load_config(args.config, args.cfg_options), args)
    cfg.log_level = 'WARNING'
    runner = build_runner(cfg)
    clock = _IterClock(device)
    runner.register_hook(clock)
    start = time.perf_counter()
    runner.train()
    train_s = time.perf_counter() - start
    batch = cfg.train_dataloader.batch_size
    if len(clock.marks) <= warmup:
        raise ValueError(f'The loop benchmark ran {len(clock.marks)} iterations, not more than '
                         f'the {warmup} warm-up ones: give the dataset more images.')
    wall, cpu = _rates(clock.marks, warmup, batch)
    return dict(img_s=wall, cpu_img_s=cpu, batch=batch, iters=len(clock.marks), train_s=train_s,
                num_workers=cfg.train_dataloader.get('num_workers', 0), cfg=cfg,
                data_batch=next(iter(runner.train_dataloader)))


def bare_step_case(cfg, data_batch: dict, device: torch.device) -> Callable[[], None]:
    """``model.train_step`` of ``cfg``'s model and optim wrapper on one in-memory batch."""
    from mmengine.optim import build_optim_wrapper

    from mmcls_convnext.registry import MODELS
    model_cfg = dict(cfg.model)
    if cfg.get('data_preprocessor') is not None:  # as the Runner does
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg).to(device)
    model.init_weights()
    model.train()
    optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)

    def step() -> None:
        model.train_step(data_batch, optim_wrapper)
    return step


def bare_rate(step: Callable[[], None], iters: int, warmup: int, batch: int,
              device: torch.device) -> tuple:
    marks = []
    for _ in range(iters):
        step()
        sync(device)
        marks.append((time.perf_counter(), time.process_time()))
    return _rates(marks, warmup, batch)


def compare_loop(name: str, config: str, cfg_options: Sequence[str], work_dir: str,
                 rounds: int, warmup: int, device: torch.device,
                 progress: Optional[Callable[[str], None]] = None) -> dict:
    """Alternate ``rounds`` runner runs with as many bare-step runs; medians and their ratio.

    ``loop_over_bare`` = median runner img/s / median bare img/s (1.0: the loop costs nothing).
    The CPU-time figures count this process only, so they are given when the loader runs in it
    (``num_workers=0``); with worker processes only the wall-clock ratio is meaningful.
    """
    runs: List[dict] = []
    bare: List[tuple] = []
    step = None
    for r in range(rounds):
        run = runner_run(config, cfg_options, osp.join(work_dir, f'{name}{r}'), warmup, device)
        runs.append(run)
        if step is None:
            step = bare_step_case(run['cfg'], run['data_batch'], device)
            step()  # warm up the bare model once outside the timing
        bare.append(bare_rate(step, run['iters'], warmup, run['batch'], device))
        if progress:
            progress(f'loop/{name} round {r + 1}/{rounds}: tools/train.py {run["img_s"]:.1f} '
                     f'img/s, bare step {bare[-1][0]:.1f} img/s')
    run_wall = statistics.median(r['img_s'] for r in runs)
    bare_wall = statistics.median(b[0] for b in bare)
    in_process = runs[0]['num_workers'] == 0
    out: Dict[str, object] = dict(
        config=config, cfg_options=list(cfg_options), batch=runs[0]['batch'],
        iters_timed=runs[0]['iters'] - warmup, num_workers=runs[0]['num_workers'],
        train_img_s=dict(median=run_wall, samples=[round(r['img_s'], 1) for r in runs],
                         unit='img/s'),
        bare_step_img_s=dict(median=bare_wall, samples=[round(b[0], 1) for b in bare],
                             unit='img/s'),
        loop_over_bare=round(run_wall / bare_wall, 3),
        train_wall_s=[round(r['train_s'], 1) for r in runs])
    if in_process:
        run_cpu = statistics.median(r['cpu_img_s'] for r in runs)
        bare_cpu = statistics.median(b[1] for b in bare)
        out['cpu_loop_over_bare'] = round(run_cpu / bare_cpu, 3)
    return out
