"""Check an exported model against PyTorch: largest logit difference, same top-1, CPU latency."""
import statistics
import time
from typing import Callable, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn

from .export import Runner

Progress = Optional[Callable[[str], None]]


def max_abs_diff(a, b) -> float:
    """``max |a - b|`` in float64; different shapes are a ValueError."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f'Output shapes differ: exported {a.shape} vs PyTorch {b.shape}.')
    return float(np.abs(a - b).max())


def interleaved_latency_ms(fns: Dict[str, Callable[[], object]], runs: int, warmup: int = 3,
                           progress: Progress = None) -> Dict[str, float]:
    """Median wall time (ms) of each function, timed in alternation.

    Alternating the engines run by run (instead of timing one, then the other) makes the
    ratio robust to other load on a shared machine.
    """
    if runs < 1:
        raise ValueError(f'--bench-runs must be >= 1; got {runs}.')
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: Dict[str, List[float]] = {name: [] for name in fns}
    report_every = max(1, runs // 4)
    for run in range(runs):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - start) * 1e3)
        if progress is not None and ((run + 1) % report_every == 0 or run + 1 == runs):
            progress(f'latency: {run + 1}/{runs} interleaved runs of {", ".join(fns)}')
    return {name: statistics.median(values) for name, values in times.items()}


def _print_report(name: str, inputs: Dict[str, torch.Tensor], diffs: Dict[str, float],
                  top1: Dict[str, bool], latency: Dict[str, float], tolerance: float,
                  bench_runs: int, ok: bool) -> None:
    threads = torch.get_num_threads()
    for key, x in inputs.items():
        print(f'{key:>7} input {tuple(x.shape)}: max |{name} - pytorch| = {diffs[key]:.3g} '
              f'(tolerance {tolerance:g}), same top-1: {top1[key]}')
    shape = tuple(inputs['real'].shape)
    print(f'CPU latency, batch 1 {shape}, {threads} thread(s), median of {bench_runs} '
          'interleaved runs: '
          + ', '.join(f'{k} {v:.2f} ms' for k, v in latency.items()))
    print('verification ' + ('PASSED' if ok else 'FAILED: outputs differ more than the tolerance'))


def verify(name: str, run_exported: Runner, model: nn.Module, inputs: Dict[str, torch.Tensor],
           tolerance: float, bench_runs: int, progress: Progress = None) -> Dict:
    """Compare ``run_exported`` with PyTorch on every input, time both at batch 1, print.

    Args:
        name: the exported engine's name in the report, e.g. ``'onnxruntime'``.
        run_exported: ``f(x (N, 3, H, W)) -> logits (N, num_classes)`` numpy.
        model: the PyTorch model (``model(x)`` -> logits).
        inputs: ``{'random': (N, 3, H, W), 'real': (1, 3, H, W)}`` normalised images.
        tolerance: largest allowed max |difference| of the logits.
        bench_runs: timed runs per engine (median).
        progress: ``progress(message)`` for each step, or None.

    Returns:
        ``dict(max_abs_diff={input: float}, top1_equal={input: bool}, latency_ms={engine: ms},
        ok=bool)``.
    """
    diffs, top1 = {}, {}
    with torch.no_grad():
        for key, x in inputs.items():
            if progress is not None:
                progress(f'verify: {name} vs pytorch on the {key} input {tuple(x.shape)}')
            ref = model(x).numpy()
            out = run_exported(x)
            diffs[key] = max_abs_diff(out, ref)
            top1[key] = bool((out.argmax(1) == ref.argmax(1)).all())
        x1 = inputs['real'][:1]
        latency = interleaved_latency_ms(
            {'pytorch': lambda: model(x1), name: lambda: run_exported(x1)}, bench_runs,
            progress=progress)
    ok = all(d <= tolerance for d in diffs.values())
    _print_report(name, inputs, diffs, top1, latency, tolerance, bench_runs, ok)
    return dict(max_abs_diff=diffs, top1_equal=top1, latency_ms=latency, ok=ok)
