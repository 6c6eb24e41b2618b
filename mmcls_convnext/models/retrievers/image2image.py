"""``ImageToImageRetriever``: rank a gallery of images by the similarity of their embeddings."""
import copy
import os
import os.path as osp
from typing import Callable, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmengine.dist import all_reduce, get_world_size
from mmengine.runner import Runner
from torch.utils.data import DataLoader

from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample

from ..classifiers.image import build_in_scope
from ..errors import InvalidModeError, ModelConfigError, ModelConfigTypeError
from .base import BaseRetriever

MODES = ('tensor', 'loss', 'predict')


def cosine_similarity(queries: torch.Tensor, prototypes: torch.Tensor) -> torch.Tensor:
    """``(Q, D)`` x ``(G, D)`` -> ``(Q, G)`` cosine similarities."""
    return torch.cosine_similarity(queries.unsqueeze(1), prototypes.unsqueeze(0), dim=-1)


SIMILARITIES = {'cosine_similarity': cosine_similarity}


@MODELS.register_module()
class ImageToImageRetriever(BaseRetriever):
    """Embed images with ``image_encoder`` and rank the prototype (gallery) set per query.

    ``predict`` returns, per query, ``pred_score``: the similarity to every gallery item (in
    gallery order, shape ``(G,)``) and ``pred_label``: the gallery indices ranked best first
    (the first ``topk`` of them when ``topk != -1``). ``RetrievalRecall`` /
    ``RetrievalAveragePrecision`` evaluate these against the query's ``gt_label`` (the indices of
    its relevant gallery items).

    Args:
        image_encoder: a backbone config, or a list of configs run one after the other (e.g.
            ``[dict(type='ConvNeXt', ...), dict(type='GeneralizedMeanPooling')]``).
        prototype: the gallery: a tensor of embeddings ``(G, D)``, the path of one saved with
            :meth:`dump_prototype`, a ``DataLoader`` or a dataloader config (embedded by this
            model when first needed, row ``i`` = the sample with ``sample_idx == i``, or the
            ``i``-th sample of the loader when the samples carry no ``sample_idx``).
        head: optional head used for training (e.g. ``ArcFaceClsHead``).
        pretrained: checkpoint path/URL, shortcut for ``init_cfg=dict(type='Pretrained', ...)``.
        similarity_fn: ``'cosine_similarity'`` or a callable ``(queries (Q, D), gallery (G, D))
            -> (Q, G)``.
        train_cfg: ``dict(augments=...)`` hands batch augments to the data preprocessor.
        data_preprocessor: config of the data preprocessor (``ClsDataPreprocessor`` default).
        topk: keep the ``topk`` best gallery indices in ``pred_label`` (-1: all of them).
        init_cfg: mmengine init config.
    """

    def __init__(self,
                 image_encoder: Union[dict, List[dict], nn.Module],
                 prototype: Union[torch.Tensor, str, dict, DataLoader],
                 head: Optional[dict] = None,
                 pretrained: Optional[str] = None,
                 similarity_fn: Union[str, Callable] = 'cosine_similarity',
                 train_cfg: Optional[dict] = None,
                 data_preprocessor: Optional[Union[dict, nn.Module]] = None,
                 topk: int = -1,
                 init_cfg: Optional[dict] = None) -> None:
        if pretrained is not None:
            init_cfg = dict(type='Pretrained', checkpoint=pretrained)
        if not isinstance(prototype, (str, torch.Tensor, dict, DataLoader)):
            raise ModelConfigTypeError(
                f'ImageToImageRetriever prototype must be a tensor of gallery embeddings, the '
                f'path of a saved one, a DataLoader or a dataloader config; got '
                f'{type(prototype).__name__} ({prototype!r}).')
        if not (callable(similarity_fn) or similarity_fn in SIMILARITIES):
            raise ModelConfigError(f'ImageToImageRetriever similarity_fn must be a callable or '
                                   f'one of {sorted(SIMILARITIES)}; got {similarity_fn!r}.')
        if isinstance(topk, bool) or not isinstance(topk, int) or (topk < 1 and topk != -1):
            raise ModelConfigError(f'ImageToImageRetriever topk must be -1 (all) or an int '
                                   f'>= 1; got {topk!r}.')
        if data_preprocessor is None:
            data_preprocessor = dict(type='ClsDataPreprocessor')
        if isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor)
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
            if train_cfg is not None and train_cfg.get('augments'):
                data_preprocessor['batch_augments'] = dict(train_cfg)
            data_preprocessor = build_in_scope(data_preprocessor)
        super().__init__(init_cfg=init_cfg, data_preprocessor=data_preprocessor)
        if isinstance(image_encoder, (list, tuple)):
            image_encoder = nn.Sequential(*[build_in_scope(cfg) for cfg in image_encoder])
        elif not isinstance(image_encoder, nn.Module):
            image_encoder = build_in_scope(image_encoder)
        self.image_encoder = image_encoder
        self.head = build_in_scope(head) if head is not None else None
        self.train_cfg = train_cfg
        self.similarity = similarity_fn
        self.prototype = prototype
        self.prototype_inited = False
        self.topk = topk

    @property
    def similarity_fn(self) -> Callable:
        """The function ``(queries, gallery) -> similarities``."""
        return self.similarity if callable(self.similarity) else SIMILARITIES[self.similarity]

    @property
    def with_head(self) -> bool:
        return self.head is not None

    def forward(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.extract_feat(inputs)
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise InvalidModeError(f'Invalid mode "{mode}": ImageToImageRetriever.forward accepts '
                               f'one of {MODES}.')

    def extract_feat(self, inputs: torch.Tensor):
        """The encoder's output (for a backbone + neck: a tuple with one ``(N, D)`` tensor)."""
        return self.image_encoder(inputs)

    def loss(self, inputs: torch.Tensor, data_samples: List[DataSample]) -> dict:
        if not self.with_head:
            raise ModelConfigError('ImageToImageRetriever has no head: training needs one, e.g. '
                                   "head=dict(type='ArcFaceClsHead', ...).")
        if data_samples is None:
            raise ValueError("forward(mode='loss') needs data_samples with gt_label/gt_score.")
        return self.head.loss(self.extract_feat(inputs), data_samples)

    @staticmethod
    def _last(feats) -> torch.Tensor:
        return feats[-1] if isinstance(feats, (tuple, list)) else feats

    def matching(self, inputs: torch.Tensor) -> dict:
        """Similarities of query embeddings ``(Q, D)`` to the gallery: ``score`` ``(Q, G)``,
        ``pred_label`` (gallery indices, best first) and ``pred_score`` (sorted scores)."""
        scores = self.similarity_fn(inputs, self.prototype_vecs)
        sorted_scores, indices = torch.sort(scores, descending=True, dim=-1)
        return dict(score=scores, pred_label=indices, pred_score=sorted_scores)

    def predict(self, inputs: torch.Tensor, data_samples: Optional[List[DataSample]] = None,
                **kwargs) -> List[DataSample]:
        if not self.prototype_inited:
            self.prepare_prototype()
        feats = self._last(self.extract_feat(inputs))
        result = self.matching(feats)
        scores, labels = result['score'], result['pred_label']
        if self.topk != -1:
            labels = labels[:, :min(self.topk, labels.size(1))]
        if data_samples is None:
            data_samples = [DataSample() for _ in range(scores.size(0))]
        for sample, score, label in zip(data_samples, scores, labels):
            sample.set_pred_score(score.detach()).set_pred_label(label)
        return data_samples

    @torch.no_grad()
    def _embed_loader(self, loader: DataLoader) -> torch.Tensor:
        was_training = self.training
        self.eval()
        total = len(loader.dataset)
        vecs = None
        position = 0
        for data_batch in loader:
            data = self.data_preprocessor(data_batch, False)
            feats = self._last(self(**data, mode='tensor'))
            if vecs is None:
                vecs = torch.zeros(total, feats.shape[1], device=feats.device)
            samples = data_batch.get('data_samples') or [None] * feats.size(0)
            for row, sample in zip(feats, samples):
                index = sample.get('sample_idx') if sample is not None else None
                index = position if index is None else int(index)
                if not 0 <= index < total:
                    raise ValueError(f'Prototype sample_idx {index} is outside the prototype '
                                     f'dataset of {total} samples.')
                vecs[index] = row
                position += 1
        self.train(was_training)
        if vecs is None:
            raise ValueError('The prototype dataloader yielded no samples: the gallery is '
                             'empty.')
        if get_world_size() > 1:  # each rank filled its own rows
            all_reduce(vecs)
        return vecs

    def prepare_prototype(self) -> None:
        """Compute ``prototype_vecs`` ``(G, D)`` from ``prototype`` (tensor, file or loader)."""
        params = list(self.image_encoder.parameters())
        device = params[0].device if params else torch.device('cpu')
        if isinstance(self.prototype, torch.Tensor):
            vecs = self.prototype
        elif isinstance(self.prototype, str):
            if not osp.isfile(self.prototype):
                raise FileNotFoundError(f'Prototype file {self.prototype!r} does not exist (save '
                                        f'one with ImageToImageRetriever.dump_prototype).')
            vecs = torch.load(self.prototype, map_location='cpu', weights_only=True)
            if not isinstance(vecs, torch.Tensor) or vecs.dim() != 2:
                raise ValueError(f'Prototype file {self.prototype!r} must hold one tensor '
                                 f'(num_gallery, dim); got {type(vecs).__name__}.')
        else:
            loader = self.prototype
            if isinstance(loader, dict):
                loader = Runner.build_dataloader(copy.deepcopy(loader))
            vecs = self._embed_loader(loader)
        self.register_buffer('prototype_vecs', vecs.to(device), persistent=False)
        self.prototype_inited = True

    def dump_prototype(self, path: str) -> None:
        """Save ``prototype_vecs`` to ``path`` (computing them first if needed)."""
        if not self.prototype_inited:
            self.prepare_prototype()
        folder = osp.dirname(osp.abspath(path))
        os.makedirs(folder, exist_ok=True)
        torch.save(self.prototype_vecs.cpu(), path)

    def reset_prototype(self) -> None:
        """Forget the gallery embeddings (the next prediction recomputes them)."""
        self.prototype_inited = False


__all__: Sequence[str] = ['ImageToImageRetriever', 'cosine_similarity']
