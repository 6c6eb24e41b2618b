"""Evaluate a checkpoint (local file or URL).

Usage: python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE]
       [--out-item metrics|pred] [--show] [--show-dir DIR] [--cfg-options k=v ...] [--amp]
       [--tta] [--launcher none|pytorch|slurm|mpi] [--debug]

See docs/training.md; the logic lives in mmcls_convnext.engine.entrypoints.test.
"""
import sys

from mmcls_convnext.engine.entrypoints.test import cli

if __name__ == '__main__':
    sys.exit(cli())
