"""Compute a confusion matrix on the test set; save it as a pickle and/or a picture.

Usage (MMPretrain's form)::

    python tools/analysis_tools/confusion_matrix.py CONFIG CKPT_OR_RESULTS [--out cm.pkl]
        [--show] [--show-path cm.png] [--include-values] [--cmap viridis] [--normalize]
        [--work-dir DIR] [--cfg-options k=v ...]

CKPT_OR_RESULTS is a checkpoint (path or URL: the tool runs the config's test_dataloader
itself) or the ``.pkl``/``.json`` of predictions written by ``tools/test.py --out results.pkl``
(read with the restricted unpickler). ``--out FILE.pkl`` saves the (C, C) matrix as a pickle of
a ``torch.Tensor`` (rows = ground truth), as MMPretrain does; ``--show-path`` saves the picture,
with the class names of the config's test dataset on both axes. Where this tool differs on
purpose: ``--out`` with a picture extension (.png, .jpg, .pdf, .svg; this tool's older form)
writes the picture, and without ``--out``/``--show-path``/``--show`` the picture is written to
``confusion_matrix.png`` (MMPretrain writes nothing); each case is said on the console.
"""
import argparse
import os
import os.path as osp
import sys

import torch
from mmengine.config import DictAction

from mmcls_convnext.config import load_config
from mmcls_convnext.engine.entrypoints.common import build_runner, run_cli
from mmcls_convnext.engine.entrypoints.test import (
    keep_outputs_in_run_folder,
    work_dir_for_test_run,
)

PICTURE_EXTENSIONS = ('.png', '.jpg', '.jpeg', '.pdf', '.svg')
RESULT_EXTENSIONS = ('.pkl', '.pickle', '.json')


def _from_predictions(path: str) -> torch.Tensor:
    from mmcls_convnext.evaluation import read_results
    from mmcls_convnext.evaluation.metrics import ConfusionMatrix
    results = read_results(path)  # restricted unpickler: tensors and plain values only
    metric = ConfusionMatrix()
    metric.process(None, results)
    return metric.compute_metrics(metric.results)['result']


def _dataset_classes(cfg) -> list:
    """The class names of the config's test dataset (listed, no image loaded), or None."""
    from mmcls_convnext.datasets.verify import build_listing
    from mmcls_convnext.engine.registration import import_registering_modules
    dataset_cfg = (cfg.get('test_dataloader') or {}).get('dataset')
    if dataset_cfg is None:
        return None
    import_registering_modules()
    try:
        classes = build_listing(dataset_cfg).metainfo.get('classes')
    except Exception as err:  # noqa: BLE001 - the names are a nicety; say why they are missing
        print(f'note: the test dataset of the config could not be listed ({type(err).__name__}: '
              f'{err}); the axes show class indices.', file=sys.stderr)
        return None
    return list(classes) if classes else None


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Evaluate a checkpoint (or read saved predictions) and draw the confusion '
        'matrix.')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('ckpt_or_result', help='checkpoint file / URL, or the predictions .pkl '
                        '(or .json) of tools/test.py --out')
    parser.add_argument('--out', default=None,
                        help='save the matrix: FILE.pkl = pickle of a torch.Tensor (MMPretrain); '
                        'a .png/.jpg/.pdf/.svg name = the picture')
    parser.add_argument('--show', action='store_true', help='display the picture in a window')
    parser.add_argument('--show-path', default=None, help='save the picture here')
    parser.add_argument('--normalize', action='store_true', help='rows as fractions')
    parser.add_argument('--include-values', action='store_true', help='numbers in the cells')
    parser.add_argument('--cmap', default='viridis', help='matplotlib colour map (viridis)')
    parser.add_argument('--work-dir', default=None, help='the test run writes its log into '
                        '<work_dir>/test/<timestamp>/ (a training work_dir stays untouched)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. test_dataloader.dataset.data_root=X')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    source = args.ckpt_or_result
    if source.lower().endswith(RESULT_EXTENSIONS):
        matrix = _from_predictions(source)
        classes = _dataset_classes(cfg)
    else:
        # like tools/test.py: a test run writes only into <work_dir>/test/<timestamp>/
        cfg.work_dir = work_dir_for_test_run(args.work_dir or cfg.get('work_dir')
                                             or './work_dirs/confusion_matrix')
        cfg.load_from = None
        cfg.test_evaluator = dict(type='ConfusionMatrix')
        runner = build_runner(cfg, hold_work_dir=False)  # evaluation: no work_dir lock
        keep_outputs_in_run_folder(runner, cfg)
        runner.load_checkpoint(source, strict=True)
        matrix = runner.test()['confusion_matrix/result']
        classes = runner.test_dataloader.dataset.metainfo.get('classes')
        classes = list(classes) if classes else None
    if classes is not None and len(classes) != matrix.shape[0]:
        print(f'note: the config names {len(classes)} classes but the matrix has '
              f'{matrix.shape[0]}; the axes show class indices.', file=sys.stderr)
        classes = None
    print(f'Confusion matrix of {matrix.shape[0]} classes, {int(matrix.sum())} images '
          '(rows: ground truth, columns: prediction).')

    picture = args.show_path
    if args.out is not None and args.out.lower().endswith(PICTURE_EXTENSIONS):
        if picture is not None:
            raise ValueError(f'--out {args.out} and --show-path {picture} are both pictures; '
                             'give --out FILE.pkl for the matrix and --show-path for the '
                             'picture.')
        print(f'note: --out {args.out} has a picture extension: the picture is written there '
              '(MMPretrain\'s --out is the matrix pickle, e.g. --out cm.pkl; the picture goes '
              'to --show-path).')
        picture = args.out
    elif args.out is not None:
        import mmengine
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        mmengine.dump(torch.as_tensor(matrix).cpu(), args.out, file_format='pkl')
        print(f'The confusion matrix (a torch.Tensor) is saved at {args.out}.')
    elif picture is None and not args.show:
        picture = 'confusion_matrix.png'
        print('note: no --out, --show-path or --show: the picture is written to '
              f'{picture}.')

    if picture is not None or args.show:
        import matplotlib
        if not args.show:
            matplotlib.use('Agg')
        from mmcls_convnext.evaluation.metrics import ConfusionMatrix
        figure = ConfusionMatrix.plot(matrix, classes=classes, normalize=args.normalize,
                                      include_values=args.include_values or None,
                                      cmap=args.cmap, show=args.show)
        if picture is not None:
            os.makedirs(osp.dirname(osp.abspath(picture)), exist_ok=True)
            figure.savefig(picture, dpi=100, bbox_inches='tight')
            print(f'The confusion matrix is saved at {picture}.')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
