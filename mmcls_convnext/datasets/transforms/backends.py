"""The image backends of the transforms: their names, interpolation tables and checks.

Every transform that resamples pixels takes ``backend`` and ``interpolation`` and checks
them here, so the choice (and what each backend offers) is written in one place:

==========  ===============================================  ==================================
backend     kernels                                          interpolations
==========  ===============================================  ==================================
``cv2``     OpenCV through mmcv (``mmcv.imresize``,          nearest, bilinear, bicubic, area,
            ``imrotate``, ``imshear``...); MMPretrain's      lanczos
            default
``pillow``  Pillow (``Image.resize``, ``rotate``,            resize: nearest, bilinear, bicubic,
            ``transform``); timm's and torchvision's         box, lanczos, hamming; rotate /
            kernels                                          affine ops: nearest, bilinear,
                                                             bicubic (all PIL's warps take)
``torch``   Pillow's antialiased filters on torch's uint8    bilinear, bicubic
            kernels (:mod:`.torch_resize`; resize only,
            within 2 grey levels of ``pillow``, ~4x faster)
==========  ===============================================  ==================================

The ``torchvision/*`` wrappers take torchvision's ``interpolation`` by the ``pillow`` names
(``'bilinear'`` -> ``InterpolationMode.BILINEAR``...). ColorJitter and the RandAugment ops take
``cv2`` or ``pillow`` (mmcv's colour functions, PIL's ``ImageEnhance``).

Images are decoded by OpenCV (``LoadImageFromFile``, BGR) whatever the backend; a backend
only says which library resamples them.
"""
from typing import Dict, Sequence, Tuple

from PIL import Image

from ..errors import DataConfigError

#: backends of resizing transforms (RandomResizedCrop, ResizeEdge, EfficientNet crops...)
RESIZE_BACKENDS: Tuple[str, ...] = ('cv2', 'pillow', 'torch')
#: backends of the pixel ops (RandAugment / AutoAugment ops): no torch kernel for warps
OP_BACKENDS: Tuple[str, ...] = ('cv2', 'pillow')

#: OpenCV's interpolations, by mmcv's names
CV2_INTERPOLATIONS: Tuple[str, ...] = ('nearest', 'bilinear', 'bicubic', 'area', 'lanczos')
#: Pillow's resampling filters, by name (``Image.resize`` takes all of them)
PIL_FILTERS: Dict[str, int] = {
    'nearest': Image.NEAREST, 'bilinear': Image.BILINEAR, 'bicubic': Image.BICUBIC,
    'box': Image.BOX, 'lanczos': Image.LANCZOS, 'hamming': Image.HAMMING,
}
#: the filters Pillow's ``rotate`` / ``transform`` accept
PIL_WARP_INTERPOLATIONS: Tuple[str, ...] = ('nearest', 'bilinear', 'bicubic')
#: the antialiased filters torch's ``interpolate`` implements as Pillow does
TORCH_INTERPOLATIONS: Tuple[str, ...] = ('bilinear', 'bicubic')

#: what each backend can resize with
RESIZE_INTERPOLATIONS: Dict[str, Tuple[str, ...]] = {
    'cv2': CV2_INTERPOLATIONS, 'pillow': tuple(PIL_FILTERS), 'torch': TORCH_INTERPOLATIONS}
#: what each backend can rotate / shear / translate with
WARP_INTERPOLATIONS: Dict[str, Tuple[str, ...]] = {
    'cv2': CV2_INTERPOLATIONS, 'pillow': PIL_WARP_INTERPOLATIONS}

#: interpolation names of the ``torchvision/*`` wrappers -> torchvision's ``InterpolationMode``
#: values (the same filters as ``PIL_FILTERS``: torchvision resizes PIL images with Pillow)
TORCHVISION_INTERPOLATIONS: Tuple[str, ...] = tuple(PIL_FILTERS)


def _prefix(op: str) -> str:
    return f'{op}: ' if op else ''


def check_backend(backend: str, op: str = '',
                  backends: Sequence[str] = RESIZE_BACKENDS) -> str:
    """``backend`` if it is one of ``backends``, else DataConfigError naming them."""
    if backend not in backends:
        raise DataConfigError(f'{_prefix(op)}backend must be one of {tuple(backends)}; got '
                              f'{backend!r}.')
    return backend


def check_interpolation(interpolation: str, backend: str, op: str = '',
                        table: Dict[str, Tuple[str, ...]] = RESIZE_INTERPOLATIONS) -> str:
    """``interpolation`` if ``backend`` (checked against ``table``'s keys) offers it."""
    check_backend(backend, op, tuple(table))
    allowed = table[backend]
    if interpolation not in allowed:
        raise DataConfigError(f'{_prefix(op)}interpolation {interpolation!r} is not available '
                              f'with backend={backend!r}; choose one of {allowed}.')
    return interpolation


__all__ = ['RESIZE_BACKENDS', 'OP_BACKENDS', 'CV2_INTERPOLATIONS', 'PIL_FILTERS',
           'PIL_WARP_INTERPOLATIONS', 'TORCH_INTERPOLATIONS', 'RESIZE_INTERPOLATIONS',
           'WARP_INTERPOLATIONS', 'TORCHVISION_INTERPOLATIONS', 'check_backend',
           'check_interpolation']
