"""``DatasetCheckHook``: the data must fit the model before the first iteration runs.

Checked in ``before_train``:

- the train and val datasets map class indices to the same class names (a class folder missing
  in val shifts every later index and makes the accuracy meaningless) -> :class:`DatasetError`;
- every label can be predicted: the number of classes of each dataset (or its largest label + 1)
  must not exceed the head's ``num_classes`` -> :class:`DatasetError` naming both numbers and the
  fix, instead of torch's "Class values must be smaller than num_classes" mid-epoch;
- the data preprocessor's one-hot training targets (Mixup / CutMix, ``to_onehot``) are as wide
  as the head's ``num_classes`` -> :class:`~mmcls_convnext.models.errors.ModelConfigError`
  naming both keys, instead of a shape error in the loss of the first iteration;
- a train set with a single class is warned about loudly (it trains to 100 % trivially);
- a head with more outputs than the dataset has classes is noted (fine for some fine-tuning
  set-ups, a mistake more often);
- the validation metrics can be computed: an ``Accuracy(topk=...)`` whose largest ``k``
  exceeds the head's ``num_classes`` (the ImageNet evaluator's ``topk=(1, 5)`` kept for a
  3-class dataset), or a metric given a ``num_classes`` other than the head's
  (``SingleLabelMetric`` / ``ConfusionMatrix``) -> :class:`MetricInputError` now, not after the
  first training epoch.

``after_train_epoch``: when the train dataset skips unreadable images
(``skip_bad_images=True``), log how many were skipped so far.
"""
from typing import Any, List, Optional, Sequence

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmcls_convnext.datasets import check_class_maps
from mmcls_convnext.datasets.scan import DatasetError
from mmcls_convnext.evaluation.metrics.utils import MetricInputError
from mmcls_convnext.registry import HOOKS


def _dataset_of(loader) -> Any:
    dataset = getattr(loader, 'dataset', None)
    # unwrap mmengine's dataset wrappers (RepeatDataset, ClassBalancedDataset, ...)
    while dataset is not None and not hasattr(dataset, 'metainfo') and hasattr(dataset,
                                                                               'dataset'):
        dataset = dataset.dataset
    return dataset


def _head_classes(model: Any) -> Optional[int]:
    """``num_classes`` of the model's head, or None for a model without one."""
    while is_model_wrapper(model) or type(model).__name__.endswith('TTAModel'):
        model = model.module
    num_classes = getattr(getattr(model, 'head', None), 'num_classes', None)
    return num_classes if isinstance(num_classes, int) else None


def _where(dataset: Any) -> str:
    source = getattr(dataset, 'ann_file', '') or getattr(dataset, 'img_prefix', '') or ''
    return f'{type(dataset).__name__} "{source}"' if source else type(dataset).__name__


def _classes(dataset: Any) -> Optional[Sequence[str]]:
    classes = (getattr(dataset, 'metainfo', None) or {}).get('classes')
    return tuple(classes) if classes else None


def _label_count(dataset: Any) -> Optional[int]:
    """Number of classes the labels need: len(classes), else the largest label + 1."""
    classes = _classes(dataset)
    if classes is not None:  # our datasets guarantee every label < len(classes)
        return len(classes)
    get_labels = getattr(dataset, 'get_gt_labels', None)
    labels: List[int] = [int(x) for x in get_labels()] if callable(get_labels) else []
    return max(labels) + 1 if labels else None


def check_labels_fit(dataset: Any, num_classes: int, role: str) -> None:
    """Raise :class:`DatasetError` when ``dataset`` has labels ``>= num_classes``."""
    needed = _label_count(dataset)
    if needed is None or needed <= num_classes:
        return
    classes = _classes(dataset)
    shown = f' ({list(classes[:5])}{", ..." if len(classes) > 5 else ""})' if classes else ''
    raise DatasetError(
        f'The {role} dataset {_where(dataset)} has {needed} classes{shown}, but the model head '
        f'predicts num_classes={num_classes}: labels {num_classes}..{needed - 1} can never be '
        f'right and the loss fails on them. Set model.head.num_classes={needed} (e.g. '
        f'--cfg-options model.head.num_classes={needed}), or fix the class folders / '
        'annotation file.')


def check_topk_fits(evaluator: Any, num_classes: int, field: str = 'val_evaluator') -> None:
    """Raise :class:`MetricInputError` when a metric of ``evaluator`` asks for a top-k with
    ``k > num_classes`` (it could only fail once the loop has run)."""
    for metric in getattr(evaluator, 'metrics', None) or []:
        topk = getattr(metric, 'topk', None)
        if not topk:
            continue
        ks = [int(k) for k in (topk if isinstance(topk, (tuple, list)) else (topk, ))]
        if max(ks) > num_classes:
            fitting = tuple(k for k in ks if k <= num_classes) or (1, )
            raise MetricInputError(
                f'{field}: {type(metric).__name__}(topk={tuple(ks)}) asks for top-{max(ks)} '
                f'accuracy, but the model predicts only num_classes={num_classes}. Set '
                f'{field}.topk={fitting} (e.g. --cfg-options "{field}.topk={fitting}"), or '
                'check model.head.num_classes.')


