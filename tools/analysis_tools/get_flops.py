"""Count the FLOPs (multiply-accumulates, as in MMPretrain's tables) and parameters of a model.

Usage: python tools/analysis_tools/get_flops.py CONFIG_OR_ZOO_NAME [--shape H [W]]
       [--cfg-options k=v ...]
CONFIG_OR_ZOO_NAME is a config file or a model-zoo name (``convnext-tiny_32xb128_in1k``, as
MMPretrain's tool accepts): the name's config is counted (no weights are needed).
Example: ConvNeXt-T at 224x224 -> 4.47 G (mmengine's counter, LayerNorm included), 28.59 M.
"""
import argparse
import sys

from mmengine.config import DictAction

from mmcls_convnext.config import load_config
from mmcls_convnext.engine.entrypoints.common import config_file_of, run_cli
from mmcls_convnext.models.utils.flops import count_flops


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='Count FLOPs (MACs) and parameters')
    parser.add_argument('config', help='config file path or model-zoo name')
    parser.add_argument('--shape', type=int, nargs='+', default=[224],
                        help='input size: H (square) or H W')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys')
    args = parser.parse_args(argv)
    if len(args.shape) not in (1, 2):
        raise ValueError(f'--shape takes H or H W, got {args.shape}.')
    shape = (args.shape[0], args.shape[-1])
    config = config_file_of(args.config)
    if config != args.config:
        print(f'{args.config} is a model-zoo name: counting its config {config}')
    cfg = load_config(config, args.cfg_options)

    from mmcls_convnext.registry import MODELS
    from mmcls_convnext.utils import register_all_modules
    register_all_modules()
    result = count_flops(MODELS.build(cfg.model), shape)
    split = ', '.join(f'{op} {n:,}' for op, n in sorted(result['by_operator'].items()))
    print(f'Input shape: {result["input_shape"]}\n'
          f'Flops (MACs): {result["flops"] / 1e9:.2f} G ({result["flops"]:,}; {split})\n'
          f'Params: {result["params"] / 1e6:.2f} M ({result["params"]:,})')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
