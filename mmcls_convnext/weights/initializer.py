"""``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)`` through the verified loader.

mmengine's own ``Pretrained`` initializer loads with ``strict=False`` (a checkpoint of the wrong
layout silently loads nothing) and does not re-check cached downloads. Registered under the same
name in our scope, this one hands the checkpoint to :func:`load_model_weights`, the path every
weight takes: downloads through the verified cache (sha256 checked on every use), reading with
``weights_only=True``, strict, explained key matching. A head of another size is skipped with
one warning (fine-tuning). One INFO line says which local file was read (also when a URL was
served from the cache or a mirror), how many tensors were loaded and what was left out.
"""
from typing import Any, Optional

from mmengine.logging import MMLogger
from torch import nn

from mmcls_convnext.checkpoint import WeightsDownloadError
from mmcls_convnext.registry import WEIGHT_INITIALIZERS

from .download import offline_message
from .loading import load_model_weights


def train_local_fix(module_name: str) -> str:
    """Fix (2) of a failed download of a config's ``init_cfg`` checkpoint (``tools/train.py``):
    a local file, or training from scratch."""
    return (f'for this init_cfg (type=\'Pretrained\' of the {module_name}; in the fine-tune '
            'recipes model.backbone.init_cfg) give a local file: tools/train.py CONFIG '
            '--cfg-options model.backbone.init_cfg.checkpoint=/path/to/file.pth, or train from '
            'scratch without pretrained weights (random start: far lower accuracy on a small '
            'dataset): --cfg-options model.backbone.init_cfg=None')


@WEIGHT_INITIALIZERS.register_module(name='Pretrained')
class VerifiedPretrainedInit:
    """Initialise a module from a checkpoint file or URL.

    Args:
        checkpoint: local path or URL (zoo URLs are hash-verified).
        prefix: load only the sub-module stored under this key prefix, e.g. ``'backbone'``
            for the backbone of a classifier checkpoint; the prefix is stripped.
        map_location: as for :func:`torch.load`.
    """

    def __init__(self, checkpoint: str, prefix: Optional[str] = None,
                 map_location: Any = 'cpu') -> None:
        if not isinstance(checkpoint, str) or not checkpoint:
            raise TypeError(f"init_cfg type='Pretrained' needs checkpoint=<path or URL>; got "
                            f'{checkpoint!r}.')
        self.checkpoint = checkpoint
        self.prefix = None if prefix is None else prefix.rstrip('.') + '.'
        self.map_location = map_location

    def __call__(self, module: nn.Module) -> None:
        try:
            report = load_model_weights(module, self.checkpoint, prefix=self.prefix,
                                        allow_head_mismatch=True,
                                        map_location=self.map_location)
        except WeightsDownloadError as exc:
            if getattr(exc, 'target', None) is None:
                raise
            # a config's init_cfg is given on the tools/train.py command line, not get_model()
            raise WeightsDownloadError(offline_message(
                exc.url, exc.target, exc.model_name, exc.reason,
                local_fix=train_local_fix(type(module).__name__))) from None
        MMLogger.get_current_instance().info(self._describe(module, report['file'], report))

    def _describe(self, module: nn.Module, local: str, report: dict) -> str:
        origin = (f'{local} (the local copy of {self.checkpoint}: cache or mirror; the config '
                  'shows the URL)' if local != self.checkpoint else local)
        dropped = []
        if report['head_dropped']:
            dropped.append('the head (another shape: left at its initialisation)')
        if report['ignored']:
            dropped.append(f'{len(report["ignored"])} checkpoint key(s) not used by this '
                           f'module, e.g. {report["ignored"][:3]}')
        if report['kept_init']:
            dropped.append(f'{len(report["kept_init"])} module key(s) kept at init, e.g. '
                           f'{report["kept_init"][:3]}')
        prefix = f' (keys under {self.prefix!r})' if self.prefix else ''
        return (f'init_cfg Pretrained: loaded {report["loaded"]} tensors into '
                f'{type(module).__name__} from {origin}{prefix}; '
                + ('; '.join(dropped) if dropped else 'every key matched') + '.')

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint} (prefix {self.prefix})'
