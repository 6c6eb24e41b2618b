"""``BaseRetriever``: the interface of retrieval models (an mmengine ``BaseModel``)."""
from abc import ABCMeta, abstractmethod
from typing import List, Optional, Union

import torch
from mmengine.model import BaseModel

from mmcls_convnext.structures import DataSample


class BaseRetriever(BaseModel, metaclass=ABCMeta):
    """A model that embeds queries and ranks a prototype (gallery) set against them.

    Subclasses implement :meth:`forward` (modes ``'tensor'``, ``'loss'``, ``'predict'``) and,
    for prediction, :meth:`prepare_prototype` (compute ``prototype_vecs`` and set
    ``prototype_inited``). :class:`~mmcls_convnext.engine.hooks.PrepareProtoBeforeValLoopHook`
    calls it before every validation so that the gallery follows the training weights.

    Args:
        init_cfg: mmengine init config.
        data_preprocessor: data preprocessor config or module.
    """

    prototype_inited: bool = False

    def __init__(self, init_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, torch.nn.Module]] = None) -> None:
        super().__init__(init_cfg=init_cfg, data_preprocessor=data_preprocessor)

    @abstractmethod
    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None,
                mode: str = 'loss'):
        """``'tensor'``: features; ``'loss'``: dict of losses; ``'predict'``: data samples."""

    def extract_feat(self, inputs: torch.Tensor):
        raise NotImplementedError(f'{type(self).__name__} does not implement extract_feat().')

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        raise NotImplementedError(f'{type(self).__name__} does not implement loss().')

    def predict(self, inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None, **kwargs) -> List[DataSample]:
        raise NotImplementedError(f'{type(self).__name__} does not implement predict().')

    def matching(self, inputs: torch.Tensor) -> dict:
        raise NotImplementedError(f'{type(self).__name__} does not implement matching().')

    def prepare_prototype(self) -> None:
        raise NotImplementedError(f'{type(self).__name__} does not implement '
                                  f'prepare_prototype().')

    def dump_prototype(self, path: str) -> None:
        raise NotImplementedError(f'{type(self).__name__} does not implement dump_prototype().')
