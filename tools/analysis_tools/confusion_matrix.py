"""Compute a confusion matrix on the test set and save it as a PNG.

Usage: python tools/analysis_tools/confusion_matrix.py CONFIG CHECKPOINT [--out cm.png]
       [--normalize] [--include-values] [--cmap viridis] [--cfg-options k=v ...]
CHECKPOINT is a checkpoint (path or URL; evaluated with the config's test_dataloader) or a
``.pkl`` of predictions written by ``tools/test.py --out results.pkl``.
"""
import argparse
import sys

import torch
from mmengine.config import DictAction

from mmcls_convnext.config import load_config
from mmcls_convnext.engine.entrypoints.common import build_runner, run_cli
from mmcls_convnext.engine.entrypoints.test import (
    keep_outputs_in_run_folder,
    work_dir_for_test_run,
)


def _from_predictions(path: str) -> torch.Tensor:
    from mmcls_convnext.evaluation import read_results
    from mmcls_convnext.evaluation.metrics import ConfusionMatrix
    results = read_results(path)  # restricted unpickler: tensors and plain values only
    metric = ConfusionMatrix()
    metric.process(None, results)
    return metric.compute_metrics(metric.results)['result']


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='Confusion matrix of a classifier')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file / URL, or a predictions .pkl')
    parser.add_argument('--out', default='confusion_matrix.png', help='output PNG')
    parser.add_argument('--normalize', action='store_true', help='rows as fractions')
    parser.add_argument('--include-values', action='store_true', help='numbers in the cells')
    parser.add_argument('--cmap', default='viridis', help='matplotlib colour map')
    parser.add_argument('--work-dir', default=None, help='the test run writes its log into '
                        '<work_dir>/test/<timestamp>/ (a training work_dir stays untouched)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    args = parser.parse_args(argv)

    cfg = load_config(args.config, args.cfg_options)
    classes = None
    if args.checkpoint.endswith('.pkl'):
        matrix = _from_predictions(args.checkpoint)
    else:
        # like tools/test.py: a test run writes only into <work_dir>/test/<timestamp>/
        cfg.work_dir = work_dir_for_test_run(args.work_dir or cfg.get('work_dir')
                                     or './work_dirs/confusion_matrix')
        cfg.load_from = None
        cfg.test_evaluator = dict(type='ConfusionMatrix')
        runner = build_runner(cfg, hold_work_dir=False)  # evaluation: no work_dir lock
        keep_outputs_in_run_folder(runner, cfg)
        runner.load_checkpoint(args.checkpoint, strict=True)
        matrix = runner.test()['confusion_matrix/result']
        classes = runner.test_dataloader.dataset.metainfo.get('classes')

    import matplotlib
    matplotlib.use('Agg')
    from mmcls_convnext.evaluation.metrics import ConfusionMatrix
    figure = ConfusionMatrix.plot(matrix, classes=classes, normalize=args.normalize,
                                  include_values=args.include_values or None, cmap=args.cmap)
    figure.savefig(args.out, dpi=100, bbox_inches='tight')
    print(f'Confusion matrix ({matrix.shape[0]} classes, {int(matrix.sum())} images) saved to '
          f'{args.out}')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
