"""``UniversalVisualizer``: MMPretrain's visualizer of every task - classification results
(``visualize_cls``), image retrieval results (``visualize_image_retrieval``) and masked-image
inputs (``visualize_masked_image``) - on top of :class:`ClsVisualizer`."""
import os
import os.path as osp
from typing import Optional, Sequence

import mmcv
import numpy as np
import torch
from mmengine.dist import master_only

from mmcls_convnext.datasets.transforms.image_budget import read_image
from mmcls_convnext.registry import VISUALIZERS
from mmcls_convnext.structures import DataSample

from .annotate import draw_label_band
from .cls_visualizer import ClsVisualizer

#: text style of ``visualize_cls`` (keys of mmengine's ``Visualizer.draw_texts``)
DEFAULT_TEXT_CFG = dict(
    font_families='monospace',
    colors='white',
    bboxes=dict(facecolor='black', alpha=0.5, boxstyle='round'),
    vertical_alignments='top',
    horizontal_alignments='left',
)


def get_adaptive_scale(img_shape: Sequence[int], min_scale: float = 0.3,
                       max_scale: float = 3.0) -> float:
    """Text scale for an image: its short edge / 224, clipped to ``[min_scale, max_scale]``."""
    return min(max(min(img_shape) / 224., min_scale), max_scale)


