"""Prediction pictures: enlargement of small inputs and a text band that never clips."""
import numpy as np
import pytest
from PIL import Image

from mmcls_convnext.visualization.annotate import (
    BAND_COLORS,
    TEXT_COLOR,
    band_layout,
    draw_label_band,
    enlarge,
    font_size_for,
    label_font,
)
from mmcls_convnext.visualization.draw import draw_prediction, save_prediction


def _checker(size: int) -> np.ndarray:
    """A (size, size, 3) checkerboard of 1-pixel squares: nearest sampling keeps it 2-valued."""
    yy, xx = np.mgrid[0:size, 0:size]
    return np.repeat(((yy + xx) % 2 * 255).astype(np.uint8)[..., None], 3, axis=2)


@pytest.mark.parametrize('size, factor', [(28, 8), (32, 7), (64, 4)])
def test_tiny_images_are_enlarged_by_a_whole_factor_with_nearest(size, factor):
    big, scale = enlarge(_checker(size), min_size=224)
    assert scale == factor and big.shape == (size * factor, size * factor, 3)
    assert set(np.unique(big)) == {0, 255}  # no blending: pixels became squares
    assert (big[::factor, ::factor] == _checker(size)).all()


def test_medium_images_are_scaled_smoothly_and_large_ones_kept():
    medium, scale = enlarge(_checker(100), min_size=224)
    assert scale == pytest.approx(2.24) and medium.shape == (224, 224, 3)
    assert len(np.unique(medium)) > 2  # bicubic, not nearest
    large = np.zeros((300, 451, 3), np.uint8)
    same, scale = enlarge(large, min_size=224)
    assert same is large and scale == 1.0


def test_enlarge_keeps_the_aspect_ratio_on_the_short_edge():
    big, _ = enlarge(np.zeros((32, 48, 3), np.uint8), min_size=224)
    assert big.shape == (224, 336, 3)


def test_band_sits_above_the_unchanged_enlarged_image():
    image = np.full((32, 32, 3), 200, np.uint8)
    lines = ['T-shirt_top 0.91', 'true: T-shirt_top']
    drawn = draw_label_band(image, lines, status=True)
    _, band, _, _ = band_layout(lines, font_size_for(224))
    assert drawn.shape == (band + 224, 224, 3)
    assert (drawn[band:] == 200).all()  # nothing drawn over the picture
    top = drawn[:band]
    assert (top == BAND_COLORS[True]).all(axis=-1).mean() > 0.6  # mostly band colour ...
    assert (top == TEXT_COLOR).all(axis=-1).sum() > 50  # ... with white text on it


def test_long_text_widens_the_picture_instead_of_clipping():
    line = 'American Staffordshire terrier, Staffordshire terrier 0.87'
    drawn = draw_label_band(np.zeros((32, 32, 3), np.uint8), [line], status=False)
    size = font_size_for(224)
    # independent measure of the text with the same font
    assert drawn.shape[1] >= label_font(size).getlength(line)
    band = band_layout([line], size)[1]
    right = drawn[:band, -2:]  # the last columns hold band colour only: the text ended before
    assert (right == BAND_COLORS[False]).all()
    left, top, right_edge, bottom = Image.fromarray(drawn[:band]).convert('L').point(
        lambda v: 255 if v > 200 else 0).getbbox()
    assert left > 0 and top > 0 and right_edge < drawn.shape[1] and bottom < band


def test_no_lines_no_band_and_grey_input():
    assert draw_label_band(np.zeros((300, 300), np.uint8), []).shape == (300, 300, 3)


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(image=np.zeros((3, 8, 8, 1))), TypeError, r'image must be an \(H, W, 3\)'),
    (dict(status='yes'), ValueError, 'status must be None, True or False'),
    (dict(min_size=0), ValueError, 'min_size must be a positive int'),
])
def test_bad_arguments(kwargs, error, match):
    args = dict(image=np.zeros((8, 8, 3), np.uint8), lines=['x'])
    args.update(kwargs)
    with pytest.raises(error, match=match):
        draw_label_band(**args)


def test_draw_prediction_takes_bgr_and_lines(tmp_path):
    bgr = np.zeros((40, 40, 3), np.uint8)
    bgr[..., 0] = 255  # blue in BGR
    picture = draw_prediction(bgr, 'Bag 0.99\ntrue: Bag', correct=True)  # 40 px: x6
    rgb = np.asarray(picture)
    assert picture.size[0] == 240 and tuple(rgb[-1, -1]) == (0, 0, 255)
    path = save_prediction(bgr, ['Bag 0.99'], str(tmp_path / 'out'), 'bag', min_size=80)
    with Image.open(path) as saved:
        assert saved.size[0] == 80 and saved.size[1] > 80
