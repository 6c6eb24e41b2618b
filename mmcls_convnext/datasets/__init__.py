"""Datasets and transforms; importing this module registers all of them."""
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
from .retrieval_queries import RetrievalQueryDataset
from .scan import IMG_EXTENSIONS
from .transforms import *  # noqa: F401,F403

__all__ = [
    'check_class_maps', 'BAD_IMAGE_ERRORS', 'CustomDataset', 'TooManyBadImagesError',
    'DataConfigError', 'DataConfigTypeError', 'DatasetError', 'DatasetMismatchError',
    'NoImagesFoundError',
    'ImageNet', 'ImageNet21k', 'imagenet_categories', 'IMG_EXTENSIONS',
    'CachedCustomDataset', 'RetrievalQueryDataset',
]
