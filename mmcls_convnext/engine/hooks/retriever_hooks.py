"""``PrepareProtoBeforeValLoopHook``: embed the retrieval gallery before every validation."""
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.model import is_model_wrapper

from mmcls_convnext.registry import HOOKS


@HOOKS.register_module()
class PrepareProtoBeforeValLoopHook(Hook):
    """Call the retriever's ``prepare_prototype()`` before each validation loop, so the gallery
    embeddings come from the current weights (during training they change every epoch).

    Models that are not a :class:`~mmcls_convnext.models.retrievers.BaseRetriever` get a
    warning and are left alone.
    """

    def before_val(self, runner) -> None:
        from mmcls_convnext.models.retrievers import BaseRetriever
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        if isinstance(model, BaseRetriever):
            model.prepare_prototype()
        else:
            MMLogger.get_current_instance().warning(
                f'PrepareProtoBeforeValLoopHook only works with a retriever (a BaseRetriever such '
                f'as ImageToImageRetriever); got {type(model).__name__}. Remove the hook.')
