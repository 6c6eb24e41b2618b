"""PackInputs: the last pipeline step, producing the model's input contract."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmcls_convnext.registry import TRANSFORMS
from mmcls_convnext.structures import DataSample


@TRANSFORMS.register_module()
class PackInputs(BaseTransform):
    """Pack ``results`` into ``dict(inputs=uint8 tensor (C, H, W), data_samples=DataSample)``.

    ``inputs`` keeps the image's channel order (BGR from :class:`LoadImageFromFile`);
    the data preprocessor converts to RGB and normalises. ``gt_label`` / ``gt_score`` become the
    sample's fields; ``meta_keys`` present in ``results`` become its metainfo.

    Args:
        input_key: key of the image in ``results``.
        algorithm_keys: extra keys copied as data fields of the sample.
        meta_keys: keys copied into the sample's metainfo when present.
    """

    def __init__(self, input_key: str = 'img', algorithm_keys: Sequence[str] = (),
                 meta_keys: Sequence[str] = ('sample_idx', 'img_path', 'ori_shape', 'img_shape',
                                             'scale_factor', 'flip', 'flip_direction')) -> None:
        self.input_key = input_key
        self.algorithm_keys = tuple(algorithm_keys)
        self.meta_keys = tuple(meta_keys)

    @staticmethod
    def format_input(img: np.ndarray) -> torch.Tensor:
        """(H, W) or (H, W, C) array -> (C, H, W) contiguous tensor of the same dtype."""
        if isinstance(img, torch.Tensor):
            return img
        if not isinstance(img, np.ndarray):
            raise TypeError(f'PackInputs expects a numpy image; got {type(img).__name__}.')
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim != 3:
            raise ValueError(f'PackInputs expects an (H, W[, C]) image; got shape {img.shape}.')
        return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))

    def transform(self, results: dict) -> dict:
        if self.input_key not in results:
            raise KeyError(f'PackInputs: no {self.input_key!r} in the pipeline results (keys: '
                           f'{sorted(results)}). Put LoadImageFromFile first in the pipeline.')
        packed = dict(inputs=self.format_input(results[self.input_key]))
        sample = DataSample()
        if results.get('gt_label') is not None:
            sample.set_gt_label(results['gt_label'])
        if results.get('gt_score') is not None:
            sample.set_gt_score(results['gt_score'])
        for key in self.algorithm_keys:
            if key in results:
                sample.set_field(results[key], key)
        sample.set_metainfo({k: results[k] for k in self.meta_keys if k in results})
        packed['data_samples'] = sample
        return packed

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(input_key='{self.input_key}', "
                f'algorithm_keys={self.algorithm_keys}, meta_keys={self.meta_keys})')
