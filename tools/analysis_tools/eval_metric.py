"""Compute metrics from the predictions ``tools/test.py --out results.pkl`` saved.

Usage: python tools/analysis_tools/eval_metric.py RESULTS.pkl --metric type=Accuracy topk=1,5
       [--metric type=ConfusionMatrix ...] [--metric type=SingleLabelMetric items=precision,recall]
       multi-label results: --metric type=AveragePrecision --metric type=MultiLabelMetric thr=0.3
Each --metric builds one metric from its key=value pairs (1,5 -> a tuple, numbers -> numbers).
Per-class values (``average=None``) print one line per class, 4 decimals, named by
``--classes a b c`` or by the test dataset of ``--config CONFIG`` (else by index).
A results pickle is read without running code (only tensors, numpy arrays and plain values);
see docs/training.md (Analysis tools).
"""
import argparse
import sys

from mmcls_convnext.engine.entrypoints.common import run_cli
from mmcls_convnext.evaluation import read_results
from mmcls_convnext.evaluation.offline import (
    evaluate_results,
    format_metrics,
    parse_metric_options,
)


def _config_classes(path: str):
    """The class names of ``path``'s test dataset (listed, no image read)."""
    from mmcls_convnext.config import load_config
    from mmcls_convnext.datasets.verify import build_listing
    from mmcls_convnext.engine.registration import import_registering_modules
    cfg = load_config(path, {})
    dataset_cfg = (cfg.get('test_dataloader') or {}).get('dataset')
    if dataset_cfg is None:
        raise KeyError(f'--config {path} has no test_dataloader.dataset to name the classes; '
                       'pass --classes NAME ... instead.')
    import_registering_modules()
    classes = build_listing(dataset_cfg).metainfo.get('classes')
    return list(classes) if classes else None


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description='Evaluate the per-image predictions saved by tools/test.py --out FILE.pkl. '
        'Pickles are read with a restricted unpickler: only tensors, numpy arrays and plain '
        'Python values; anything else is refused unread.')
    parser.add_argument('pkl_results', help='predictions file from tools/test.py --out '
                        '(.pkl, --out-item pred, the default; or .json)')
    parser.add_argument('--metric', nargs='+', action='append', dest='metric_options',
                        metavar='KEY=VALUE',
                        help='one metric config as key=value pairs, e.g. --metric '
                        'type=Accuracy topk=1,5; give --metric again for more metrics')
    parser.add_argument('--classes', nargs='+', default=None,
                        help='class names for per-class values, in class-index order')
    parser.add_argument('--config', default=None,
                        help='take the class names from this config\'s test dataset')
    args = parser.parse_args(argv)
    configs = parse_metric_options(args.metric_options)  # before reading a large file
    records = read_results(args.pkl_results)
    metrics = evaluate_results(records, configs)
    classes = args.classes
    if classes is None and args.config is not None:
        classes = _config_classes(args.config)
    print(f'Metrics of {len(records)} predictions in {args.pkl_results}:')
    print(format_metrics(metrics, classes))
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
