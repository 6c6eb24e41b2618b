"""The arguments ``pytorch2onnx.py`` and ``pytorch2torchscript.py`` share, and the one call both
make (:func:`mmcls_convnext.apis.export.export_model`)."""
import argparse
import os.path as osp
from typing import Dict

from mmcls_convnext.apis.export import export_model

#: the real image of --verify: the demo picture of this checkout (the tools live in it)
DEMO_IMAGE = osp.join(osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))), 'demo',
                      'demo.JPEG')


def add_common_args(parser: argparse.ArgumentParser, suffix: str) -> None:
    """Arguments both exporters take."""
    parser.add_argument('config', help='config file or model-zoo name (see list_models())')
    parser.add_argument('--checkpoint', default=None,
                        help='checkpoint path/URL in our layout (default: initialised weights, '
                        'or nothing for a config; a zoo name alone loads no weights either)')
    parser.add_argument('--output-file', default=None,
                        help=f'where to write the model (default: <config stem>{suffix})')
    parser.add_argument('--shape', type=int, nargs=2, default=None, metavar=('H', 'W'),
                        help="input height and width, multiples of 32 (default: the size the "
                        "config's test pipeline crops/resizes to, else 224 224)")
    parser.add_argument('--dynamic-export', action='store_true',
                        help='make the batch size dynamic (default: fixed batch 1)')
    parser.add_argument('--verify', action='store_true',
                        help='compare with PyTorch on a random and a real image and report '
                        'CPU latency of both')
    parser.add_argument('--image', default=DEMO_IMAGE,
                        help=f'real image for --verify (default: {osp.relpath(DEMO_IMAGE)})')
    parser.add_argument('--tolerance', type=float, default=1e-4,
                        help='largest allowed max |difference| of the logits (default: 1e-4)')
    parser.add_argument('--bench-runs', type=int, default=20,
                        help='timed runs per engine for the latency (median; default 20)')
    parser.add_argument('--threads', type=int, default=None,
                        help='CPU threads for PyTorch and the exported engine (default: '
                        "PyTorch's default, usually the number of cores)")


def run(fmt: str, args: argparse.Namespace, **extra) -> Dict:
    """The parsed common arguments -> :func:`export_model` (its report)."""
    return export_model(args.config, fmt, checkpoint=args.checkpoint,
                        output_file=args.output_file, shape=args.shape,
                        dynamic=args.dynamic_export, verify=args.verify, image=args.image,
                        tolerance=args.tolerance, bench_runs=args.bench_runs,
                        threads=args.threads, **extra)