def _resize_short(image: np.ndarray, size: int) -> np.ndarray:
    h, w = image.shape[:2]
    if w < h:
        return mmcv.imresize(image, (size, max(1, size * h // w)))
    return mmcv.imresize(image, (max(1, size * w // h), size))


def _labels_text(prefix: str, labels: Sequence[str]) -> str:
    return prefix + ('\n' + ' ' * len(prefix)).join(labels)


@VISUALIZERS.register_module()
class UniversalVisualizer(ClsVisualizer):
    """The visualizer MMPretrain configs name (``visualizer = dict(type='UniversalVisualizer',
    ...)``), with its drawing methods. It is also a :class:`ClsVisualizer`
    (``add_datasample``, ``draw_prediction``).

    Arguments as :class:`ClsVisualizer`.
    """

    def _send(self, drawn: np.ndarray, name: str, show: bool, wait_time: float,
              out_file: Optional[str], step: int) -> np.ndarray:
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
            mmcv.imwrite(drawn[..., ::-1], out_file)  # RGB -> BGR for cv2
        else:
            self.add_image(name, drawn, step=step)
        return drawn

    @master_only
    def visualize_cls(self,
                      image: np.ndarray,
                      data_sample: DataSample,
                      classes: Optional[Sequence[str]] = None,
                      draw_gt: bool = True,
                      draw_pred: bool = True,
                      draw_score: bool = True,
                      resize: Optional[int] = None,
                      rescale_factor: Optional[float] = None,
                      text_cfg: Optional[dict] = None,
                      show: bool = False,
                      wait_time: float = 0,
                      out_file: Optional[str] = None,
                      name: str = '',
                      step: int = 0) -> np.ndarray:
        """Write the ground truth and prediction of ``data_sample`` on ``image``.

        The text (``Ground truth: 1 (bird)`` / ``Prediction: 1, 0.80 (bird)``) goes in the
        top-left corner on a translucent box, sized ``7 * scale`` points where ``scale`` is the
        short edge / 224 (clipped to [0.3, 3]).

        Args:
            image: RGB image ``(H, W, 3)`` uint8.
            data_sample: with ``gt_label`` and/or ``pred_label`` (+ ``pred_score``).
            classes: class names; ``dataset_meta['classes']`` by default.
            draw_gt, draw_pred, draw_score: which parts to write.
            resize: resize the short edge to this size first.
            rescale_factor: or rescale the image by this factor (ignored with ``resize``).
            text_cfg: overrides of the text style (``draw_texts`` keyword arguments).
            show: open a window; wait_time: seconds it stays.
            out_file: write the drawing here instead of sending it to the vis backends.
            name: image name (window title, backend key); step: global step for backends.

        Returns:
            The drawn RGB image.
        """
        if self.dataset_meta is not None:
            classes = classes or self.dataset_meta.get('classes', None)
        if resize is not None:
            image = _resize_short(image, resize)
        elif rescale_factor is not None:
            image = mmcv.imrescale(image, rescale_factor)

        def describe(index: int) -> str:
            if classes is not None and 0 <= index < len(classes):
                return f' ({classes[index]})'
            return ''

        texts = []
        if draw_gt and 'gt_label' in data_sample:
            labels = [f'{i}{describe(i)}' for i in data_sample.gt_label.tolist()]
            texts.append(_labels_text('Ground truth: ', labels))
        if draw_pred and 'pred_label' in data_sample:
            indices = data_sample.pred_label.tolist()
            with_score = draw_score and 'pred_score' in data_sample
            labels = [
                f'{i}' + (f', {data_sample.pred_score[i].item():.2f}' if with_score else '') +
                describe(i) for i in indices
            ]
            texts.append(_labels_text('Prediction: ', labels))

        self.set_image(image)
        scale = get_adaptive_scale(image.shape[:2])
        style = {**DEFAULT_TEXT_CFG, **(text_cfg or {})}
        self.draw_texts('\n'.join(texts), font_sizes=int(scale * 7),
                        positions=np.array([scale * 5, scale * 5]), **style)
        return self._send(self.get_image(), name, show, wait_time, out_file, step)

    @master_only
    def visualize_image_retrieval(self,
                                  image: np.ndarray,
                                  data_sample: DataSample,
                                  prototype_dataset,
                                  topk: int = 1,
                                  draw_score: bool = True,
                                  resize: int = 224,
                                  text_cfg: Optional[dict] = None,
                                  show: bool = False,
                                  wait_time: float = 0,
                                  out_file: Optional[str] = None,
                                  name: Optional[str] = '',
                                  step: int = 0) -> np.ndarray:
        """Draw the query and its ``topk`` best gallery matches side by side.

        Each picture is resized to ``resize`` pixels high and captioned in a band above it
        (``query``; ``#rank: sample <idx>, <score>``).

        Args:
            image: the query, RGB ``(H, W, 3)`` uint8.
            data_sample: the query's prediction: ``pred_score`` (similarity to every gallery
                item) and optionally ``pred_label`` (gallery indices, best first).
            prototype_dataset: the gallery dataset; ``get_data_info(i)['img_path']`` is read.
            topk: number of matches drawn.
            draw_score: write the similarity of each match.
            resize: height of every picture in the strip.
            text_cfg: ``dict(font_size=...)`` to set the caption size.
            show, wait_time, out_file, name, step: as :meth:`visualize_cls`.

        Returns:
            The drawn RGB strip.
        """
        if 'pred_score' not in data_sample:
            raise ValueError('visualize_image_retrieval needs the query\'s pred_score (one '
                             'similarity per gallery item).')
        scores = data_sample.pred_score.detach().float().cpu()
        if 'pred_label' in data_sample:
            ranked = data_sample.pred_label.reshape(-1).tolist()
        else:
            ranked = torch.argsort(scores, descending=True).tolist()
        ranked = ranked[:topk]
        font_size = (text_cfg or {}).get('font_size')

        def tile(picture: np.ndarray, caption: str) -> np.ndarray:
            h, w = picture.shape[:2]
            picture = mmcv.imresize(picture, (max(1, round(w * resize / h)), resize))
            return draw_label_band(picture, [caption], min_size=1,
                                   font_size=font_size or max(12, resize // 14))

        tiles = [tile(image, 'query')]
        for rank, index in enumerate(ranked, start=1):
            info = prototype_dataset.get_data_info(index)
            match = read_image(info['img_path'], channel_order='rgb')
            if match is None:
                raise FileNotFoundError(f'Cannot read gallery image {info["img_path"]!r}.')
            caption = f'#{rank}: sample {info.get("sample_idx", index)}'
            if draw_score:
                caption += f', {float(scores[index]):.2f}'
            tiles.append(tile(match, caption))
        height = max(t.shape[0] for t in tiles)
        gap = np.full((height, max(4, resize // 32), 3), 255, np.uint8)
        row = []
        for t in tiles:
            if t.shape[0] < height:
                t = np.concatenate([t, np.full((height - t.shape[0], t.shape[1], 3), 255,
                                               np.uint8)])
            row += [t, gap]
        drawn = np.ascontiguousarray(np.concatenate(row[:-1], axis=1))
        self.set_image(drawn)
        return self._send(self.get_image(), name, show, wait_time, out_file, step)

    @master_only
    def visualize_masked_image(self,
                               image: np.ndarray,
                               data_sample: DataSample,
                               resize: int = 224,
                               color: str = 'black',
                               alpha: float = 0.5,
                               show: bool = False,
                               wait_time: float = 0,
                               out_file: Optional[str] = None,
                               name: str = '',
                               step: int = 0) -> np.ndarray:
        """Draw the image (resized to ``resize`` x ``resize``) with the patches of
        ``data_sample.mask`` (``(h, w)``, 1 = masked) covered by ``color`` at ``alpha``, as in
        masked-image modelling (FCMAE)."""
        if 'mask' not in data_sample:
            raise ValueError('visualize_masked_image needs data_sample.mask (h, w) of 0/1.')
        if not 0 <= alpha <= 1:
            raise ValueError(f'alpha must be in [0, 1]; got {alpha}.')
        image = mmcv.imresize(image, (resize, resize))
        mask = torch.as_tensor(data_sample.mask).float()
        if mask.dim() != 2:
            raise ValueError(f'data_sample.mask must be (h, w); got shape {tuple(mask.shape)}.')
        mask = torch.nn.functional.interpolate(mask[None, None], size=(resize, resize),
                                               mode='nearest')[0, 0].numpy().astype(bool)
        rgb = np.array(mmcv.color_val(color)[::-1], dtype=np.float32)  # BGR -> RGB
        drawn = image.astype(np.float32)
        drawn[mask] = drawn[mask] * (1 - alpha) + rgb * alpha
        drawn = np.clip(drawn, 0, 255).astype(np.uint8)
        self.set_image(drawn)
        return self._send(self.get_image(), name, show, wait_time, out_file, step)
