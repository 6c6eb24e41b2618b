"""PackInputs: the last pipeline step, producing the model's input contract."""
from typing import Sequence, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from PIL import Image

from mmcls_convnext.registry import TRANSFORMS
from mmcls_convnext.structures import DataSample

from .lazy_image import EncodedImage

GREY_PIL_MODES = ('1', 'L', 'I', 'I;16', 'F')


def _keys(keys: Sequence[str], name: str) -> Union[list, tuple]:
    """A copy of ``keys`` (a list stays a list, as the user wrote it in the config)."""
    if isinstance(keys, str) or not isinstance(keys, Sequence):
        raise TypeError(f'PackInputs {name} must be a list or tuple of keys; got {keys!r}.')
    return list(keys) if isinstance(keys, list) else tuple(keys)


_ATOMS = (str, bytes, int, float, bool, type(None), np.generic)


def _immutable(value) -> bool:
    if isinstance(value, _ATOMS):
        return True
    return isinstance(value, tuple) and all(_immutable(v) for v in value)


@TRANSFORMS.register_module()
class PackInputs(BaseTransform):
    """Pack ``results`` into ``dict(inputs=tensor, data_samples=DataSample)``.

    ``inputs``: an (H, W[, C]) array becomes a contiguous (C, H, W) tensor of the same dtype
    and channel order (BGR from :class:`LoadImageFromFile`; the data preprocessor converts to
    RGB and normalises); a PIL image is packed the same way, its RGB turned to BGR so that the
    same preprocessor serves both; arrays of other ranks (e.g. video clips) and tensors are
    kept as they are; a list packs each item; a not yet decoded ``EncodedImage`` is decoded.
    Without ``results[input_key]`` there is no ``inputs`` key (label-only samples).
    ``gt_label`` / ``gt_score`` become the sample's fields; ``algorithm_keys`` present in
    ``results`` become data fields; ``meta_keys`` present become its metainfo.

    Args:
        input_key: key of the image in ``results``.
        algorithm_keys: extra keys copied as data fields of the sample.
        meta_keys: keys copied into the sample's metainfo when present.
    """

    def __init__(self, input_key: str = 'img', algorithm_keys: Sequence[str] = (),
                 meta_keys: Sequence[str] = ('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                                             'scale_factor', 'flip', 'flip_direction')) -> None:
        if not isinstance(input_key, str):
            raise TypeError(f'PackInputs input_key must be a string; got {input_key!r}.')
        self.input_key = input_key
        self.algorithm_keys = _keys(algorithm_keys, 'algorithm_keys')
        self.meta_keys = _keys(meta_keys, 'meta_keys')

    @classmethod
    def format_input(cls, img) -> Union[torch.Tensor, list]:
        """An image (array, PIL image or tensor) -> the tensor the model receives."""
        if isinstance(img, list):
            return [cls.format_input(item) for item in img]
        if isinstance(img, torch.Tensor):
            return img
        if isinstance(img, EncodedImage):
            img = img.decode()[0]
        if isinstance(img, Image.Image):
            if img.mode not in GREY_PIL_MODES and img.mode != 'RGB':
                img = img.convert('RGB')
            if img.mode == 'RGB':  # (3, H, W) BGR from PIL's bands: one copy, 2x faster
                return torch.from_numpy(np.stack([np.asarray(b) for b in img.split()[::-1]]))
            img = np.asarray(img)
            img = img[..., ::-1] if img.ndim == 3 else img  # RGB -> BGR, as decoded files
        if not isinstance(img, np.ndarray):
            raise TypeError(f'PackInputs expects a numpy array, PIL image or tensor; got '
                            f'{type(img).__name__}.')
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim == 3:  # other ranks, e.g. a clip (num_crops, C, T, H, W), stay as they are
            img = img.transpose(2, 0, 1)
        img = np.ascontiguousarray(img)
        # read-only arrays (views of PIL images) are copied: torch needs writable memory
        return torch.from_numpy(img if img.flags.writeable else img.copy())

    def transform(self, results: dict) -> dict:
        packed = {}
        if self.input_key in results:
            packed['inputs'] = self.format_input(results[self.input_key])
        sample = DataSample()
        if results.get('gt_label') is not None:
            sample.set_gt_label(results['gt_label'])
        if results.get('gt_score') is not None:
            sample.set_gt_score(results['gt_score'])
        for key in self.algorithm_keys:
            if key in results:
                sample.set_field(results[key], key)
        meta = {k: results[k] for k in self.meta_keys if k in results}
        # immutable values need no copy; the rest (arrays, lists, dicts) are deep-copied as
        # mmengine's set_metainfo does (the deep copy of every field cost ~1 ms per batch of 128)
        mutable = {}
        for key, value in meta.items():
            if _immutable(value):
                sample.set_field(value, key, field_type='metainfo')
            else:
                mutable[key] = value
        if mutable:
            sample.set_metainfo(mutable)
        packed['data_samples'] = sample
        return packed

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(input_key='{self.input_key}', "
                f'algorithm_keys={self.algorithm_keys}, meta_keys={self.meta_keys})')
