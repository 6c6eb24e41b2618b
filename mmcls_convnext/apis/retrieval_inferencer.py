"""``ImageRetrievalInferencer``: images in, their best matches in a gallery (prototype) out."""
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence, Union

import numpy as np
import torch

from mmcls_convnext.registry import DATASETS, INFERENCERS
from mmcls_convnext.structures import DataSample

from .base_inferencer import BaseInferencer, ModelArg, split_batches
from .inferencer import rescale_picture
from .pipeline import IMG_EXTENSIONS, InputsType


class GalleryFiles:
    """A gallery given as image files: ``get_data_info(i)`` -> ``{'img_path', 'sample_idx'}``."""

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)

    def __len__(self) -> int:
        return len(self.paths)

    def get_data_info(self, idx: int) -> dict:
        return dict(img_path=self.paths[idx], sample_idx=idx)


def _folder_images(folder: str) -> List[str]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        found += [osp.join(root, f) for f in sorted(files) if f.lower().endswith(IMG_EXTENSIONS)]
    if not found:
        raise ValueError(f'The prototype folder {folder!r} holds no images '
                         f'({", ".join(IMG_EXTENSIONS)}).')
    return found


@INFERENCERS.register_module()
class ImageRetrievalInferencer(BaseInferencer):
    """Find, for each query image, the most similar images of a gallery with an
    :class:`~mmcls_convnext.models.retrievers.ImageToImageRetriever`.

    The gallery is embedded once, with the model's eval preprocessing, when the inferencer is
    built (or read from ``prototype_cache``).

    Args:
        model: a built retriever, or the path / Config of a retriever config.
        prototype: the gallery: a folder (searched recursively, files in sorted order), a list
            of image paths, a dataset config dict, or a dataset object with
            ``get_data_info(i)['img_path']``.
        prototype_cache: a ``.pth`` file of the gallery embeddings: read when it exists (it
            must match the gallery's size), written after embedding when it does not.
        prepare_batch_size: images per forward pass while embedding the gallery.
        pretrained, device, **kwargs: as for :class:`ImageClassificationInferencer`.

    Example:
        >>> inferencer = ImageRetrievalInferencer('my_retriever_cfg.py', prototype='gallery/',
        ...                                       pretrained='epoch_10.pth')
        >>> inferencer('query.jpg', topk=3)[0][0]['sample']['img_path']
    """

    progress_label = 'Retrieval'

    def __init__(self, model: ModelArg, prototype: Union[str, Sequence[str], dict, Any],
                 prototype_cache: Optional[str] = None, prepare_batch_size: int = 8,
                 pretrained: Union[bool, str] = True, device: Optional[str] = None,
                 **kwargs) -> None:
        if not isinstance(model, torch.nn.Module) and 'prototype' not in kwargs:
            # the config's own prototype (often a dataloader of the test gallery) is replaced
            kwargs['prototype'] = torch.zeros(1, 1)
        super().__init__(model, pretrained, device, **kwargs)
        from mmcls_convnext.models.retrievers import BaseRetriever
        if not isinstance(self.model, BaseRetriever):
            raise TypeError(f'ImageRetrievalInferencer needs a retriever (e.g. '
                            f'ImageToImageRetriever); got {type(self.model).__name__}.')
        self.prototype_dataset = self._gallery(prototype)
        self.visualizer = None
        self.num_visualized_imgs = 0
        self._prepare_prototype(prototype_cache, prepare_batch_size)

    @staticmethod
    def _gallery(prototype) -> Any:
        if isinstance(prototype, (str, os.PathLike)):
            path = os.fspath(prototype)
            if not osp.isdir(path):
                raise FileNotFoundError(f'The prototype folder {path!r} does not exist.')
            return GalleryFiles(_folder_images(path))
        if isinstance(prototype, dict):
            return DATASETS.build(dict(prototype))
        if isinstance(prototype, Sequence):
            missing = [p for p in prototype if not osp.isfile(os.fspath(p))]
            if missing:
                raise FileNotFoundError(f'Prototype images not found: {missing[:3]}.')
            if not prototype:
                raise ValueError('The prototype list is empty.')
            return GalleryFiles([os.fspath(p) for p in prototype])
        if hasattr(prototype, 'get_data_info') and hasattr(prototype, '__len__'):
            return prototype
        raise TypeError(f'prototype must be a folder, a list of image paths, a dataset config '
                        f'or a dataset; got {type(prototype).__name__}.')

    def _gallery_paths(self) -> List[str]:
        return [self.prototype_dataset.get_data_info(i)['img_path']
                for i in range(len(self.prototype_dataset))]

    @torch.no_grad()
    def _prepare_prototype(self, cache: Optional[str], batch_size: int) -> None:
        size = len(self.prototype_dataset)
        if cache is not None and osp.isfile(cache):
            self.model.prototype = cache
            self.model.prepare_prototype()
            if self.model.prototype_vecs.size(0) != size:
                held = self.model.prototype_vecs.size(0)
                raise ValueError(f'prototype_cache {cache!r} holds {held}'
                                 f' embeddings but the gallery has {size} images; delete the '
                                 f'file to embed the gallery again.')
            return
        vecs = []
        paths = self._gallery_paths()
        for batch in split_batches(paths, batch_size):
            data, _ = self.prepare(batch)
            data = self.model.data_preprocessor(data, False)
            feats = self.model(data['inputs'], mode='tensor')
            vecs.append((feats[-1] if isinstance(feats, (tuple, list)) else feats).float())
        self.model.prototype = torch.cat(vecs)
        self.model.prepare_prototype()
        if cache is not None:
            self.save_prototype(cache)

    def save_prototype(self, path: str) -> None:
        """Write the gallery embeddings to ``path`` (read back with ``prototype_cache=path``)."""
        self.model.dump_prototype(path)

    def forward(self, data: dict) -> List[DataSample]:
        return self.model.test_step(data)

    @torch.no_grad()
    def __call__(self, inputs: InputsType, return_datasamples: bool = False,
                 batch_size: int = 1, *, topk: int = 1, show_dir: Optional[str] = None,
                 show: bool = False, wait_time: float = 0., resize: Optional[int] = None,
                 draw_score: bool = True,
                 show_progress: Optional[bool] = None) -> List[Union[List[Dict], DataSample]]:
        """Retrieve the ``topk`` best gallery images for every input.

        Args:
            inputs: an image path, URL, folder, numpy array (H, W, 3) BGR uint8, or a list.
            return_datasamples: return the :class:`DataSample` records (``pred_score``: the
                similarity to every gallery image) instead of the match lists.
            batch_size: queries per forward pass.
            topk: matches per query.
            show_dir: write ``<stem>.png`` per query: the query and its matches side by side.
            show, wait_time: display the pictures (needs a display).
            resize: height of the pictures drawn (224 by default).
            draw_score: write the similarity of each match.
            show_progress: progress bar on stderr; default: when there is more than one batch.

        Returns:
            Per query, a list of ``topk`` dicts, best first: ``match_score`` (float, the
            similarity), ``sample_idx`` (the gallery index) and ``sample`` (the gallery entry's
            data info, e.g. ``{'img_path': ...}``).
        """
        size = len(self.prototype_dataset)
        if isinstance(topk, bool) or not isinstance(topk, int) or not 1 <= topk <= size:
            raise ValueError(f'topk must be an int in [1, {size}] (the gallery size); got '
                             f'{topk!r}.')
        if show and not os.environ.get('DISPLAY'):
            raise ValueError('show=True needs a display (DISPLAY is not set); use show_dir=DIR '
                             'to save the pictures instead.')
        results = []
        for item, original, pred in self.iterate(inputs, batch_size, show_progress):
            if show or show_dir is not None:
                self._visualize(item, original, pred, topk, show_dir, show, wait_time,
                                resize or 224, draw_score)
            results.append(pred if return_datasamples else self._matches(pred, topk))
        return results

    def _matches(self, pred: DataSample, topk: int) -> List[Dict[str, Any]]:
        scores, indices = torch.topk(pred.pred_score.detach().float().cpu(), k=topk)
        matches = []
        for score, index in zip(scores.tolist(), indices.tolist()):
            sample = dict(self.prototype_dataset.get_data_info(index))
            sample_idx = sample.pop('sample_idx', index)
            matches.append(dict(match_score=score, sample_idx=sample_idx, sample=sample))
        return matches

    def _visualize(self, item, original: np.ndarray, pred: DataSample, topk: int,
                   show_dir: Optional[str], show: bool, wait_time: float, resize: int,
                   draw_score: bool) -> None:
        if self.visualizer is None:
            from mmcls_convnext.visualization import UniversalVisualizer
            self.visualizer = UniversalVisualizer(name=f'retrieval-inferencer-{id(self)}')
        name = (osp.splitext(osp.basename(item))[0] if isinstance(item, str)
                else str(self.num_visualized_imgs))
        image = np.ascontiguousarray(rescale_picture(original)[..., ::-1])  # BGR -> RGB
        out_file = osp.join(show_dir, f'{name}.png') if show_dir is not None else None
        self.visualizer.visualize_image_retrieval(
            image, pred, self.prototype_dataset, topk=topk, resize=resize,
            draw_score=draw_score, show=show, wait_time=wait_time, out_file=out_file, name=name)
        self.num_visualized_imgs += 1
