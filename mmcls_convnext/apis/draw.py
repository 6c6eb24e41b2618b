"""Draw a prediction onto an image and save it (used by ``show_dir``)."""
import os
import os.path as osp

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def draw_prediction(img_bgr: np.ndarray, text: str) -> Image.Image:
    """Return an RGB PIL image of ``img_bgr`` with ``text`` in a dark box at the top left.

    Args:
        img_bgr: (H, W, 3) uint8 BGR image (the original input, before preprocessing).
        text: e.g. ``'tabby, tabby cat: 0.87'``.
    """
    image = Image.fromarray(np.ascontiguousarray(img_bgr[..., ::-1]))
    draw = ImageDraw.Draw(image)
    size = max(10, min(image.size) // 16)
    try:
        font = ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1 has one fixed-size bitmap font
        font = ImageFont.load_default()
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    pad = max(2, size // 4)
    draw.rectangle((0, 0, right - left + 2 * pad, bottom - top + 2 * pad), fill=(0, 0, 0))
    draw.text((pad - left, pad - top), text, fill=(255, 255, 255), font=font)
    return image


def save_prediction(img_bgr: np.ndarray, text: str, show_dir: str, stem: str) -> str:
    """Draw ``text`` on the image and write ``<show_dir>/<stem>.png``; return the path."""
    os.makedirs(show_dir, exist_ok=True)
    path = osp.join(show_dir, f'{stem}.png')
    draw_prediction(img_bgr, text).save(path)
    return path
