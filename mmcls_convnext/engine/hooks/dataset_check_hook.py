"""``DatasetCheckHook``: train/val class maps must agree; bad-image counts at epoch end."""
from mmengine.hooks import Hook

from mmcls_convnext.datasets import check_class_maps
from mmcls_convnext.registry import HOOKS


def _dataset_of(loader):
    dataset = getattr(loader, 'dataset', None)
    # unwrap mmengine's dataset wrappers (RepeatDataset, ClassBalancedDataset, ...)
    while dataset is not None and not hasattr(dataset, 'metainfo') and hasattr(dataset,
                                                                               'dataset'):
        dataset = dataset.dataset
    return dataset


@HOOKS.register_module()
class DatasetCheckHook(Hook):
    """Checks the data before training starts and reports skipped images after each epoch.

    - ``before_train``: the train and val datasets must map class indices to the same class
      names (a class folder missing in val would shift every later index and make the
      validation accuracy meaningless); otherwise :func:`check_class_maps` raises.
    - ``after_train_epoch``: when the train dataset skips unreadable images
      (``skip_bad_images=True``), log how many were skipped so far.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        train = _dataset_of(runner.train_dataloader)
        val_loop = getattr(runner, '_val_loop', None)
        if train is None or val_loop is None:
            return
        val = _dataset_of(runner.val_dataloader)
        if val is not None and hasattr(train, 'metainfo') and hasattr(val, 'metainfo'):
            check_class_maps(train, val)

    def after_train_epoch(self, runner) -> None:
        train = _dataset_of(runner.train_dataloader)
        if getattr(train, 'num_bad_images', 0):
            runner.logger.warning(f'Epoch {runner.epoch}: {train.bad_image_summary()}')
