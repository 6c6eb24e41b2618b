"""Local checkpoints that mmengine itself loads (``Runner.resume`` / ``load_from`` of a plain
mmengine ``Runner``, ``mmengine.runner.load_checkpoint``) go through
:func:`mmcls_convnext.checkpoint.read_checkpoint`.

mmengine 0.10 reads a local file with a bare ``torch.load``; since torch 2.6 that refuses the
``HistoryBuffer`` / numpy records every mmengine training checkpoint holds, so a plain Runner
cannot resume from its own files. Our reader accepts exactly those records (through inert
stand-ins, running no code from the file) and refuses anything else with a clear error. Importing
:mod:`mmcls_convnext.engine` registers it as mmengine's loader for local paths; URLs and other
schemes keep mmengine's loaders.
"""
import os.path as osp

from mmengine.runner.checkpoint import CheckpointLoader

from mmcls_convnext.checkpoint import read_checkpoint


def load_local_checkpoint(filename: str, map_location=None) -> dict:
    """mmengine's local-file loader, with our restricted reading."""
    return read_checkpoint(osp.expanduser(filename), map_location or 'cpu')


def register_local_loader() -> None:
    """Make :func:`load_local_checkpoint` mmengine's loader of local paths (idempotent)."""
    CheckpointLoader.register_scheme(prefixes='', loader=load_local_checkpoint, force=True)
