"""Publish a training checkpoint: weights + plain meta only, named by date and sha256.

Usage:
    python tools/model_converters/publish_model.py IN.pth OUT_NAME[.pth] [--keep ema|raw]
        [--no-ema] [--dataset-type ImageNet]

Writes ``OUT_NAME_<YYYYMMDD>-<first 8 hex of sha256>.pth`` (atomically) holding
``{'state_dict': ..., 'meta': {'dataset_meta': {'classes': [...]}, 'config': str, ...}}``:
no optimizer, scheduler or message-hub state, and only plain Python types in ``meta``, so the
result loads with ``torch.load(weights_only=True)`` and its hash is verified on every load.

IN is read like every checkpoint of this package (``torch.load(weights_only=True)``; training
checkpoints of plain mmengine through inert stand-ins), so publishing never runs code from IN.

``--keep ema`` (default) keeps ``state_dict`` as saved: with mmengine's EMAHook that is the EMA
(evaluated) weights. ``--keep raw`` takes the raw training weights from ``ema_state_dict``.
MMPretrain's ``--no-ema`` is the same as ``--keep raw``; the tool says which weights it kept
(``The input checkpoint has EMA weights, and drop the EMA weights.`` / ``... and use the EMA
weights.``). ``--dataset-type NAME`` (MMPretrain's) stores the class names of that registered
dataset (e.g. ``ImageNet``: its 1000 names) when the checkpoint carries none.
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


def dataset_type_classes(dataset_type: str) -> List[str]:
    """The fixed class names of the registered dataset ``dataset_type`` (``--dataset-type``)."""
    from mmcls_convnext.registry import DATASETS
    from mmcls_convnext.suggestions import did_you_mean
    from mmcls_convnext.utils import register_all_modules
    register_all_modules()
    dataset_cls = DATASETS.get(dataset_type)
    if dataset_cls is None:
        names = sorted(DATASETS.module_dict)
        hint = did_you_mean(dataset_type, names, n=1)
        raise ValueError(f'--dataset-type {dataset_type!r} is not a registered dataset '
                         f'(registered: {", ".join(names)}).{hint}')
    classes = (getattr(dataset_cls, 'METAINFO', None) or {}).get('classes')
    if not classes and hasattr(dataset_cls, 'default_classes'):
        classes = dataset_cls.default_classes(dataset_cls.__new__(dataset_cls))
    if not classes:
        raise ValueError(f'--dataset-type {dataset_type}: this dataset has no fixed class names '
                         '(they come from its folders or annotation file); publish a checkpoint '
                         'trained on it instead, whose meta holds them.')
    return [str(c) for c in classes]


def select_weights(checkpoint: Dict, keep: str) -> 'OrderedDict[str, torch.Tensor]':
    """The state dict to publish (see module doc for ``keep``)."""
    if 'state_dict' not in checkpoint:
        raise KeyError(f'The checkpoint has no "state_dict" (keys: {sorted(checkpoint)}); is it '
                       'an mmcls_convnext training checkpoint?')
    ema = checkpoint.get('ema_state_dict')
    if ema is not None:  # MMPretrain's line
        print('The input checkpoint has EMA weights, '
              + ('and drop the EMA weights.' if keep == 'raw' else 'and use the EMA weights.'))
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


def build_meta(checkpoint: Dict, keep: str,
               dataset_type: Optional[str] = None) -> Dict[str, Any]:
    meta = checkpoint.get('meta') or {}
    classes = (meta.get('dataset_meta') or {}).get('classes') or meta.get('CLASSES')
    if dataset_type is not None:
        named = dataset_type_classes(dataset_type)
        if classes and list(classes) != named:
            print(f'note: the checkpoint already names its {len(classes)} classes; they are kept '
                  f'(--dataset-type {dataset_type} is used only for a checkpoint without them).',
                  file=sys.stderr)
        elif not classes:
            classes = named
            print(f'Stored the {len(named)} class names of {dataset_type} in '
                  'meta.dataset_meta.classes.')
    if not classes:
        print('warning: missing dataset meta information: the published file names no classes '
              '(pass --dataset-type NAME, e.g. ImageNet).', file=sys.stderr)
    out: Dict[str, Any] = dict(
        dataset_meta=dict(classes=_plain(list(classes))) if classes else {},
        config=meta.get('cfg') if isinstance(meta.get('cfg'), str) else None,
        weights='ema' if keep == 'ema' and checkpoint.get('ema_state_dict') else 'raw',
        epoch=_plain(meta.get('epoch')), iter=_plain(meta.get('iter')),
        versions=dict(mmcls_convnext=__version__, torch=torch.__version__,
                      mmengine=_plain(meta.get('mmengine_version') or meta.get('mmengine'))),
        published=datetime.date.today().isoformat())
    return _plain(out)


def publish(in_file: str, out_name: str, keep: str = 'ema',
            dataset_type: Optional[str] = None) -> str:
    """Write the published file and return its path."""
    if keep not in ('ema', 'raw'):
        raise ValueError(f'keep must be "ema" or "raw"; got {keep!r}.')
    checkpoint = read_checkpoint(in_file)
    published = dict(state_dict=select_weights(checkpoint, keep),
                     meta=build_meta(checkpoint, keep, dataset_type))
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
    parser.add_argument('--keep', choices=('ema', 'raw'), default=None,
                        help='which weights to publish (default: ema = state_dict as saved)')
    parser.add_argument('--no-ema', action='store_true',
                        help="MMPretrain's flag: drop the EMA weights, publish the raw training "
                        'weights (the same as --keep raw)')
    parser.add_argument('--dataset-type', default=None,
                        help='store the class names of this registered dataset (e.g. ImageNet) '
                        'when the checkpoint names none')
    args = parser.parse_args(argv)
    if args.no_ema and args.keep == 'ema':
        parser.error('--no-ema contradicts --keep ema; give one of them.')
    keep = 'raw' if args.no_ema else (args.keep or 'ema')
    path = publish(args.in_file, args.out_name, keep, args.dataset_type)
    print(f'Successfully generated the publish-ckpt as {path}.')
    print(f'published {path} ({osp.getsize(path) / 1e6:.1f} MB)')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
