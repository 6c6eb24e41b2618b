"""Eval preprocessing for inference: input collection, image loading and the config's test
pipeline.

Inputs are file paths, ``http(s)://`` URLs, folders (their image files, sorted, not recursive)
or numpy arrays. Arrays are (H, W, 3) uint8 **BGR**, as ``cv2.imread`` / ``mmcv.imread`` return
them, so that a path and the array read from it give identical predictions.
"""
import copy
import os
import os.path as osp
import urllib.error
import urllib.request
import warnings
from typing import Any, Callable, Dict, List, Sequence, Union

import mmcv
import numpy as np
from mmengine.config import Config

from mmcls_convnext.datasets.scan import IMG_EXTENSIONS
from mmcls_convnext.registry import TRANSFORMS
from mmcls_convnext.weights.download import is_url
from mmcls_convnext.zoo.eval_transforms import EvalTransforms

IMAGE_URL_SCHEMES = ('http', 'https')  # input images read from the web
LOADERS = ('LoadImageFromFile', 'mmcv.LoadImageFromFile', 'LoadImageFromNDArray')

InputType = Union[str, os.PathLike, np.ndarray]
InputsType = Union[InputType, Sequence[InputType]]

#: ImageNet eval preprocessing at 224 px (short edge 256, bicubic, centre crop 224): the last
#: resort for a model whose weights and config name none.
DEFAULT_EVAL = EvalTransforms(crop_size=224, resize_size=256)
DEFAULT_TEST_PIPELINE = DEFAULT_EVAL.pipeline()


def collect_inputs(inputs: InputsType) -> List[Union[str, np.ndarray]]:
    """Flatten ``inputs`` into a list of image paths/URLs and arrays; folders are expanded.

    Raises:
        FileNotFoundError: a path that does not exist (named).
        ValueError: an empty folder or a folder without images. TypeError: other input types.
    """
    if isinstance(inputs, (str, os.PathLike, np.ndarray)):
        inputs = [inputs]
    if not isinstance(inputs, Sequence):
        raise TypeError(f'Inputs must be a path, URL, folder, numpy array or a list of them; '
                        f'got {type(inputs).__name__}.')
    out: List[Union[str, np.ndarray]] = []
    for item in inputs:
        if isinstance(item, np.ndarray):
            if item.ndim not in (2, 3) or (item.ndim == 3 and item.shape[2] not in (1, 3, 4)):
                raise ValueError(f'An image array must be (H, W) or (H, W, 1|3|4); got shape '
                                 f'{item.shape}.')
            out.append(item)
            continue
        if not isinstance(item, (str, os.PathLike)):
            raise TypeError(f'Unsupported input of type {type(item).__name__}: pass paths, URLs, '
                            'folders or numpy arrays.')
        path = os.fspath(item)
        if is_url(path, IMAGE_URL_SCHEMES):
            out.append(path)
        elif osp.isdir(path):
            files = sorted(osp.join(path, f) for f in os.listdir(path)
                           if f.lower().endswith(IMG_EXTENSIONS) and
                           osp.isfile(osp.join(path, f)))
            if not files:
                raise ValueError(f'Folder {path} holds no image files '
                                 f'({", ".join(IMG_EXTENSIONS)}).')
            out.extend(files)
        elif osp.isfile(path):
            out.append(path)
        else:
            raise FileNotFoundError(f'Input image {path} does not exist (absolute path: '
                                    f'{osp.abspath(path)}).')
    return out


def check_image_array(img: np.ndarray) -> np.ndarray:
    """An input array as the pipeline takes it: uint8 0-255 BGR (other integer arrays within
    0-255 are converted; float arrays of pixel values 0-255 pass as they are).

    Raises:
        ValueError: an empty array, a bool array, integers outside 0-255, NaN / inf values, or
            a float array within [0, 1] (normalised pixels: scale them by 255 first - taking
            them as 0-255 values would give a meaningless prediction).
    """
    what = f'Input array (shape {tuple(img.shape)}, dtype {img.dtype})'
    if img.size == 0 or 0 in img.shape[:2]:
        raise ValueError(f'{what} is empty: an image needs at least 1 x 1 pixels.')
    if img.dtype == np.uint8:
        return img
    if img.dtype == np.bool_ or not (np.issubdtype(img.dtype, np.integer)
                                     or np.issubdtype(img.dtype, np.floating)):
        raise ValueError(f'{what}: expected uint8 pixel values 0-255 (BGR); convert it with '
                         '.astype(np.uint8) (e.g. mask * 255 for a bool mask).')
    if np.issubdtype(img.dtype, np.floating):
        if not np.isfinite(img).all():
            raise ValueError(f'{what} contains NaN or infinite values; it is not an image.')
        if img.min() >= 0 and img.max() <= 1:
            raise ValueError(f'{what} holds values in [0, 1] (normalised pixels?): inputs are '
                             '0-255 pixel values (BGR). Pass (img * 255).round().astype'
                             '(np.uint8), or the uint8 image itself.')
        return img
    low, high = int(img.min()), int(img.max())
    if low < 0 or high > 255:
        raise ValueError(f'{what} holds values {low}..{high}, outside the 0-255 of 8-bit '
                         'pixels; scale it to 0-255 and convert it with .astype(np.uint8).')
    return img.astype(np.uint8)


