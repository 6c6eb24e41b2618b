"""Public inference API: build models, classify images, extract features."""
from .base_inferencer import BaseInferencer
from .feature_extractor import FeatureExtractor
from .hub import HubModel, ModelHub
from .inferencer import ImageClassificationInferencer, inference_model
from .model import get_model, imagenet_classes, init_model, list_models
from .retrieval_inferencer import ImageRetrievalInferencer

__all__ = [
    'list_models', 'get_model', 'init_model', 'inference_model', 'imagenet_classes',
    'BaseInferencer', 'ImageClassificationInferencer', 'FeatureExtractor', 'ModelHub', 'HubModel',
    'ImageRetrievalInferencer'
]
