"""Export a classifier to TorchScript (``torch.jit.trace``) and check it against PyTorch.

Example::

    python tools/deployment/pytorch2torchscript.py configs/convnext/convnext-tiny_32xb128_in1k.py \\
        --checkpoint convnext-tiny.pth --output-file convnext-tiny.pt --shape 224 224 --verify

The traced module takes the *normalised* image ``(N, 3, H, W)`` float32 and returns the raw
logits ``(N, num_classes)``; load it with ``torch.jit.load(path)`` - no mmcls_convnext needed.
Tracing records the model's operations once; ConvNeXt has no data-dependent control flow, so the
trace holds for any batch size (``--dynamic-export`` checks a batch of 3 as well). The work is
done by :func:`mmcls_convnext.apis.export.export_model`.
"""
import argparse
import os.path as osp
import sys
from typing import List, Optional

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
import deploy_utils as du  # noqa: E402 - sibling module of this script


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export a classifier to TorchScript.')
    du.add_common_args(parser, '.pt')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    """Export (and with ``--verify`` check) a model; returns the verification report."""
    return du.run('torchscript', parse_args(argv))


if __name__ == '__main__':
    sys.exit(0 if main()['ok'] else 1)