def check_metric_classes(evaluator: Any, num_classes: int, field: str = 'val_evaluator') -> None:
    """Raise :class:`MetricInputError` when a metric of ``evaluator`` was given a
    ``num_classes`` other than the model's (it could only fail once the loop has run)."""
    for metric in getattr(evaluator, 'metrics', None) or []:
        given = getattr(metric, 'num_classes', None)
        if isinstance(given, int) and given != num_classes:
            name = type(metric).__name__
            raise MetricInputError(
                f'{field}: {name}(num_classes={given}), but the model predicts '
                f'num_classes={num_classes}. Set num_classes={num_classes} in that {name} (or '
                'leave it out: it is taken from the predicted scores), or check '
                'model.head.num_classes.')


def check_target_width(model: Any, num_classes: int) -> None:
    """Raise :class:`ModelConfigError` when the data preprocessor makes one-hot training targets
    (batch augments or ``to_onehot``) of another width than the head's ``num_classes``: the
    loss of the first iteration would fail with tensor shapes. MMPretrain's ImageNet dataset
    bases set ``data_preprocessor.num_classes=1000``, which a fine-tune on another dataset must
    change as well as the head."""
    from mmcls_convnext.models.errors import ModelConfigError
    while is_model_wrapper(model) or type(model).__name__.endswith('TTAModel'):
        model = model.module
    preprocessor = getattr(model, 'data_preprocessor', None)
    given = getattr(preprocessor, 'num_classes', None)
    one_hot = getattr(preprocessor, 'to_onehot', False) or \
        getattr(preprocessor, 'batch_augments', None) is not None
    if one_hot and isinstance(given, int) and not isinstance(given, bool) \
            and given != num_classes:
        raise ModelConfigError(
            f'data_preprocessor.num_classes={given}, but model.head.num_classes={num_classes}: '
            'the one-hot training targets (batch augments or to_onehot) would not fit the '
            f'head. Set data_preprocessor = dict(num_classes={num_classes}) (a dataset base '
            'such as MMPretrain\'s ImageNet ones sets its own number of classes there).')


@HOOKS.register_module()
class DatasetCheckHook(Hook):
    """Checks the data against itself and the model before training starts (see the module
    doc) and reports skipped images after each epoch."""

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        train = _dataset_of(runner.train_dataloader)
        if train is None:
            return
        val_loop = getattr(runner, '_val_loop', None)
        val = _dataset_of(runner.val_dataloader) if val_loop is not None else None
        if val is not None and hasattr(train, 'metainfo') and hasattr(val, 'metainfo'):
            check_class_maps(train, val)
        num_classes = _head_classes(getattr(runner, 'model', None))
        if num_classes is None:
            return
        from mmcls_convnext.models.retrievers import BaseRetriever
        model = getattr(runner, 'model', None)
        model = getattr(model, 'module', model)
        if isinstance(model, BaseRetriever):
            # a retriever's val labels and top-k are gallery indices, not the head's classes
            val = val_loop = None
        check_target_width(model, num_classes)
        for role, dataset in (('train', train), ('val', val)):
            if dataset is not None:
                check_labels_fit(dataset, num_classes, role)
        if val_loop is not None and not isinstance(val_loop, dict):
            check_topk_fits(getattr(val_loop, 'evaluator', None), num_classes)
            check_metric_classes(getattr(val_loop, 'evaluator', None), num_classes)
        self._warn_about_class_count(runner, train, num_classes)

    @staticmethod
    def _warn_about_class_count(runner, train: Any, num_classes: int) -> None:
        classes = _classes(train)
        if classes is None:
            return
        if len(classes) == 1:
            runner.logger.warning(
                f'!!! The train dataset {_where(train)} has a single class ({classes[0]!r}): '
                'the model learns to predict it for every image and reaches 100 % accuracy '
                'trivially. Add the other classes (one folder or label per class), or check '
                'data_root. !!!')
        elif len(classes) < num_classes:
            runner.logger.warning(
                f'The train dataset {_where(train)} has {len(classes)} classes but the head '
                f'predicts num_classes={num_classes}: {num_classes - len(classes)} outputs are '
                f'never trained. Set model.head.num_classes={len(classes)} unless this is '
                'intended.')

    def after_train_epoch(self, runner) -> None:
        train = _dataset_of(runner.train_dataloader)
        if getattr(train, 'num_bad_images', 0):
            runner.logger.warning(f'Epoch {runner.epoch}: {train.bad_image_summary()}')
