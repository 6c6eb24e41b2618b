"""``init_cfg=dict(type='Pretrained', checkpoint=..., prefix=...)`` through the verified loader.

mmengine's own ``Pretrained`` initializer loads with ``strict=False`` (a checkpoint of the wrong
layout silently loads nothing) and does not re-check cached downloads. Registered under the same
name in our scope, this one downloads through :func:`download_weights` (sha256 checked on every
use), reads with ``weights_only=True`` and loads with :func:`load_model_weights`' strict,
explained key matching. A head of another size is skipped with one warning (fine-tuning).
"""
from typing import Any, Optional

from torch import nn

from mmcls_convnext.registry import WEIGHT_INITIALIZERS

from .checkpoint import load_checkpoint
from .convert import unwrap_state_dict
from .errors import CheckpointError
from .loading import load_model_weights


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
        ckpt = load_checkpoint(self.checkpoint, self.map_location)
        state_dict = unwrap_state_dict(ckpt)
        if self.prefix is not None:
            state_dict = {k[len(self.prefix):]: v for k, v in state_dict.items()
                          if k.startswith(self.prefix)}
            if not state_dict:
                raise CheckpointError(
                    f'No key of {self.checkpoint} starts with {self.prefix!r} (init_cfg prefix); '
                    f'first keys: {list(unwrap_state_dict(ckpt))[:5]}.')
        load_model_weights(module, {'state_dict': state_dict, 'meta': ckpt.get('meta', {})},
                           allow_head_mismatch=True, model_name=self.checkpoint)

    def _get_init_info(self) -> str:
        return f'{self.__class__.__name__}: load from {self.checkpoint} (prefix {self.prefix})'
