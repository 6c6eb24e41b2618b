"""Shared by ``pytorch2onnx.py`` and ``pytorch2torchscript.py``: model loading, example inputs
(random and a real, preprocessed image), numeric comparison and CPU latency."""
import argparse
import os
import os.path as osp
import statistics
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO_IMAGE = osp.join(REPO_ROOT, 'demo', 'demo.JPEG')


def _progress():
    from mmcls_convnext.engine.analysis.benchmarking import Progress
    return Progress()


#: ``progress('message')`` prints ``[+12.3 s] message`` at once: export and verification of a
#: large model take minutes on a CPU, and nothing else is printed meanwhile.
progress = _progress()


def add_common_args(parser: argparse.ArgumentParser, suffix: str) -> None:
    """Arguments both exporters take."""
    parser.add_argument('config', help='config file or model-zoo name (see list_models())')
    parser.add_argument('--checkpoint', default=None,
                        help='checkpoint path/URL in our layout (default: initialised weights, '
                        'or nothing for a config; a zoo name alone loads no weights either)')
    parser.add_argument('--output-file', default=None,
                        help=f'where to write the model (default: <config stem>{suffix})')
    parser.add_argument('--shape', type=int, nargs=2, default=[224, 224], metavar=('H', 'W'),
                        help='input height and width (default: 224 224)')
    parser.add_argument('--dynamic-export', action='store_true',
                        help='make the batch size dynamic (default: fixed batch 1)')
    parser.add_argument('--verify', action='store_true',
                        help='compare with PyTorch on a random and a real image and report '
                        'CPU latency of both')
    parser.add_argument('--image', default=None,
                        help=f'real image for --verify (default: {osp.relpath(DEMO_IMAGE)})')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest allowed max |difference| of the logits (default: 1e-4)')
    parser.add_argument('--bench-runs', type=int, default=20,
                        help='timed runs per engine for the latency (median; default 20)')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads for PyTorch and the exported engine (default: '
                        "PyTorch's default, usually the number of cores)")


def set_threads(threads: Optional[int]) -> None:
    """``--threads N``: the thread count both engines use while timing."""
    if threads is not None:
        if threads < 1:
            raise ValueError(f'--threads must be >= 1; got {threads}.')
        torch.set_num_threads(threads)


def check_shape(shape: Sequence[int]) -> Tuple[int, int]:
    """``--shape H W``: two positive multiples of 32 (ConvNeXt downsamples by 32)."""
    h, w = (int(v) for v in shape)
    if h < 32 or w < 32 or h % 32 or w % 32:
        raise ValueError(f'--shape {h} {w}: ConvNeXt needs H and W to be multiples of 32 and at '
                         'least 32 (e.g. --shape 224 224).')
    return h, w


def default_output(config: str, suffix: str) -> str:
    stem = osp.splitext(osp.basename(config.rstrip('/')))[0]
    return f'{stem}{suffix}'


def load_model(config: str, checkpoint: Optional[str]) -> nn.Module:
    """Build the classifier in eval mode on CPU (zoo name or config file; optional weights)."""
    from mmcls_convnext.apis import get_model
    if config.endswith('.py') and not osp.isfile(config):
        raise FileNotFoundError(f'Config file {config} does not exist.')
    model = get_model(config, pretrained=checkpoint or False, device='cpu')
    if getattr(model, 'head', None) is None:
        raise ValueError(f'{config} builds a model without a classification head; the exported '
                         'model must output logits. Pass a classifier config.')
    return model.eval()


