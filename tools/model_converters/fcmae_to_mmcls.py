"""Convert Meta's FCMAE pretraining checkpoint (``convnextv2_*_1k_224_fcmae.pt``) into ours.

Usage:
    python tools/model_converters/fcmae_to_mmcls.py SRC DST [--to-official]

SRC: the official file (``{'model': ...}`` with ``encoder.*`` MinkowskiEngine weights,
``proj``, ``mask_token``, ``decoder.*``, ``pred``). DST receives ``{'state_dict': ..., 'meta':
{...}}`` (written atomically) for our ``FCMAE`` model: continue pretraining with
``model.init_cfg=dict(type='Pretrained', checkpoint=DST)`` (or ``load_from=DST``), or fine-tune
its encoder with ``model.backbone.init_cfg=dict(type='Pretrained', checkpoint=DST,
prefix='backbone.')``. ``--to-official`` converts one of our FCMAE checkpoints back into the
official layout (``{'model': ...}``).
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import torch

from mmcls_convnext.checkpoint import atomic_torch_save, read_checkpoint
from mmcls_convnext.engine.entrypoints.cli_errors import run_cli
from mmcls_convnext.models.selfsup.official_layout import (
    convert_official_fcmae,
    describe,
    to_official_fcmae,
)


def convert_file(src_path: str, dst_path: str, to_official: bool = False) -> Dict:
    """Convert ``src_path`` into ``dst_path``; returns a summary (tensor counts)."""
    checkpoint = read_checkpoint(src_path)
    os.makedirs(osp.dirname(osp.abspath(dst_path)), exist_ok=True)
    if to_official:
        sd = checkpoint.get('state_dict', checkpoint)
        out = to_official_fcmae(sd)
        atomic_torch_save(dict(model=out), dst_path)
        return dict(num_keys=len(out), **describe(sd))
    sd = convert_official_fcmae(checkpoint)
    meta = dict(converted_from='official-fcmae', source_file=osp.basename(src_path),
                torch_version=str(torch.__version__))
    atomic_torch_save(dict(state_dict=sd, meta=meta), dst_path)
    return dict(num_keys=len(sd), **describe(sd))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src_path', help='source checkpoint file')
    parser.add_argument('dst_path', help='output file')
    parser.add_argument('--to-official', action='store_true',
                        help='convert our FCMAE checkpoint into the official layout instead')
    args = parser.parse_args(argv)
    summary = convert_file(args.src_path, args.dst_path, args.to_official)
    print(f'converted {args.src_path} ({summary["encoder"]} encoder and {summary["decoder"]} '
          f'decoder tensors) -> {args.dst_path}'
          + (' (official layout)' if args.to_official else ''))
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
