"""Metrics of saved predictions (``tools/analysis_tools/eval_metric.py``).

``--metric type=Accuracy topk=1,5 --metric type=ConfusionMatrix`` gives one metric config per
``--metric``: each ``key=value`` is one argument, its value parsed as mmengine's
``--cfg-options`` values are (``1`` -> int, ``0.5`` -> float, ``True`` / ``None``, ``[a,b]`` ->
list, ``(a,b)`` -> tuple), except that a bare comma list (``1,5``) becomes a tuple. The records
of :func:`~mmcls_convnext.evaluation.read_results` then go through mmengine's
``Evaluator.offline_evaluate`` - the same metric code a test run uses.
"""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.config import DictAction
from mmengine.evaluator import Evaluator

from mmcls_convnext.config import resolve_type
from mmcls_convnext.registry import METRICS

EXAMPLE = '--metric type=Accuracy topk=1,5'
#: records per ``process`` call (a test run's batch; the result does not depend on it)
CHUNK_SIZE = 256


def _parse_value(text: str) -> Any:
    value = DictAction._parse_iterable(text)
    bare_list = ',' in text and text.strip()[:1] not in '[('
    return tuple(value) if bare_list and isinstance(value, list) else value


def parse_metric_options(options: Sequence[Sequence[str]]) -> List[Dict[str, Any]]:
    """One metric config per ``--metric``: ``[['type=Accuracy', 'topk=1,5']]`` ->
    ``[{'type': 'Accuracy', 'topk': (1, 5)}]``; ``type`` is checked against the registry.

    Raises:
        ValueError: no ``--metric``, a word without ``=``, an empty key, a repeated key or no
            ``type``.
        ConfigCompatError: an unknown metric type (with the close matches).
    """
    if not options:
        raise ValueError(f'Give at least one --metric, e.g. {EXAMPLE} (several --metric '
                         'options compute several metrics).')
    configs = []
    for words in options:
        cfg: Dict[str, Any] = {}
        for word in words:
            key, sep, text = word.partition('=')
            key = key.strip()
            if not sep or not key:
                raise ValueError(f'--metric takes key=value pairs, e.g. {EXAMPLE}; got '
                                 f'{word!r} in --metric {" ".join(words)}.')
            if key in cfg:
                raise ValueError(f'--metric {" ".join(words)} sets {key!r} twice.')
            cfg[key] = _parse_value(text)
        if not isinstance(cfg.get('type'), str):
            raise ValueError(f'--metric {" ".join(words)} has no type=NAME, e.g. {EXAMPLE}.')
        cfg['type'] = resolve_type(cfg['type'], 'METRICS', '--metric type')
        configs.append(cfg)
    return configs


def build_metrics(configs: Sequence[Dict[str, Any]]) -> list:
    """The metric objects of :func:`parse_metric_options` configs, built in our registry.

    Raises:
        TypeError / ValueError: a metric refused its arguments (the message names the
            ``--metric`` and the metric's own complaint).
    """
    metrics = []
    for cfg in configs:
        try:
            metrics.append(METRICS.build(dict(cfg)))
        except (TypeError, ValueError) as exc:
            words = ' '.join(f'{k}={v}' for k, v in cfg.items())
            kind = TypeError if isinstance(exc, TypeError) else ValueError
            raise kind(f'--metric {words}: {exc}') from exc
    return metrics


def evaluate_results(records: Sequence[dict], configs: Sequence[Dict[str, Any]]
                     ) -> Dict[str, Any]:
    """Compute the ``configs`` metrics on saved prediction ``records``.

    Args:
        records: per-image dicts as :func:`~mmcls_convnext.evaluation.read_results` gives.
        configs: metric configs as :func:`parse_metric_options` gives.

    Returns:
        ``{metric name: value}`` as a test run reports them, e.g. ``{'accuracy/top1': 91.2}``.
    """
    evaluator = Evaluator(build_metrics(configs))
    return evaluator.offline_evaluate(list(records), None, chunk_size=CHUNK_SIZE)


def _is_number_list(value: Any) -> bool:
    return (isinstance(value, (list, tuple)) and len(value) > 0
            and all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
                    for v in value))


def format_metrics(metrics: Dict[str, Any], classes: Optional[Sequence[str]] = None) -> str:
    """One line per metric: ``accuracy/top1: 91.2000``; tensors / arrays below their name;
    per-class lists (``average=None``) one ``  <index> <class name>: 44.4444`` line per class
    (4 decimals; names from ``classes`` when it has one per value)."""
    lines = []
    for name, value in metrics.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        if isinstance(value, np.ndarray) and value.ndim == 1 and name.endswith('_classwise'):
            value = value.tolist()
        if _is_number_list(value):
            names = (list(classes) if classes is not None and len(classes) == len(value)
                     else [None] * len(value))
            lines.append(f'{name}:')
            width = len(str(len(value) - 1))
            for index, (item, label) in enumerate(zip(value, names)):
                label = f' {label}' if label is not None else ''
                lines.append(f'  {index:>{width}}{label}: {float(item):.4f}')
        elif isinstance(value, np.ndarray) and value.ndim > 0:
            lines.append(f'{name}:\n{np.array2string(value, max_line_width=100)}')
        elif isinstance(value, (int, float, np.number, np.ndarray)):
            lines.append(f'{name}: {float(value):.4f}')
        else:
            lines.append(f'{name}: {value}')
    return '\n'.join(lines)


__all__ = ['parse_metric_options', 'build_metrics', 'evaluate_results', 'format_metrics']