def read_url(url: str, timeout: float = 30.0) -> np.ndarray:
    """Download and decode an image URL into a BGR array.

    Raises:
        ValueError: naming the URL when the download or the decoding fails.
    """
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            data = response.read()
    except (urllib.error.URLError, OSError, ValueError) as e:
        raise ValueError(f'Cannot fetch input image {url}: {getattr(e, "reason", e)}. Check the '
                         'URL and the network, or download the image and pass its path.') from e
    from mmcls_convnext.datasets.transforms.image_budget import check_pixel_budget
    check_pixel_budget(url, data)  # ImageDecodeError (a ValueError) naming the URL
    img = mmcv.imfrombytes(data, flag='color') if data else None
    if img is None:
        raise ValueError(f'Input image {url} ({len(data)} bytes) could not be decoded as an '
                         'image.')
    return img


def eval_pipeline_cfg(model: Any) -> List[dict]:
    """The eval pipeline of a built model: its zoo weights' preprocessing
    (``model.model_info.transforms()``, set by ``get_model`` for a zoo name), else the test
    pipeline of its config (``model.cfg``, see :func:`test_pipeline_cfg`), else ImageNet's
    256/224 with a warning."""
    info = getattr(model, 'model_info', None)
    if info is not None:
        return info.transforms().pipeline()
    cfg = getattr(model, '_config', None) or getattr(model, 'cfg', None)
    return test_pipeline_cfg(cfg if isinstance(cfg, Config) else Config())


def test_pipeline_cfg(cfg: Config) -> List[dict]:
    """The eval pipeline of a config: ``test_dataloader.dataset.pipeline``, then
    ``test_pipeline``, then ``val_dataloader.dataset.pipeline``; else ImageNet's 256/224 with a
    warning."""
    for loader in ('test_dataloader', 'val_dataloader'):
        node = cfg.get(loader)
        pipeline = node.get('dataset', {}).get('pipeline') if node else None
        if pipeline:
            return copy.deepcopy(list(pipeline))
        if loader == 'test_dataloader' and cfg.get('test_pipeline'):
            return copy.deepcopy(list(cfg.test_pipeline))
    warnings.warn('The model config has no test pipeline (test_dataloader.dataset.pipeline); '
                  'using ImageNet eval preprocessing: short edge 256 (bicubic), centre crop 224.',
                  stacklevel=3)
    return copy.deepcopy(DEFAULT_TEST_PIPELINE)


class InferencePipeline:
    """The config's test pipeline, applied to paths (full pipeline) or arrays (loader skipped).

    Args:
        pipeline_cfg: list of transform configs; the first must load the image.
    """

    def __init__(self, pipeline_cfg: List[dict]) -> None:
        if not pipeline_cfg or pipeline_cfg[0].get('type') not in LOADERS:
            raise ValueError(f'The test pipeline must start with an image loader ({LOADERS}); '
                             f'got {pipeline_cfg[:1]}.')
        import mmcls_convnext.datasets  # noqa: F401 - registers the transforms
        loader_cfg = pipeline_cfg[0]
        if loader_cfg.get('type') == 'LoadImageFromNDArray':
            # an in-memory dataset's pipeline (CIFAR10, FashionMNIST...): files are decoded
            # as LoadImageFromFile does (arrays skip the loader, see load())
            loader_cfg = dict(type='LoadImageFromFile')
        self.loader = self._build(loader_cfg)
        self.transforms: List[Callable] = [self._build(t) for t in pipeline_cfg[1:]]

    @staticmethod
    def _build(cfg: dict) -> Callable:
        from mmengine.registry import DefaultScope

        from mmcls_convnext.registry import SCOPE
        with DefaultScope.overwrite_default_scope(SCOPE):
            return TRANSFORMS.build(copy.deepcopy(cfg))

    def load(self, item: Union[str, np.ndarray]) -> Dict[str, Any]:
        """Decode one input into ``results`` with ``img`` (BGR) and shapes."""
        if isinstance(item, np.ndarray):
            img = check_image_array(item)
            if img.ndim == 2:
                img = np.repeat(img[..., None], 3, axis=2)
            elif img.shape[2] == 1:
                img = np.repeat(img, 3, axis=2)
            elif img.shape[2] == 4:
                img = np.ascontiguousarray(img[..., :3])
            return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
        if is_url(item, IMAGE_URL_SCHEMES):
            img = read_url(item)
            return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2],
                        img_path=item)
        results = self.loader(dict(img_path=item))
        if results is None:
            raise ValueError(f'Input image {item} could not be loaded.')
        return results

    def __call__(self, item: Union[str, np.ndarray]) -> Dict[str, Any]:
        results = self.load(item)
        return self.transform(results)

    def transform(self, results: Dict[str, Any]) -> Dict[str, Any]:
        """Apply the transforms after loading to a ``results`` dict (a copy is not made)."""
        for t in self.transforms:
            results = t(results)
            if results is None:
                raise ValueError(f'Transform {t!r} dropped the image.')
        return results
