"""Readable prediction pictures at any input size: enlarge small images, caption them in a band.

Every drawn prediction of the package (``tools/test.py --show-dir``, ``show_dir`` of the
inferencer, :class:`ClsVisualizer`) goes through :func:`draw_label_band`:

* images whose short edge is below ``min_size`` are enlarged first: by a whole factor with
  nearest-neighbour sampling when they are tiny (short edge <= :data:`TINY_EDGE`, e.g. 28-32 px
  Fashion-MNIST or CIFAR crops, whose pixels stay sharp squares), bicubic otherwise;
* the text goes into a band of its own above the image, never over it. The band is as wide as
  the widest line needs: when a line is longer than the image is wide, the picture is widened
  rather than the text cut.
"""
import math
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

#: short edges up to this size are enlarged by a whole factor with nearest-neighbour sampling
TINY_EDGE = 64
#: smallest text size used, in pixels (legible on screen)
MIN_FONT = 12
#: band colours (RGB): no ground truth, correct prediction, wrong prediction
BAND_COLORS = {None: (32, 32, 32), True: (27, 94, 32), False: (160, 20, 20)}
TEXT_COLOR = (255, 255, 255)


def enlarge(image: np.ndarray, min_size: int = 224) -> Tuple[np.ndarray, float]:
    """Upscale ``image`` so that its short edge is at least ``min_size`` pixels.

    Args:
        image: ``(H, W, C)`` or ``(H, W)`` uint8 array (any channel order).
        min_size: wanted short edge; images already that large are returned unchanged.

    Returns:
        ``(image, scale)``: the (possibly new) array and the factor applied (1.0 when none).
        Tiny images (short edge <= :data:`TINY_EDGE`) are scaled by the whole factor
        ``ceil(min_size / short edge)`` with nearest-neighbour sampling; others by
        ``min_size / short edge`` with bicubic interpolation.
    """
    if not isinstance(min_size, int) or min_size < 1:
        raise ValueError(f'min_size must be a positive int; got {min_size!r}.')
    height, width = image.shape[:2]
    short = min(height, width)
    if short < 1:
        raise ValueError(f'Cannot enlarge an empty image of shape {image.shape}.')
    if short >= min_size:
        return image, 1.0
    if short <= TINY_EDGE:
        scale = float(math.ceil(min_size / short))
        interpolation = cv2.INTER_NEAREST
    else:
        scale = min_size / short
        interpolation = cv2.INTER_CUBIC
    size = (max(1, round(width * scale)), max(1, round(height * scale)))  # cv2 wants (W, H)
    return cv2.resize(image, size, interpolation=interpolation), scale


def label_font(size: int) -> ImageFont.FreeTypeFont:
    """A scalable font at ``size`` pixels: Pillow's bundled one, or matplotlib's DejaVu Sans."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: load_default() has one fixed-size bitmap font
        from matplotlib import font_manager
        return ImageFont.truetype(font_manager.findfont('DejaVu Sans'), size)


def font_size_for(width: int) -> int:
    """Text size for a picture ``width`` pixels wide: 1/16 of it, between 12 and 32 px."""
    return int(min(32, max(MIN_FONT, width // 16)))


def band_layout(lines: Sequence[str], font_size: int) -> Tuple[int, int, int, int]:
    """Size of the band for ``lines``: ``(text width, band height, padding, line height)``."""
    font = label_font(font_size)
    pad = max(3, font_size // 3)
    ascent, descent = font.getmetrics()
    line_height = ascent + descent + max(1, font_size // 8)  # room for descenders (g, y)
    widths = [math.ceil(font.getlength(line)) for line in lines]
    return max(widths, default=0), len(lines) * line_height + 2 * pad, pad, line_height


def draw_label_band(image: np.ndarray,
                    lines: Sequence[str],
                    status: Optional[bool] = None,
                    min_size: int = 224,
                    font_size: Optional[int] = None) -> np.ndarray:
    """Enlarge ``image`` if small and put ``lines`` in a band above it.

    Args:
        image: RGB ``(H, W, 3)`` or grey ``(H, W)`` uint8 image.
        lines: text lines, e.g. ``['Shirt 0.66', 'true: Shirt']``; empty -> no band.
        status: band colour: None (no ground truth), True (correct), False (wrong).
        min_size: enlarge the image until its short edge has this many pixels.
        font_size: text size in pixels; by default 1/16 of the width (12-32 px).

    Returns:
        RGB uint8 ``(band + H', max(W', text width + 2 * padding), 3)``: the band on top,
        the (enlarged) image below it, centred if the band had to be wider.
    """
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3):
        raise TypeError('image must be an (H, W, 3) or (H, W) numpy array; got '
                        f'{type(image).__name__} of shape {getattr(image, "shape", None)}.')
    if status not in BAND_COLORS:
        raise ValueError(f'status must be None, True or False; got {status!r}.')
    rgb = np.repeat(image[..., None], 3, axis=2) if image.ndim == 2 else image[..., :3]
    rgb, _ = enlarge(np.ascontiguousarray(rgb, dtype=np.uint8), min_size)
    lines = [str(line) for line in lines]
    if not lines:
        return rgb
    height, width = rgb.shape[:2]
    size = font_size or font_size_for(width)
    text_width, band_height, pad, line_height = band_layout(lines, size)
    canvas_width = max(width, text_width + 2 * pad)
    color = BAND_COLORS[status]
    canvas = Image.new('RGB', (canvas_width, band_height + height), color)
    canvas.paste(Image.fromarray(rgb), ((canvas_width - width) // 2, band_height))
    draw = ImageDraw.Draw(canvas)
    font = label_font(size)
    for row, line in enumerate(lines):
        # anchor 'la': x at the left edge, y at the ascender line -> the line fits its slot
        draw.text((pad, pad + row * line_height), line, fill=TEXT_COLOR, font=font, anchor='la')
    return np.asarray(canvas)
