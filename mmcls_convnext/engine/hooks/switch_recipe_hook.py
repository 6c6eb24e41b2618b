"""``SwitchRecipeHook``: change the train pipeline, batch augments or loss at given epochs."""
import copy
from collections import OrderedDict
from typing import List

from mmcv.transforms import Compose
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmcls_convnext.registry import HOOKS, MODELS, TRANSFORMS


class RecipeError(ValueError, AssertionError):
    """A bad SwitchRecipeHook schedule (also the ``AssertionError`` MMPretrain raises)."""


RECIPE_KEYS = ('action_epoch', 'train_pipeline', 'batch_augments', 'loss')


@HOOKS.register_module()
class SwitchRecipeHook(Hook):
    """Switch parts of the training recipe when given epochs start (e.g. drop Mixup and the
    strong augmentation for the last epochs).

    Args:
        schedule: a list of recipes, each a dict with ``action_epoch`` (the 1-based epoch the
            switch takes effect at) and any of ``train_pipeline`` (a list of transform configs
            or objects; replaces the pipeline of the train dataset, through Concat/Repeat
            wrappers), ``batch_augments`` (a ``RandomBatchAugment`` config such as
            ``dict(augments=dict(type='Mixup', alpha=0.8))``, an object, or None to switch batch
            augments off) and ``loss`` (a loss config or module, set as the model's or its
            head's ``loss_module``).

    When training resumes, the recipes of the epochs already passed are applied first.
    """

    priority = 'NORMAL'

    def __init__(self, schedule: List[dict]) -> None:
        if not isinstance(schedule, (list, tuple)):
            raise RecipeError(f'SwitchRecipeHook schedule must be a list of dicts; got '
                              f'{type(schedule).__name__}.')
        recipes = {}
        for index, recipe in enumerate(schedule):
            if not isinstance(recipe, dict) or 'action_epoch' not in recipe:
                raise RecipeError(f'Please set `action_epoch` in every item of the `schedule` in '
                                  f'the SwitchRecipeHook (item {index}: {recipe!r}).')
            unknown = sorted(set(recipe) - set(RECIPE_KEYS))
            if unknown:
                raise RecipeError(f'SwitchRecipeHook schedule item {index} has unknown keys '
                                  f'{unknown}; allowed: {list(RECIPE_KEYS)}.')
            recipe = dict(recipe)
            epoch = recipe.pop('action_epoch')
            if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 1:
                raise RecipeError(f'SwitchRecipeHook action_epoch must be an int >= 1; got '
                                  f'{epoch!r}.')
            if epoch in recipes:
                raise RecipeError(f'The `action_epoch` {epoch} is repeated in the '
                                  f'SwitchRecipeHook.')
            if 'train_pipeline' in recipe:
                recipe['train_pipeline'] = Compose([
                    TRANSFORMS.build(copy.deepcopy(t)) if isinstance(t, dict) else t
                    for t in recipe['train_pipeline']
                ])
            if isinstance(recipe.get('batch_augments'), dict):
                from mmcls_convnext.models.utils import RandomBatchAugment
                recipe['batch_augments'] = RandomBatchAugment(**recipe['batch_augments'])
            if isinstance(recipe.get('loss'), dict):
                recipe['loss'] = MODELS.build(copy.deepcopy(recipe['loss']))
            recipes[epoch] = recipe
        self.schedule = OrderedDict(sorted(recipes.items()))

    def before_train(self, runner) -> None:
        if getattr(runner, '_resume', False):
            for epoch, recipe in self.schedule.items():
                if epoch >= runner.epoch + 1:
                    break
                self._do_switch(runner, recipe, f' (resume recipe of epoch {epoch})')

    def before_train_epoch(self, runner) -> None:
        recipe = self.schedule.get(runner.epoch + 1)
        if recipe is not None:
            self._do_switch(runner, recipe, f' at epoch {runner.epoch + 1}')

    def _do_switch(self, runner, recipe: dict, extra_info: str = '') -> None:
        if 'batch_augments' in recipe:
            self._switch_batch_augments(runner, recipe['batch_augments'])
            runner.logger.info(f'Switch batch augments{extra_info}.')
        if 'train_pipeline' in recipe:
            self._switch_train_pipeline(runner, recipe['train_pipeline'])
            runner.logger.info(f'Switch train pipeline{extra_info}.')
        if 'loss' in recipe:
            self._switch_loss(runner, recipe['loss'])
            runner.logger.info(f'Switch loss{extra_info}.')

    @staticmethod
    def _model(runner):
        return runner.model.module if is_model_wrapper(runner.model) else runner.model

    @staticmethod
    def _switch_batch_augments(runner, batch_augments) -> None:
        model = SwitchRecipeHook._model(runner)
        preprocessor = getattr(model, 'data_preprocessor', None)
        if preprocessor is None or not hasattr(preprocessor, 'batch_augments'):
            raise RuntimeError(f'Cannot switch batch augments: the data preprocessor of '
                               f'{type(model).__name__} has no `batch_augments`.')
        preprocessor.batch_augments = batch_augments

    @staticmethod
    def _switch_train_pipeline(runner, train_pipeline) -> None:
        def switch(dataset):
            if hasattr(dataset, 'pipeline'):
                dataset.pipeline = train_pipeline
            elif hasattr(dataset, 'datasets'):  # ConcatDataset
                for sub in dataset.datasets:
                    switch(sub)
            elif hasattr(dataset, 'dataset'):  # RepeatDataset, ClassBalancedDataset
                switch(dataset.dataset)
            else:
                raise RuntimeError(f'Cannot access the `pipeline` of the dataset '
                                   f'{type(dataset).__name__}.')

        loader = runner.train_loop.dataloader
        switch(loader.dataset)
        # workers that persist would keep the old pipeline: restart the iterator
        if hasattr(loader, '_iterator'):
            loader._iterator = None

    @staticmethod
    def _switch_loss(runner, loss_module) -> None:
        model = SwitchRecipeHook._model(runner)
        if hasattr(model, 'loss_module'):
            model.loss_module = loss_module
        elif hasattr(model, 'head') and hasattr(model.head, 'loss_module'):
            model.head.loss_module = loss_module
        else:
            raise RuntimeError(f'Cannot access the `loss_module` of the model '
                               f'{type(model).__name__} (nor of its head).')
