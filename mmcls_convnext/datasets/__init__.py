"""Datasets and transforms; importing this module registers all of them."""
from .base_dataset import BaseDataset
from .class_maps import check_class_maps
from .custom import BAD_IMAGE_ERRORS, CustomDataset, TooManyBadImagesError
from .decoded_cache import CachedCustomDataset
from .errors import (
    DataConfigError,
    DataConfigTypeError,
    DatasetError,
    DatasetMismatchError,
    NoImagesFoundError,
)
from .imagenet import ImageNet, ImageNet21k, imagenet_categories
from .multi_label import MultiLabelDataset
from .scan import IMG_EXTENSIONS
from .transforms import *  # noqa: F401,F403
from .voc import VOC

__all__ = [
    'check_class_maps', 'BAD_IMAGE_ERRORS', 'CustomDataset', 'TooManyBadImagesError',
    'DataConfigError', 'DataConfigTypeError', 'DatasetError', 'DatasetMismatchError',
    'NoImagesFoundError',
    'ImageNet', 'ImageNet21k', 'imagenet_categories', 'IMG_EXTENSIONS',
    'CachedCustomDataset',
    'BaseDataset', 'MultiLabelDataset', 'VOC',
]
