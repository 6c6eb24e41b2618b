"""Class activation maps (Grad-CAM and variants) of a ConvNeXt stage, saved as an overlay PNG.

Example::

    python tools/visualization/vis_cam.py demo/demo.JPEG \\
        configs/convnext/convnext-tiny_32xb128_in1k.py --checkpoint convnext-tiny.pth \\
        --target-layers backbone.stages.3 --method gradcam --save-path cam.png

The map is computed on the image the model sees (the config's test pipeline: resize + centre
crop) for the predicted class, or for ``--target-category``. Methods (all from the activations
``A_k`` and gradients ``dy_c/dA_k`` of the target layers, no extra dependency):

* ``gradcam`` (Selvaraju et al. 2017): ``relu(sum_k mean_ij(dy_c/dA_k) * A_k)``;
* ``gradcam++`` (Chattopadhay et al. 2018): second-order weights ``alpha`` on positive gradients;
* ``layercam`` (Jiang et al. 2021): ``relu(sum_k relu(dy_c/dA_k) * A_k)``, element-wise.

Several ``--target-layers`` are averaged after each is upsampled to the input size.
"""
import argparse
import difflib
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

METHODS = ('gradcam', 'gradcam++', 'layercam')


def find_module(model: nn.Module, name: str) -> nn.Module:
    """``model``'s submodule called ``name`` (e.g. ``backbone.stages.3``), with suggestions."""
    modules = dict(model.named_modules())
    if name not in modules:
        close = difflib.get_close_matches(name, list(modules), n=3)
        hint = f' Did you mean {", ".join(close)}?' if close else ''
        stages = [n for n in modules if n.count('.') == 2 and '.stages.' in n]
        raise ValueError(f'--target-layers {name!r} is not a module of {type(model).__name__}.'
                         f'{hint} ConvNeXt stages are {stages or "backbone.stages.<i>"}.')
    return modules[name]


def _weighted_map(acts: torch.Tensor, grads: torch.Tensor, method: str) -> torch.Tensor:
    """Combine ``(N, C, h, w)`` activations and gradients into ``(N, h, w)`` maps."""
    if method == 'gradcam':
        weights = grads.mean(dim=(2, 3), keepdim=True)  # (N, C, 1, 1)
        return F.relu((weights * acts).sum(dim=1))
    if method == 'gradcam++':
        g2, g3 = grads.pow(2), grads.pow(3)
        denom = 2 * g2 + (acts.sum(dim=(2, 3), keepdim=True) * g3)
        alpha = g2 / torch.where(denom != 0, denom, torch.ones_like(denom))
        weights = (alpha * F.relu(grads)).sum(dim=(2, 3), keepdim=True)
        return F.relu((weights * acts).sum(dim=1))
    return F.relu((F.relu(grads) * acts).sum(dim=1))  # layercam


class GradCAM:
    """Grad-CAM family on any layers whose output is a ``(N, C, h, w)`` tensor.

    Args:
        model: a module whose ``model(x)`` returns logits ``(N, num_classes)``.
        target_layers: dotted names of the layers, e.g. ``['backbone.stages.3']``.
        method: one of ``'gradcam'``, ``'gradcam++'``, ``'layercam'``.
    """

    def __init__(self, model: nn.Module, target_layers: Sequence[str],
                 method: str = 'gradcam') -> None:
        if method not in METHODS:
            close = difflib.get_close_matches(method, METHODS, n=1)
            hint = f' Did you mean {close[0]!r}?' if close else ''
            raise ValueError(f'--method {method!r} is not supported; choose one of {METHODS}.'
                             f'{hint}')
        if not target_layers:
            raise ValueError('Give at least one target layer, e.g. backbone.stages.3.')
        self.model = model
        self.method = method
        self.layers = {name: find_module(model, name) for name in target_layers}

    def __call__(self, x: torch.Tensor,
                 category: Optional[int] = None) -> Tuple[np.ndarray, int, torch.Tensor]:
        """Maps of ``x`` ``(1, 3, H, W)`` for ``category`` (default: the top-1 class).

        Returns:
            ``(cam, category, logits)``: ``cam`` is ``(H, W)`` float32 in [0, 1].
        """
        if x.ndim != 4 or x.shape[0] != 1:
            raise ValueError(f'GradCAM takes one image (1, C, H, W); got {tuple(x.shape)}.')
        acts: Dict[str, torch.Tensor] = {}

        def keep(name):
            def hook(module, args, output):
                if not isinstance(output, torch.Tensor) or output.ndim != 4:
                    raise ValueError(
                        f'Target layer {name!r} outputs {type(output).__name__} '
                        f'{tuple(getattr(output, "shape", ()))}; Grad-CAM needs a (N, C, h, w) '
                        'feature map, e.g. backbone.stages.<i> or '
                        'backbone.downsample_layers.<i>.')
                output.retain_grad()
                acts[name] = output
            return hook

        handles = [m.register_forward_hook(keep(n)) for n, m in self.layers.items()]
        was_training = self.model.training
        self.model.eval()
        try:
            with torch.enable_grad():
                logits = self.model(x.detach().requires_grad_(True))
                num_classes = logits.shape[1]
                if category is None:
                    category = int(logits[0].argmax())
                elif not 0 <= category < num_classes:
                    raise ValueError(f'--target-category {category} is out of range: the '
                                     f'model has {num_classes} classes (0-{num_classes - 1}).')
                self.model.zero_grad(set_to_none=True)
                logits[0, category].backward()
        finally:
            for h in handles:
                h.remove()
            self.model.train(was_training)
        maps = []
        for name in self.layers:
            act = acts[name].detach().float()
            cam = _weighted_map(act, acts[name].grad.detach().float(), self.method)
            cam = F.interpolate(cam[:, None], size=x.shape[-2:], mode='bilinear',
                                align_corners=False)[0, 0]
            maps.append(cam)
        cam = torch.stack(maps).mean(0)
        cam = cam - cam.min()
        cam = cam / cam.max() if cam.max() > 0 else cam
        return cam.cpu().numpy().astype(np.float32), category, logits.detach().cpu()


