"""Load every image of a config's dataset and list the files that fail.

Usage: python tools/misc/verify_dataset.py CONFIG [--out-path brokenfiles.log]
       [--phase train|val|test] [--num-process N] [--cfg-options k=v ...]
As MMPretrain's tool: the ``--out-path`` file lists one broken image path per line, and each
broken file is printed as ``PATH cannot be read correctly, please check it.`` (followed here by
the reason on the next line). The summary line is ``N broken files found, name list save in
file:PATH`` or ``There is no broken file found.``. Where this tool differs on purpose: the list
file is kept (empty) when nothing is broken (MMPretrain deletes it), and the exit status is 1
when any file is broken, so scripts can stop on it.
"""
import argparse
import os
import os.path as osp
import sys

from mmengine.config import DictAction

from mmcls_convnext.config import load_config
from mmcls_convnext.datasets.verify import (
    build_listing,
    dataset_paths,
    loading_step,
    verify_images,
)
from mmcls_convnext.engine.entrypoints.common import run_cli
from mmcls_convnext.engine.registration import import_registering_modules


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Run every image of a dataset through the loading step of its pipeline '
        "(the config's LoadImageFromFile, decoding the whole file) and write the files that "
        'fail to --out-path, one path per line (as MMPretrain). Exit status: 0 when every image '
        'loads, 1 when broken files were found (and for a bad config or argument).')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--out-path', default='brokenfiles.log',
                        help='where the list of broken files goes, one path per line (default: '
                        'brokenfiles.log; written, empty, also when none is broken)')
    parser.add_argument('--phase', default='train', choices=['train', 'val', 'test'],
                        help='which dataloader\'s dataset to check (default: train)')
    parser.add_argument('--num-process', type=int, default=1,
                        help='worker processes loading the images (default: 1)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. train_dataloader.dataset.data_root=X')
    return parser.parse_args(argv)


def _printable(text: str) -> str:
    """A file name that is not valid UTF-8 (kept by Python as surrogate escapes) with its odd
    bytes shown as ``\\xNN``, so that printing it cannot fail."""
    return text.encode('utf-8', 'surrogateescape').decode('utf-8', 'backslashreplace')


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    loader_key = f'{args.phase}_dataloader'
    if not cfg.get(loader_key) or not cfg[loader_key].get('dataset'):
        raise KeyError(f'{args.config} has no {loader_key}.dataset to verify; choose another '
                       '--phase (train, val or test).')
    import_registering_modules()
    dataset_cfg = cfg[loader_key]['dataset']
    paths = dataset_paths(build_listing(dataset_cfg))
    load_cfg = loading_step(dataset_cfg.get('pipeline'))
    print(f'Checking {len(paths)} images of {loader_key}.dataset with {args.num_process} '
          f'process(es): {load_cfg}', flush=True)
    broken = verify_images(paths, load_cfg, args.num_process,
                           log=lambda line: print(_printable(line), flush=True))
    folder = osp.dirname(osp.abspath(args.out_path))
    os.makedirs(folder, exist_ok=True)
    # surrogateescape: a non-UTF-8 file name is written as its own bytes
    with open(args.out_path, 'w', encoding='utf-8', errors='surrogateescape') as f:
        f.writelines(f'{b.path}\n' for b in broken)
    for item in broken:  # MMPretrain's line, then why
        print(_printable(f'{item.path} cannot be read correctly, please check it.\n'
                         f'    {item.reason}'))
    if not broken:
        print(f'There is no broken file found. (All {len(paths)} images load; {args.out_path} '
              'is left empty.)')
        return 0
    print(f'{len(broken)} broken files found, name list save in file:{args.out_path}')
    return 1


if __name__ == '__main__':
    sys.exit(run_cli(main))
