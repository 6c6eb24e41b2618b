"""Datasets and transforms; importing this module registers all of them."""
from .base_dataset import BaseDataset
from .caltech101 import Caltech101
from .cifar import CIFAR10, CIFAR100
from .class_maps import check_class_maps
from .cub import CUB
from .custom import BAD_IMAGE_ERRORS, CustomDataset, TooManyBadImagesError
from .decoded_cache import CachedCustomDataset
from .dtd import DTD
from .errors import (
    DataConfigError,
    DataConfigTypeError,
    DatasetError,
    DatasetMismatchError,
    NoImagesFoundError,
)
from .fgvcaircraft import FGVCAircraft
from .flowers102 import Flowers102
from .food101 import Food101
from .imagenet import ImageNet, ImageNet21k, imagenet_categories
from .inshop import InShop
from .mnist import MNIST, FashionMNIST
from .multi_label import MultiLabelDataset
from .multi_task import MultiTaskDataset
from .oxfordiiitpet import OxfordIIITPet
from .places205 import Places205
from .retrieval_queries import RetrievalQueryDataset
from .samplers import RepeatAugSampler
from .scan import IMG_EXTENSIONS
from .stanfordcars import StanfordCars
from .sun397 import SUN397
from .transforms import *  # noqa: F401,F403
from .voc import VOC

__all__ = [
    'check_class_maps', 'BAD_IMAGE_ERRORS', 'CustomDataset', 'TooManyBadImagesError',
    'DataConfigError', 'DataConfigTypeError', 'DatasetError', 'DatasetMismatchError',
    'NoImagesFoundError',
    'ImageNet', 'ImageNet21k', 'imagenet_categories', 'IMG_EXTENSIONS',
    'CachedCustomDataset',
    'BaseDataset', 'MultiLabelDataset', 'VOC', 'CIFAR10', 'CIFAR100', 'MNIST', 'FashionMNIST',
    'CUB', 'Flowers102', 'OxfordIIITPet', 'DTD', 'FGVCAircraft', 'StanfordCars', 'Caltech101',
    'Food101', 'SUN397', 'Places205', 'InShop', 'MultiTaskDataset', 'RepeatAugSampler',
    'RetrievalQueryDataset',
]