def overlay(image_rgb: np.ndarray, cam: np.ndarray, alpha: float = 0.5,
            min_size: int = 224) -> np.ndarray:
    """Blend a JET colour map of ``cam`` over ``image_rgb`` (upscaled to ``min_size``)."""
    if not 0 <= alpha <= 1:
        raise ValueError(f'--alpha must be in [0, 1]; got {alpha}.')
    h, w = image_rgb.shape[:2]
    scale = max(1.0, min_size / min(h, w))
    size = (round(w * scale), round(h * scale))
    image = cv2.resize(image_rgb, size, interpolation=cv2.INTER_NEAREST)
    cam = cv2.resize(cam, size, interpolation=cv2.INTER_LINEAR)
    heat = cv2.applyColorMap(np.uint8(np.clip(cam, 0, 1) * 255), cv2.COLORMAP_JET)[..., ::-1]
    return np.uint8(np.clip((1 - alpha) * image + alpha * heat, 0, 255))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Class activation map of a ConvNeXt stage.')
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file or model-zoo name')
    parser.add_argument('--checkpoint', default=None, help='checkpoint path/URL')
    parser.add_argument('--target-layers', nargs='+', default=['backbone.stages.3'],
                        help='layers to explain (default: backbone.stages.3, the last stage)')
    parser.add_argument('--target-category', type=int, default=None,
                        help='class index to explain (default: the predicted class)')
    parser.add_argument('--method', default='gradcam', help=f'one of {METHODS}')
    parser.add_argument('--alpha', type=float, default=0.5, help='heat-map opacity (0.5)')
    parser.add_argument('--save-path', default=None,
                        help='output PNG (default: <image stem>_cam.png)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.img):
        raise FileNotFoundError(f'Image {args.img} does not exist.')
    from mmengine.config import Config

    from mmcls_convnext.apis import get_model
    from mmcls_convnext.apis.base_inferencer import model_config
    from mmcls_convnext.apis.pipeline import InferencePipeline, test_pipeline_cfg
    from mmcls_convnext.visualization import tensor_to_rgb

    model = get_model(args.config, pretrained=args.checkpoint or False, device=args.device)
    cam_fn = GradCAM(model, args.target_layers, args.method)
    cfg = model_config(model)
    packed = InferencePipeline(test_pipeline_cfg(cfg if cfg is not None else Config()))(args.img)
    data = model.data_preprocessor(dict(inputs=[packed['inputs']],
                                        data_samples=[packed['data_samples']]), False)
    cam, category, logits = cam_fn(data['inputs'], args.target_category)
    score = float(logits.softmax(1)[0, category])
    classes = (getattr(model, 'dataset_meta', None) or {}).get('classes')
    name = classes[category] if classes and category < len(classes) else str(category)
    drawn = overlay(tensor_to_rgb(packed['inputs']), cam, args.alpha)
    save_path = args.save_path or f'{osp.splitext(osp.basename(args.img))[0]}_cam.png'
    os.makedirs(osp.dirname(osp.abspath(save_path)), exist_ok=True)
    cv2.imwrite(save_path, drawn[..., ::-1])
    print(f'{args.method} of {", ".join(args.target_layers)} for class {category} ({name}, '
          f'score {score:.3f}) saved to {save_path}')
    return dict(cam=cam, category=category, score=score, save_path=save_path)


if __name__ == '__main__':
    import sys

    from mmcls_convnext.engine.entrypoints.common import run_cli
    sys.exit(run_cli(lambda argv: main(argv) and 0))  # a refused checkpoint: one ERROR line
