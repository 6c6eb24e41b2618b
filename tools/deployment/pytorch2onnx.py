"""Export a classifier to ONNX and check it against PyTorch with onnxruntime.

Example::

    python tools/deployment/pytorch2onnx.py configs/convnext/convnext-tiny_32xb128_in1k.py \\
        --checkpoint convnext-tiny.pth --output-file convnext-tiny.onnx \\
        --shape 224 224 --opset 17 --dynamic-export --verify

The ONNX model takes the *normalised* image ``input`` ``(N, 3, H, W)`` float32 (the data
preprocessor's mean/std and RGB order are applied outside, as for ``model(x)``) and returns the
raw logits ``output`` ``(N, num_classes)``. Needs ``pip install -r requirements/deploy.txt``.

It uses torch's TorchScript-based exporter (``dynamo=False``): the dynamo exporter of torch 2.14
needs the extra ``onnxscript`` package and gives the same graph for this model.
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

MIN_OPSET, MAX_OPSET = 13, 20  # LayerNorm exports natively from 17; 13-16 decompose it


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a classifier to ONNX.')
    du.add_common_args(parser, '.onnx')
    parser.add_argument('--opset', type=int, default=17,
                        help=f'ONNX opset, {MIN_OPSET}-{MAX_OPSET} (default: 17)')
    return parser.parse_args(argv)


def export_onnx(model: torch.nn.Module, shape, output_file: str, opset: int,
                dynamic: bool) -> None:
    """Write ``model`` (logits of normalised images) to ``output_file``."""
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f'--opset {opset} is not supported; choose {MIN_OPSET}-{MAX_OPSET} '
                         '(17 or later exports LayerNorm as one node).')
    try:
        import onnx  # noqa: F401 - torch.onnx.export needs it to write the file
    except ImportError as err:
        raise ImportError('ONNX export needs the onnx package: '
                          'pip install -r requirements/deploy.txt') from err
    os.makedirs(osp.dirname(osp.abspath(output_file)), exist_ok=True)
    dummy = torch.zeros(1, 3, *shape)
    axes = {'input': {0: 'batch'}, 'output': {0: 'batch'}} if dynamic else None
    with warnings.catch_warnings():
        # torch warns that the TorchScript-based exporter is legacy; it is chosen on purpose
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(model, (dummy, ), output_file, opset_version=opset, dynamo=False,
                          input_names=['input'], output_names=['output'], dynamic_axes=axes,
                          do_constant_folding=True)


def onnx_runner(output_file: str):
    """An onnxruntime CPU session wrapped as ``f(tensor) -> numpy logits``."""
    try:
        import onnx
        import onnxruntime as ort
    except ImportError as err:
        raise ImportError('--verify needs onnx and onnxruntime: '
                          'pip install -r requirements/deploy.txt') from err
    onnx.checker.check_model(onnx.load(output_file))
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # same threads as PyTorch
    session = ort.InferenceSession(output_file, options, providers=['CPUExecutionProvider'])
    return lambda x: session.run(None, {'input': x.numpy()})[0]


def main(argv: Optional[List[str]] = None) -> dict:
    """Export (and with ``--verify`` check) a model; returns the verification report."""
    args = parse_args(argv)
    shape = du.check_shape(args.shape)
    du.set_threads(args.threads)
    du.progress(f'loading {args.config}')
    model = du.load_model(args.config, args.checkpoint)
    output_file = args.output_file or du.default_output(args.config, '.onnx')
    du.progress(f'exporting to ONNX (opset {args.opset}, input {shape[0]}x{shape[1]})')
    export_onnx(model, shape, output_file, args.opset, args.dynamic_export)
    print(f'Saved {output_file} ({du.file_size_mb(output_file):.2f} MiB, opset {args.opset}, '
          f'{"dynamic" if args.dynamic_export else "fixed"} batch)')
    report = dict(output_file=output_file, ok=True)
    if args.verify:
        inputs = du.example_inputs(model, shape, args.image, args.dynamic_export)
        du.progress(f'verify: loading {output_file} into onnxruntime')
        report.update(du.verify('onnxruntime', onnx_runner(output_file), model, inputs,
                             args.tolerance, args.bench_runs))
    return report


if __name__ == '__main__':
    sys.exit(0 if main()['ok'] else 1)
