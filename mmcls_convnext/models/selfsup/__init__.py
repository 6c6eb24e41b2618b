"""Self-supervised pretraining: FCMAE (ConvNeXt V2's fully convolutional masked autoencoder)."""
from .fcmae import FCMAE, FCMAEDecoder
from .masked_convnext import masked_block_forward, masked_encoder_forward, random_mask

__all__ = ['FCMAE', 'FCMAEDecoder', 'masked_block_forward', 'masked_encoder_forward',
           'random_mask']
