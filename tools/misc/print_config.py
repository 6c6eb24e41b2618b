"""Print the fully merged config (after _base_ inheritance and --cfg-options).

Usage: python tools/misc/print_config.py CONFIG [--cfg-options k=v ...]
Typos in top-level keys or --cfg-options are refused with a did-you-mean suggestion.
"""
import argparse
import sys

from mmengine.config import DictAction

from mmcls_convnext.config import load_config
from mmcls_convnext.engine.entrypoints.common import run_cli


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='Print the merged config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. model.backbone.drop_path_rate=0.2')
    args = parser.parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    print(f'Config:\n{cfg.pretty_text}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
