"""PackInputs / PackMultiTaskInputs: the last pipeline step, producing the model's input
contract."""
from typing import Callable, Dict, Mapping, Optional, Sequence, Union

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from PIL import Image

from mmcls_convnext.registry import TRANSFORMS
from mmcls_convnext.structures import DataSample, MultiTaskDataSample

from ..errors import DataConfigError, DataConfigTypeError
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


@TRANSFORMS.register_module()
class PackMultiTaskInputs(BaseTransform):
    """Pack a multi-task sample into ``dict(inputs=tensor, data_samples=MultiTaskDataSample)``.

    MMPretrain's multi-task packer (for :class:`~mmcls_convnext.datasets.MultiTaskDataset`,
    whose ``gt_label`` is a dict ``{task: label}``). ``inputs`` is packed as by
    :class:`PackInputs`. Each field named in ``multi_task_fields`` must be a dict
    ``{task: value}``; for every task met in those fields, the task's handler (a packer such as
    :class:`PackInputs`, by default ``PackInputs()``) packs the other results together with
    that task's values (without the image: a task holds no input), and the ``DataSample`` it
    returns becomes the field ``task`` of the ``MultiTaskDataSample`` (``sample.task1.gt_label``).
    A task absent from every field of a sample is absent from its ``MultiTaskDataSample``.

    Args:
        multi_task_fields: result keys holding one value per task, e.g. ``['gt_label']``.
        input_key: key of the image in ``results``.
        task_handlers: ``{task: transform config}`` for tasks packed by something other than
            ``PackInputs()`` (e.g. ``dict(type='PackInputs', algorithm_keys=[...])`` or a
            nested ``PackMultiTaskInputs`` for a task group).
    """

    def __init__(self, multi_task_fields: Sequence[str], input_key: str = 'img',
                 task_handlers: Optional[Mapping[str, Union[dict, Callable]]] = None) -> None:
        if (isinstance(multi_task_fields, str) or not isinstance(multi_task_fields, Sequence)
                or not all(isinstance(f, str) for f in multi_task_fields)):
            raise TypeError(f'PackMultiTaskInputs multi_task_fields must be a list of result '
                            f'keys (strings), e.g. [\'gt_label\']; got {multi_task_fields!r}.')
        if not isinstance(input_key, str):
            raise TypeError(f'PackMultiTaskInputs input_key must be a string; got '
                            f'{input_key!r}.')
        if task_handlers is None:
            task_handlers = {}
        if not isinstance(task_handlers, Mapping):
            raise TypeError(f'PackMultiTaskInputs task_handlers must be a dict {{task: '
                            f'transform config}}; got {task_handlers!r}.')
        self.multi_task_fields = list(multi_task_fields)
        self.input_key = input_key
        self.task_handlers: Dict[str, Callable] = {}
        for task, handler in task_handlers.items():
            if isinstance(handler, Mapping):
                handler = TRANSFORMS.build(dict(handler))
            elif not callable(handler):
                raise TypeError(f'PackMultiTaskInputs task_handlers[{task!r}] must be a '
                                f'transform config dict (e.g. dict(type=\'PackInputs\')); got '
                                f'{handler!r}.')
            self.task_handlers[task] = handler
        self._default_handler = PackInputs(input_key=input_key)

    def transform(self, results: dict) -> dict:
        packed = {}
        if self.input_key in results:
            packed['inputs'] = PackInputs.format_input(results[self.input_key])
        shared = {k: v for k, v in results.items()
                  if k != self.input_key and k not in self.multi_task_fields}
        per_task: Dict[str, dict] = {}
        for field in self.multi_task_fields:
            values = results.get(field)
            if values is None:
                continue
            if not isinstance(values, Mapping):
                raise DataConfigTypeError(
                    f'PackMultiTaskInputs: results[{field!r}] must be a dict {{task: value}} '
                    f'(it is listed in multi_task_fields); got {type(values).__name__} '
                    f'{values!r}. Use PackInputs for single-task samples.')
            for task, value in values.items():
                per_task.setdefault(task, {})[field] = value
        sample = MultiTaskDataSample()
        for task, fields in per_task.items():
            handler = self.task_handlers.get(task, self._default_handler)
            task_packed = handler({**shared, **fields})
            if not isinstance(task_packed, dict) or 'data_samples' not in task_packed:
                raise DataConfigTypeError(
                    f'PackMultiTaskInputs: the handler of task {task!r} ({handler!r}) must '
                    f'return a dict with \'data_samples\' (as PackInputs does); got '
                    f'{type(task_packed).__name__}.')
            sample.set_field(task_packed['data_samples'], task)
        packed['data_samples'] = sample
        return packed

    def __repr__(self) -> str:
        handlers = ', '.join(f"'{task}': {type(handler).__name__}"
                             for task, handler in self.task_handlers.items())
        return (f'{type(self).__name__}(multi_task_fields={self.multi_task_fields}, '
                f"input_key='{self.input_key}', task_handlers={{{handlers}}})")


