"""Export a classifier to ONNX and check it against PyTorch with onnxruntime.

Example::

    python tools/deployment/pytorch2onnx.py configs/convnext/convnext-tiny_32xb128_in1k.py \\
        --checkpoint convnext-tiny.pth --output-file convnext-tiny.onnx \\
        --shape 224 224 --opset 17 --dynamic-export --verify

The ONNX model takes the *normalised* image ``input`` ``(N, 3, H, W)`` float32 (the data
preprocessor's mean/std and RGB order are applied outside, as for ``model(x)``) and returns the
raw logits ``output`` ``(N, num_classes)``. Needs ``pip install -r requirements/deploy.txt``.
The work is done by :func:`mmcls_convnext.apis.export.export_model` (see
``mmcls_convnext/deploy/export.py``).
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import deploy_utils as du  # noqa: E402 - sibling module of this script

from mmcls_convnext.deploy.export import MAX_OPSET, MIN_OPSET  # noqa: E402


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a classifier to ONNX.')
    du.add_common_args(parser, '.onnx')
    parser.add_argument('--opset', type=int, default=17,
                        help=f'ONNX opset, {MIN_OPSET}-{MAX_OPSET} (default: 17)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    """Export (and with ``--verify`` check) a model; returns the verification report."""
    args = parse_args(argv)
    return du.run('onnx', args, opset=args.opset)


if __name__ == '__main__':
    from mmcls_convnext.engine.entrypoints.common import run_cli
    sys.exit(run_cli(lambda argv: 0 if main(argv)['ok'] else 1))  # user errors: one line
