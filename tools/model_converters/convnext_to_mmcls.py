"""Convert a ConvNeXt / ConvNeXt-V2 checkpoint of another codebase into mmcls_convnext's layout.

Usage:
    python tools/model_converters/convnext_to_mmcls.py SRC DST
        [--src auto|official|timm|torchvision|hf]

SRC: official facebookresearch ``.pth``/``.pt`` (``{'model': ...}``), a timm / torchvision
state dict, or a Hugging Face ``pytorch_model.bin`` / ``model.safetensors``. DST receives
``{'state_dict': ..., 'meta': {...}}`` (written atomically), ready for
``get_model(config, pretrained=DST)``. Run ``publish_model.py`` on it to add the sha256 suffix.
"""
import argparse
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import torch

from mmcls_convnext.checkpoint import atomic_torch_save, read_checkpoint
from mmcls_convnext.engine.entrypoints.cli_errors import run_cli
from mmcls_convnext.weights import LAYOUTS, convert_state_dict, detect_layout
from mmcls_convnext.weights.convert import unwrap_state_dict


def read_source(path: str) -> Dict:
    """Read SRC under the package's one safe policy (``weights_only=True``; safetensors)."""
    return read_checkpoint(path)


def save_atomic(obj: Dict, path: str) -> None:
    """``torch.save`` ``obj`` to ``path`` atomically (temp file, fsync, rename; mode 0644)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    atomic_torch_save(obj, path)


def convert_file(src_path: str, dst_path: str, src: str = 'auto') -> Dict:
    """Convert ``src_path`` into ``dst_path``; returns a summary dict (layout, keys, classes)."""
    checkpoint = read_source(src_path)
    layout = detect_layout(unwrap_state_dict(checkpoint)) if src == 'auto' else src
    state_dict = convert_state_dict(checkpoint, src=layout)
    head = state_dict.get('head.fc.weight')
    meta = dict(converted_from=layout, source_file=osp.basename(src_path),
                torch_version=str(torch.__version__))
    save_atomic(dict(state_dict=state_dict, meta=meta), dst_path)
    return dict(layout=layout, num_keys=len(state_dict),
                num_classes=int(head.shape[0]) if head is not None else None,
                use_grn=any('.grn.' in k for k in state_dict))


def main(argv: Optional[List[str]] = None) -> int:
    """Parse the arguments and convert; errors of the input file end as one ERROR line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('src_path', help='source checkpoint file')
    parser.add_argument('dst_path', help='output .pth file')
    parser.add_argument('--src', default='auto', choices=('auto', ) + LAYOUTS,
                        help='source layout (default: detected from the keys)')
    args = parser.parse_args(argv)
    summary = convert_file(args.src_path, args.dst_path, args.src)
    print(f'converted {args.src_path} ({summary["layout"]} layout, {summary["num_keys"]} '
          f'tensors, head: {summary["num_classes"] or "none"} classes, '
          f'{"V2 (GRN)" if summary["use_grn"] else "V1"}) -> {args.dst_path}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
