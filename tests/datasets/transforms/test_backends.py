"""The backend table of the transforms (mmcls_convnext/datasets/transforms/backends.py)."""
import pathlib
import re

import mmcv
import numpy as np
import pytest
from PIL import Image

from mmcls_convnext.datasets import DataConfigError
from mmcls_convnext.datasets.transforms import backends
from mmcls_convnext.datasets.transforms.torch_resize import resize_hwc
from mmcls_convnext.registry import TRANSFORMS

IMG = np.random.RandomState(0).randint(0, 256, (12, 16, 3), np.uint8)


@pytest.mark.parametrize('name', backends.CV2_INTERPOLATIONS)
def test_cv2_names_are_mmcv_names(name):
    assert mmcv.imresize(IMG, (8, 6), interpolation=name).shape == (6, 8, 3)


@pytest.mark.parametrize('name', list(backends.PIL_FILTERS))
def test_pil_filters_resize(name):
    out = Image.fromarray(IMG).resize((8, 6), backends.PIL_FILTERS[name])
    assert out.size == (8, 6)


def test_pil_warp_list_is_what_pillow_warps_with():
    pil = Image.fromarray(IMG)
    for name, code in backends.PIL_FILTERS.items():
        try:
            pil.rotate(10, resample=code)
            accepted = True
        except ValueError:
            accepted = False
        assert accepted == (name in backends.PIL_WARP_INTERPOLATIONS), name


@pytest.mark.parametrize('name', backends.TORCH_INTERPOLATIONS)
def test_torch_interpolations_resize(name):
    assert resize_hwc(IMG, (8, 6), name).shape == (6, 8, 3)


def test_checks_name_what_is_allowed():
    with pytest.raises(DataConfigError, match=r"Op: backend must be one of \('cv2', 'pillow', "
                                              r"'torch'\); got 'skimage'"):
        backends.check_backend('skimage', 'Op')
    with pytest.raises(DataConfigError, match="'area' is not available with "
                                              "backend='torch'; choose one of"):
        backends.check_interpolation('area', 'torch')
    with pytest.raises(DataConfigError, match="backend must be one of \\('cv2', 'pillow'\\)"):
        backends.check_interpolation('bilinear', 'torch', table=backends.WARP_INTERPOLATIONS)
    assert backends.check_interpolation('hamming', 'pillow') == 'hamming'


@pytest.mark.parametrize('cfg', [
    dict(type='RandomResizedCrop', scale=8, backend='torch', interpolation='area'),
    dict(type='ResizeEdge', scale=8, backend='cv2', interpolation='hamming'),
    dict(type='EfficientNetCenterCrop', crop_size=8, backend='torch', interpolation='lanczos'),
    dict(type='Rotate', angle=1, backend='pillow', interpolation='box'),
])
def test_transforms_use_the_table(cfg):
    with pytest.raises(DataConfigError, match='is not available with backend='):
        TRANSFORMS.build(cfg)


def test_one_module_defines_the_tables():
    """No other transform module spells a backend tuple or an interpolation table."""
    root = pathlib.Path(backends.__file__).parent
    pattern = re.compile(r"\('cv2', 'pillow'|Image\.(NEAREST|BILINEAR|BICUBIC|LANCZOS)\b")
    offenders = [p.name for p in root.glob('*.py')
                 if p.name != 'backends.py' and pattern.search(p.read_text())]
    assert offenders == []
