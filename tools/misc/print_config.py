"""Print the fully merged config (after _base_ inheritance and --cfg-options).

Usage: python tools/misc/print_config.py CONFIG [--cfg-options k=v ...] [> full.py]
The output is the config itself (no header line), so ``print_config.py CFG > full.py`` saves
a config that loads back to the same settings. Typos in top-level keys or --cfg-options are
refused with a did-you-mean suggestion. Messages go to stderr, never into the printed config.
"""
import argparse
import contextlib
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
    with contextlib.redirect_stdout(sys.stderr):  # log lines (name translation) stay out
        cfg = load_config(args.config, args.cfg_options)
    print(cfg.pretty_text)
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