def preprocess_image(model: nn.Module, image: str, shape: Tuple[int, int]) -> torch.Tensor:
    """The model's own eval preprocessing of ``image`` -> ``(1, 3, H, W)`` float.

    The config's test pipeline and data preprocessor run first; if its crop differs from
    ``shape`` the normalised image is resized bilinearly to ``shape``.
    """
    from mmengine.config import Config

    from mmcls_convnext.apis.inferencer import model_config
    from mmcls_convnext.apis.pipeline import InferencePipeline, test_pipeline_cfg
    if not osp.isfile(image):
        raise FileNotFoundError(f'Image {image} does not exist; pass --image PATH.')
    cfg = model_config(model)
    packed = InferencePipeline(test_pipeline_cfg(cfg if cfg is not None else Config()))(image)
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[packed['inputs']],
                                            data_samples=[packed['data_samples']]), False)
    x = data['inputs'].float()
    if tuple(x.shape[-2:]) != tuple(shape):
        x = F.interpolate(x, size=shape, mode='bilinear', align_corners=False)
    return x.contiguous()


def example_inputs(model: nn.Module, shape: Tuple[int, int], image: Optional[str],
                   dynamic: bool) -> Dict[str, torch.Tensor]:
    """Inputs for verification: ``random`` (N(0,1), seed 0; batch 3 for a dynamic-batch export,
    else 1) and ``real`` (the preprocessed real image, batch 1)."""
    g = torch.Generator().manual_seed(0)
    inputs = {'random': torch.randn(3 if dynamic else 1, 3, *shape, generator=g)}
    path = image or DEMO_IMAGE
    if image is None and not osp.isfile(path):
        raise FileNotFoundError(f'No real image for --verify: {path} is missing; pass --image.')
    inputs['real'] = preprocess_image(model, path, shape)
    return inputs


def max_abs_diff(a, b) -> float:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f'Output shapes differ: exported {a.shape} vs PyTorch {b.shape}.')
    return float(np.abs(a - b).max())


def interleaved_latency_ms(fns: Dict[str, Callable[[], object]], runs: int,
                           warmup: int = 3) -> Dict[str, float]:
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
        if (run + 1) % report_every == 0 or run + 1 == runs:
            progress(f'latency: {run + 1}/{runs} interleaved runs of {", ".join(fns)}')
    return {name: statistics.median(values) for name, values in times.items()}


def verify(name: str, run_exported: Callable[[torch.Tensor], np.ndarray], model: nn.Module,
           inputs: Dict[str, torch.Tensor], tolerance: float, bench_runs: int) -> Dict:
    """Compare ``run_exported`` with PyTorch on every input, time both at batch 1, print.

    Returns:
        ``dict(max_abs_diff={input: float}, top1_equal={input: bool}, latency_ms={engine: ms},
        ok=bool)``.
    """
    diffs, top1 = {}, {}
    with torch.no_grad():
        for key, x in inputs.items():
            progress(f'verify: {name} vs pytorch on the {key} input {tuple(x.shape)}')
            ref = model(x).numpy()
            out = run_exported(x)
            diffs[key] = max_abs_diff(out, ref)
            top1[key] = bool((out.argmax(1) == ref.argmax(1)).all())
        x1 = inputs['real'][:1]
        latency = interleaved_latency_ms(
            {'pytorch': lambda: model(x1), name: lambda: run_exported(x1)}, bench_runs)
    ok = all(d <= tolerance for d in diffs.values())
    threads = torch.get_num_threads()
    for key, x in inputs.items():
        print(f'{key:>7} input {tuple(x.shape)}: max |{name} - pytorch| = {diffs[key]:.3g} '
              f'(tolerance {tolerance:g}), same top-1: {top1[key]}')
    shape = tuple(inputs['real'].shape)
    print(f'CPU latency, batch 1 {shape}, {threads} thread(s), median of {bench_runs} '
          'interleaved runs: '
          + ', '.join(f'{k} {v:.2f} ms' for k, v in latency.items()))
    print('verification ' + ('PASSED' if ok else 'FAILED: outputs differ more than the tolerance'))
    return dict(max_abs_diff=diffs, top1_equal=top1, latency_ms=latency, ok=ok)


def file_size_mb(path: str) -> float:
    return os.path.getsize(path) / 2**20
