"""Draw a prediction onto an image and save it (``show_dir`` of the inferencer, tools/test.py).

Small inputs are enlarged (nearest-neighbour for tiny ones) to at least ``min_size`` pixels on
the short edge and the text goes into a band above the picture, so a 32 px image with
"T-shirt_top: 0.91" stays readable; see :mod:`mmcls_convnext.visualization.annotate`.
"""
import os
import os.path as osp
from typing import Optional, Sequence, Union

import numpy as np
from PIL import Image

from .annotate import draw_label_band

Text = Union[str, Sequence[str]]


def _lines(text: Text) -> list:
    return text.split('\n') if isinstance(text, str) else [str(t) for t in text]


def draw_prediction(img_bgr: np.ndarray, text: Text, min_size: int = 224,
                    correct: Optional[bool] = None) -> Image.Image:
    """Return an RGB PIL image of ``img_bgr`` with ``text`` in a band above it.

    Args:
        img_bgr: ``(H, W, 3)`` uint8 BGR image (the original input) or ``(H, W)`` grey.
        text: e.g. ``'tabby, tabby cat: 0.87'``; several lines as a list or with ``'\\n'``.
        min_size: enlarge the image until its short edge has this many pixels.
        correct: band colour: green when True, red when False, dark grey when None.
    """
    rgb = img_bgr if img_bgr.ndim == 2 else np.ascontiguousarray(img_bgr[..., ::-1])
    return Image.fromarray(draw_label_band(rgb, _lines(text), status=correct,
                                           min_size=min_size))


def save_prediction(img_bgr: np.ndarray, text: Text, show_dir: str, stem: str,
                    min_size: int = 224, correct: Optional[bool] = None) -> str:
    """Draw ``text`` on the image (see :func:`draw_prediction`), write ``<show_dir>/<stem>.png``.

    Returns:
        The path written.
    """
    os.makedirs(show_dir, exist_ok=True)
    path = osp.join(show_dir, f'{stem}.png')
    draw_prediction(img_bgr, text, min_size=min_size, correct=correct).save(path)
    return path
