"""Export a classifier to TorchScript (``torch.jit.trace``) and check it against PyTorch.

Example::

    python tools/deployment/pytorch2torchscript.py configs/convnext/convnext-tiny_32xb128_in1k.py \\
        --checkpoint convnext-tiny.pth --output-file convnext-tiny.pt --shape 224 224 --verify

The traced module takes the *normalised* image ``(N, 3, H, W)`` float32 and returns the raw
logits ``(N, num_classes)``; load it with ``torch.jit.load(path)`` - no mmcls_convnext needed.
Tracing records the model's operations once; ConvNeXt has no data-dependent control flow, so the
trace holds for any batch size (``--dynamic-export`` checks a batch of 3 as well).
"""
import argparse
import os
import os.path as osp
import sys
import warnings
from typing import List, Optional

import torch

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import deploy_utils as du  # noqa: E402 - sibling module of this script


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a classifier to TorchScript.')
    du.add_common_args(parser, '.pt')
    return parser.parse_args(argv)


class LogitsOnly(torch.nn.Module):
    """``forward(x) -> logits``: the classifier's tensor mode without the mode argument."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, mode='tensor')


def export_torchscript(model: torch.nn.Module, shape, output_file: str) -> None:
    """Trace ``model`` on a ``(1, 3, H, W)`` input, check the trace, save it."""
    os.makedirs(osp.dirname(osp.abspath(output_file)), exist_ok=True)
    dummy = torch.zeros(1, 3, *shape)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        # torch 2.14 marks TorchScript as deprecated in favour of torch.export; it still works
        warnings.simplefilter('ignore', FutureWarning)
        traced = torch.jit.trace(LogitsOnly(model).eval(), dummy, check_trace=False)
        traced = torch.jit.freeze(traced)  # fold weights into the graph; eval-mode only
        torch.jit.save(traced, output_file)


def torchscript_runner(output_file: str):
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        module = torch.jit.load(output_file, map_location='cpu').eval()

    def run(x: torch.Tensor):
        with torch.no_grad():
            return module(x).numpy()
    return run


def main(argv: Optional[List[str]] = None) -> dict:
    """Export (and with ``--verify`` check) a model; returns the verification report."""
    args = parse_args(argv)
    shape = du.check_shape(args.shape)
    du.set_threads(args.threads)
    du.progress(f'loading {args.config}')
    model = du.load_model(args.config, args.checkpoint)
    output_file = args.output_file or du.default_output(args.config, '.pt')
    du.progress(f'tracing to TorchScript (input {shape[0]}x{shape[1]})')
    export_torchscript(model, shape, output_file)
    print(f'Saved {output_file} ({du.file_size_mb(output_file):.2f} MiB, traced at batch 1)')
    report = dict(output_file=output_file, ok=True)
    if args.verify:
        inputs = du.example_inputs(model, shape, args.image, args.dynamic_export)
        report.update(du.verify('torchscript', torchscript_runner(output_file), model, inputs,
                             args.tolerance, args.bench_runs))
    return report


if __name__ == '__main__':
    sys.exit(0 if main()['ok'] else 1)
