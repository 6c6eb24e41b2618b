"""``ClassNumCheckHook``: the dataset's class names agree with each ``num_classes`` of the model."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmcls_convnext.registry import HOOKS


class ClassNumMismatchError(ValueError, AssertionError):
    """The dataset's classes and a model module's ``num_classes`` disagree (also the
    ``AssertionError`` MMPretrain raises)."""


def dataset_classes(dataset):
    """``dataset.CLASSES`` (MMPretrain's spelling), else ``dataset.metainfo['classes']``."""
    if hasattr(dataset, 'CLASSES'):
        return dataset.CLASSES
    metainfo = getattr(dataset, 'metainfo', None) or {}
    return metainfo.get('classes')


@HOOKS.register_module()
class ClassNumCheckHook(Hook):
    """Before train/val/test, check that the dataset's class names are strings and that every
    model module with a ``num_classes`` (heads, and a preprocessor that sets one) has as many
    classes as the dataset names. A dataset without class names only gets a warning."""

    def _check_head(self, runner, dataset) -> None:
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        name = type(dataset).__name__
        classes = dataset_classes(dataset)
        if classes is None:
            runner.logger.warning(
                f'Please set class information in `metainfo` in the {name} and check if it is '
                f'consistent with the `num_classes` of head')
            return
        if isinstance(classes, (str, bytes)) or not isinstance(classes, (list, tuple)) or \
                not all(isinstance(c, str) for c in classes):
            raise ClassNumMismatchError(
                f'Class information in `metainfo` in {name} should be a tuple of str; got '
                f'{type(classes).__name__}.')
        for module_name, module in model.named_modules():
            num_classes = getattr(module, 'num_classes', None)
            if num_classes is None or isinstance(num_classes, bool) or \
                    not isinstance(num_classes, int):
                continue
            if num_classes != len(classes):
                raise ClassNumMismatchError(
                    f'The `num_classes` ({num_classes}) in {type(module).__name__} '
                    f'({module_name or "model"}) of {type(model).__name__} does not match the '
                    f'length of class names ({len(classes)}) in {name}. Set num_classes='
                    f'{len(classes)} or fix the dataset\'s classes.')

    def before_train(self, runner) -> None:
        self._check_head(runner, runner.train_dataloader.dataset)

    def before_val(self, runner) -> None:
        self._check_head(runner, runner.val_dataloader.dataset)

    def before_test(self, runner) -> None:
        self._check_head(runner, runner.test_dataloader.dataset)