def _key_list(keys, op: str) -> list:
    if isinstance(keys, str) or not isinstance(keys, Sequence) or not all(
            isinstance(k, str) for k in keys):
        raise DataConfigTypeError(f'{op} keys must be a list of result keys (strings); got '
                                  f'{keys!r}.')
    return list(keys)


@TRANSFORMS.register_module()
class Transpose(BaseTransform):
    """Permute the axes of the arrays ``results[key]`` (``ndarray.transpose(order)``).

    Args:
        keys: the result keys to transpose.
        order: the new axis order, e.g. ``(2, 0, 1)`` for HWC -> CHW.
    """

    def __init__(self, keys: Sequence[str], order: Sequence[int]) -> None:
        self.keys = _key_list(keys, 'Transpose')
        if (isinstance(order, str) or not isinstance(order, Sequence)
                or sorted(order) != list(range(len(order)))):
            raise DataConfigError(f'Transpose order must be a permutation of 0..n-1; got '
                                  f'{order!r}.')
        self.order = order

    def transform(self, results: dict) -> dict:
        for key in self.keys:
            value = results[key]
            if value.ndim != len(self.order):
                raise ValueError(f'Transpose: results[{key!r}] has {value.ndim} axes; order '
                                 f'{self.order} needs {len(self.order)}.')
            results[key] = value.transpose(self.order)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(keys={self.keys}, order={self.order})'


@TRANSFORMS.register_module(['NumpyToPIL', 'ToPIL'])
class NumpyToPIL(BaseTransform):
    """The image array as a PIL image (for PIL / ``torchvision/*`` transforms after it).

    Args:
        to_rgb: reverse the channels (the BGR arrays of ``LoadImageFromFile`` become RGB
            images, what PIL and torchvision expect). False keeps the array's order.
    """

    def __init__(self, to_rgb: bool = False) -> None:
        if not isinstance(to_rgb, bool):
            raise DataConfigTypeError(f'NumpyToPIL to_rgb must be True or False; got '
                                      f'{to_rgb!r}.')
        self.to_rgb = to_rgb

    def transform(self, results: dict) -> dict:
        img = results['img']
        if isinstance(img, EncodedImage):  # lazily loaded: decoded straight to RGB PIL
            img = img.decode()[0]
            results['img'] = img if self.to_rgb else Image.fromarray(np.asarray(img)[..., ::-1])
            return results
        if isinstance(img, np.ndarray):
            if self.to_rgb and img.ndim == 3 and img.shape[2] == 3:
                img = np.ascontiguousarray(img[..., ::-1])
            img = Image.fromarray(img[..., 0] if img.ndim == 3 and img.shape[2] == 1 else img)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return f'NumpyToPIL(to_rgb={self.to_rgb})'


@TRANSFORMS.register_module(['PILToNumpy', 'ToNumpy'])
class PILToNumpy(BaseTransform):
    """The PIL image as an array.

    Args:
        to_bgr: reverse the channels of a 3-channel image (RGB -> the BGR order the rest of
            the pipeline and the data preprocessor expect).
        dtype: the array's dtype (e.g. ``'float32'``); None keeps PIL's (uint8).
    """

    def __init__(self, to_bgr: bool = False, dtype: Optional[str] = None) -> None:
        if not isinstance(to_bgr, bool):
            raise DataConfigTypeError(f'PILToNumpy to_bgr must be True or False; got '
                                      f'{to_bgr!r}.')
        if dtype is not None:
            try:
                np.dtype(dtype)
            except TypeError as err:
                raise DataConfigTypeError(f'PILToNumpy dtype {dtype!r} is not a numpy dtype '
                                          f'(e.g. "uint8", "float32").') from err
        self.to_bgr = to_bgr
        self.dtype = dtype

    def transform(self, results: dict) -> dict:
        img = results['img']
        if isinstance(img, EncodedImage):
            img = img.decode()[0]
        img = np.array(img, dtype=self.dtype)
        if self.to_bgr and img.ndim == 3 and img.shape[2] == 3:
            img = np.ascontiguousarray(img[..., ::-1])
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return f'PILToNumpy(to_bgr={self.to_bgr}, dtype={self.dtype})'


@TRANSFORMS.register_module()
class Collect(BaseTransform):
    """Keep only ``keys`` of the results (a missing key is an error naming it).

    Args:
        keys: the result keys to keep.
    """

    def __init__(self, keys: Sequence[str]) -> None:
        self.keys = _key_list(keys, 'Collect')

    def transform(self, results: dict) -> dict:
        missing = [k for k in self.keys if k not in results]
        if missing:
            raise KeyError(f'Collect: keys {missing} are not in the results (they have '
                           f'{sorted(results)}).')
        return {key: results[key] for key in self.keys}

    def __repr__(self) -> str:
        return f'{type(self).__name__}(keys={self.keys})'
