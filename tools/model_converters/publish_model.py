"""Publish a training checkpoint: weights + plain meta only, named by date and sha256.

Usage:
    python tools/model_converters/publish_model.py IN.pth OUT_NAME[.pth] [--keep ema|raw]

Writes ``OUT_NAME_<YYYYMMDD>-<first 8 hex of sha256>.pth`` (atomically) holding
``{'state_dict': ..., 'meta': {'dataset_meta': {'classes': [...]}, 'config': str, ...}}``:
no optimizer, scheduler or message-hub state, and only plain Python types in ``meta``, so the
result loads with ``torch.load(weights_only=True)`` and its hash is verified on every load.

IN is read like every checkpoint of this package (``torch.load(weights_only=True)``; training
checkpoints of plain mmengine through inert stand-ins), so publishing never runs code from IN.

``--keep ema`` (default) keeps ``state_dict`` as saved: with mmengine's EMAHook that is the EMA
(evaluated) weights. ``--keep raw`` takes the raw training weights from ``ema_state_dict``.
"""
import argparse
import datetime
import hashlib
import os
import os.path as osp
import sys
from collections import OrderedDict
from typing import Any, Dict, List, Optional

import torch

from mmcls_convnext.checkpoint import atomic_write_bytes, read_checkpoint, torch_bytes
from mmcls_convnext.engine.entrypoints.cli_errors import run_cli
from mmcls_convnext.version import __version__


def _plain(value: Any) -> Any:
    """Keep only plain Python types (lists, dicts, str, numbers, bool, None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)  # also turns str subclasses (torch's TorchVersion) into str
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    if hasattr(value, 'item') and getattr(value, 'size', 2) in (1, ()):
        return value.item()  # numpy / torch scalars
    return str(value)


def select_weights(checkpoint: Dict, keep: str) -> 'OrderedDict[str, torch.Tensor]':
    """The state dict to publish (see module doc for ``keep``)."""
    if 'state_dict' not in checkpoint:
        raise KeyError(f'The checkpoint has no "state_dict" (keys: {sorted(checkpoint)}); is it '
                       'an mmcls_convnext training checkpoint?')
    ema = checkpoint.get('ema_state_dict')
    if keep == 'raw' and ema is not None:
        # mmengine's EMAHook swaps on save: ema_state_dict holds the raw weights, 'module.'-prefixed
        return OrderedDict((k[len('module.'):], v) for k, v in ema.items()
                           if k.startswith('module.'))
    if keep == 'ema' and ema is None:
        print('note: no ema_state_dict in the checkpoint (no EMAHook): publishing state_dict.',
              file=sys.stderr)
    if keep == 'raw' and ema is None:
        print('note: no ema_state_dict: state_dict already holds the raw weights.',
              file=sys.stderr)
    return OrderedDict((k[len('module.'):] if k.startswith('module.') else k, v)
                       for k, v in checkpoint['state_dict'].items())


def build_meta(checkpoint: Dict, keep: str) -> Dict[str, Any]:
    meta = checkpoint.get('meta') or {}
    classes = (meta.get('dataset_meta') or {}).get('classes') or meta.get('CLASSES')
    out: Dict[str, Any] = dict(
        dataset_meta=dict(classes=_plain(list(classes))) if classes else {},
        config=meta.get('cfg') if isinstance(meta.get('cfg'), str) else None,
        weights='ema' if keep == 'ema' and checkpoint.get('ema_state_dict') else 'raw',
        epoch=_plain(meta.get('epoch')), iter=_plain(meta.get('iter')),
        versions=dict(mmcls_convnext=__version__, torch=torch.__version__,
                      mmengine=_plain(meta.get('mmengine_version') or meta.get('mmengine'))),
        published=datetime.date.today().isoformat())
    return _plain(out)


def publish(in_file: str, out_name: str, keep: str = 'ema') -> str:
    """Write the published file and return its path."""
    if keep not in ('ema', 'raw'):
        raise ValueError(f'keep must be "ema" or "raw"; got {keep!r}.')
    checkpoint = read_checkpoint(in_file)
    published = dict(state_dict=select_weights(checkpoint, keep),
                     meta=build_meta(checkpoint, keep))
    data = torch_bytes(published)
    sha = hashlib.sha256(data).hexdigest()
    stem = out_name[:-4] if out_name.endswith('.pth') else out_name
    path = f'{stem}_{datetime.date.today():%Y%m%d}-{sha[:8]}.pth'
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    atomic_write_bytes(data, path)
    read_checkpoint(path)  # proves: loads with weights_only=True and matches its hash
    return path


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('in_file', help='training checkpoint (e.g. work_dirs/x/epoch_300.pth)')
    parser.add_argument('out_name', help='output path without date/hash, e.g. out/convnext-t')
    parser.add_argument('--keep', choices=('ema', 'raw'), default='ema',
                        help='which weights to publish (default: ema = state_dict as saved)')
    args = parser.parse_args(argv)
    path = publish(args.in_file, args.out_name, args.keep)
    print(f'published {path} ({osp.getsize(path) / 1e6:.1f} MB)')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
