"""Measurement primitives of ``tools/analysis_tools/benchmark.py``.

Round-robin timing with medians (fair on a shared, noisy machine), rate statistics with wall and
process CPU time, analytic MACs of Conv2d/Linear layers, the ``torch.mm`` anchor and the peak
tensor memory of one training step (CUDA allocator / CPU profiler events).
"""
import statistics
import time
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn as nn

from mmcls_convnext.deploy.progress import Progress  # noqa: F401 (the benchmark prints with it)

#: CPU features that decide which kernels run (fp32 SIMD width, bf16, int8 dot products).
CPU_FLAGS = ('avx2', 'avx512_f', 'avx512_bf16', 'amx_bf16', 'avx512_vnni', 'avx_vnni',
             'amx_int8')


def cpu_flags() -> Dict[str, bool]:
    """The :data:`CPU_FLAGS` this CPU has (``torch.cpu.get_capabilities``), plus its name."""
    caps = torch.cpu.get_capabilities() if hasattr(torch.cpu, 'get_capabilities') else {}
    flags = {flag: bool(caps.get(flag, False)) for flag in CPU_FLAGS}
    flags['name'] = caps.get('cpu_name', '')
    return flags


def pick_device(name: str) -> torch.device:
    if name == 'cuda' and not torch.cuda.is_available():
        raise ValueError('--device cuda: no CUDA device is visible to torch.')
    if name == 'auto':
        name = 'cuda' if torch.cuda.is_available() else 'cpu'
    return torch.device(name)


def sync(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def interleave(cases: Dict[str, Callable[[], None]], rounds: int, device: torch.device,
               warmup: int = 1, progress: Optional[Callable[[str], None]] = None,
               label: str = '') -> Dict[str, List[Tuple[float, float]]]:
    """``(wall seconds, process CPU seconds)`` per call of every case, run round-robin.

    After ``warmup`` calls of each case, ``rounds`` rounds call every case once, in an order
    rotated by one each round. ``progress`` (if given) hears of the warm-up and every round.
    """
    for fn in cases.values():
        for _ in range(warmup):
            fn()
    sync(device)
    if progress:
        progress(f'{label}: warm-up done')
    times: Dict[str, List[Tuple[float, float]]] = {name: [] for name in cases}
    names = list(cases)
    for r in range(rounds):
        # rotate the order every round: no contestant always runs first after a shape change
        for name in names[r % len(names):] + names[:r % len(names)]:
            fn = cases[name]
            wall, cpu = time.perf_counter(), time.process_time()
            fn()
            sync(device)
            times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
        if progress:
            progress(f'{label}: round {r + 1}/{rounds} done')
    return times


def stats(samples: List[Tuple[float, float]], work: float, unit: str) -> dict:
    """Median rate ``work / wall seconds`` (or, for ``unit='ms'``, ms per ``work`` item).

    ``cpu_median`` is the same figure from process CPU time instead of wall time: on a machine
    shared with other jobs it leaves out the time our threads waited for a core (it still
    includes OpenMP spin-waiting). ``spread`` is ``(max - min) / median`` of the wall times.
    """
    wall = [w for w, _ in samples]
    cpu = [max(c, 1e-9) for _, c in samples]
    med = statistics.median(wall)
    spread = round((max(wall) - min(wall)) / med, 3)
    if unit == 'ms':
        return dict(median=1e3 * med / work, cpu_median=1e3 * statistics.median(cpu) / work,
                    unit='ms', samples=[round(1e3 * w / work, 3) for w in wall], spread=spread)
    return dict(median=work / med, cpu_median=work / statistics.median(cpu), unit=unit,
                samples=[round(work / w, 3) for w in wall], spread=spread)


def count_macs(model: nn.Module, size: int, device: torch.device) -> int:
    """Multiply-accumulates of one image: every Conv2d and Linear (ConvNeXt-T 224: 4.46 G)."""
    total = [0]

    def hook(module: nn.Module, inputs, output: torch.Tensor) -> None:
        per_out = module.in_features if isinstance(module, nn.Linear) else (
            module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1])
        total[0] += output.numel() * per_out
    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    try:
        with torch.no_grad():
            model(torch.zeros(1, 3, size, size, device=device))
    finally:
        for handle in handles:
            handle.remove()
    return total[0]


def matmul_case(device: torch.device, n: int, repeats: int):
    a = torch.randn(n, n, device=device)
    b = torch.randn(n, n, device=device)

    def run() -> None:
        for _ in range(repeats):
            torch.mm(a, b)
    return run, 2.0 * n ** 3 * repeats / 1e9


def peak_step_memory_mb(step: Callable[[], None], device: torch.device) -> float:
    """Peak bytes of tensors allocated during one call of ``step``, above what was live before.

    CUDA: ``torch.cuda.max_memory_allocated``. CPU: the profiler's allocator events
    (``profile_memory=True``: every tensor allocation/free with its size), summed in time order;
    this counts exactly the tensor memory (activations, gradients, temporaries), like the CUDA
    figure, and is unaffected by other processes or by malloc caching (RSS is not).
    Call it after ``step`` has run at least once (optimizer state exists, as in a running
    training).
    """
    if device.type == 'cuda':
        sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        before = torch.cuda.memory_allocated(device)
        step()
        sync(device)
        return round((torch.cuda.max_memory_allocated(device) - before) / 2**20, 1)
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    cpu = torch.autograd.DeviceType.CPU
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events()
                    if e.name() == '[memory]' and e.device_type() == cpu)
    live = peak = 0
    for _, nbytes in events:
        live += nbytes
        peak = max(peak, live)
    return round(peak / 2**20, 1)
