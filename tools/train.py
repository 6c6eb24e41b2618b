"""Train a classifier from a config.

Usage: python tools/train.py CONFIG [--work-dir DIR] [--resume [PATH]] [--amp] [--no-validate]
       [--auto-scale-lr] [--no-pin-memory] [--no-persistent-workers] [--cfg-options k=v ...]
       [--launcher none|pytorch|slurm|mpi] [--local-rank N] [--debug]

See docs/training.md; the logic lives in mmcls_convnext.engine.entrypoints.train.
"""
import sys

from mmcls_convnext.engine.entrypoints.train import cli

if __name__ == '__main__':
    sys.exit(cli())
