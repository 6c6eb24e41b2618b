"""Class activation maps (Grad-CAM and variants) of a ConvNeXt stage, saved as an overlay PNG.

Example::

    python tools/visualization/vis_cam.py demo/demo.JPEG \\
        configs/convnext/convnext-tiny_32xb128_in1k.py convnext-tiny.pth \\
        --target-layers backbone.stages.3 --method GradCAM --save-path cam.png

MMPretrain's form ``IMG CONFIG CHECKPOINT`` (checkpoint positional) and the older
``--checkpoint CKPT`` are both accepted. Without ``--target-layers`` the deepest stage whose map
is at least ``MIN_MAP_SIDE`` pixels on each side is chosen and printed (MMPretrain prints its
automatic choice too); a given layer whose map is smaller gets a warning that names a
larger one. The picture is captioned with the class and score and has a colour bar.

The map is computed on the image the model sees (the config's test pipeline: resize + centre
crop) for the predicted class, or for ``--target-category``. Methods (all from the activations
``A_k`` and gradients ``dy_c/dA_k`` of the target layers, no extra dependency):

* ``gradcam`` (Selvaraju et al. 2017): ``relu(sum_k mean_ij(dy_c/dA_k) * A_k)``;
* ``gradcam++`` (Chattopadhay et al. 2018): second-order weights ``alpha`` on positive gradients;
* ``layercam`` (Jiang et al. 2021): ``relu(sum_k relu(dy_c/dA_k) * A_k)``, element-wise.

Several ``--target-layers`` are averaged after each is upsampled to the input size.
"""
import argparse
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import DictAction

from mmcls_convnext.suggestions import close_matches, did_you_mean

METHODS = ('gradcam', 'gradcam++', 'layercam')
#: a target map smaller than this (pixels per side) says little: 1x1 is a uniform wash
MIN_MAP_SIDE = 4


def find_module(model: nn.Module, name: str) -> nn.Module:
    """``model``'s submodule called ``name`` (e.g. ``backbone.stages.3``), with suggestions."""
    modules = dict(model.named_modules())
    if name not in modules:
        close = close_matches(name, modules, n=3)
        hint = f' Did you mean {", ".join(close)}?' if close else ''
        stages = [n for n in modules if n.count('.') == 2 and '.stages.' in n]
        raise ValueError(f'--target-layers {name!r} is not a module of {type(model).__name__}.'
                         f'{hint} ConvNeXt stages are {stages or "backbone.stages.<i>"}.')
    return modules[name]


def _eigen_map(weighted: torch.Tensor) -> torch.Tensor:
    """``(N, C, h, w)`` -> ``(N, h, w)``: projection on the first principal component of the
    channel vectors (``--eigen-smooth``), signed so that it agrees with the channel sum."""
    maps = []
    for item in weighted:
        flat = item.reshape(item.shape[0], -1).T  # (h*w, C)
        centred = flat - flat.mean(0, keepdim=True)
        _, _, vh = torch.linalg.svd(centred, full_matrices=False)
        proj = flat @ vh[0]
        if torch.dot(proj, flat.sum(1)) < 0:
            proj = -proj
        maps.append(proj.reshape(item.shape[1:]))
    return torch.stack(maps)


def _weighted_map(acts: torch.Tensor, grads: torch.Tensor, method: str,
                  eigen_smooth: bool = False) -> torch.Tensor:
    """Combine ``(N, C, h, w)`` activations and gradients into ``(N, h, w)`` maps."""
    if eigen_smooth:
        if method == 'gradcam':
            weighted = grads.mean(dim=(2, 3), keepdim=True) * acts
        elif method == 'layercam':
            weighted = F.relu(grads) * acts
        else:
            g2, g3 = grads.pow(2), grads.pow(3)
            denom = 2 * g2 + (acts.sum(dim=(2, 3), keepdim=True) * g3)
            alpha = g2 / torch.where(denom != 0, denom, torch.ones_like(denom))
            weighted = (alpha * F.relu(grads)).sum(dim=(2, 3), keepdim=True) * acts
        return F.relu(_eigen_map(weighted))
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
                 method: str = 'gradcam', eigen_smooth: bool = False) -> None:
        method = method.lower()  # MMPretrain spells them GradCAM, GradCAM++, LayerCAM
        if method not in METHODS:
            raise ValueError(f'--method {method!r} is not supported; choose one of {METHODS}.'
                             + did_you_mean(method, METHODS, n=1))
        if not target_layers:
            raise ValueError('Give at least one target layer, e.g. backbone.stages.3.')
        self.model = model
        self.method = method
        self.eigen_smooth = eigen_smooth
        self.layers = {name: find_module(model, name) for name in target_layers}
        self.map_sizes: Dict[str, Tuple[int, int]] = {}

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
            self.map_sizes[name] = tuple(act.shape[-2:])
            cam = _weighted_map(act, acts[name].grad.detach().float(), self.method,
                                self.eigen_smooth)
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


def captioned(drawn: np.ndarray, caption: str) -> np.ndarray:
    """``drawn`` (RGB) with a caption band above and a JET colour bar (0 = low, 1 = high
    relevance) on the right."""
    h, w = drawn.shape[:2]
    bar_w, pad, label_w = max(12, w // 20), 6, 34
    bar = cv2.applyColorMap(np.linspace(255, 0, h).astype(np.uint8)[:, None], cv2.COLORMAP_JET)
    bar = np.repeat(bar[..., ::-1], bar_w, axis=1)
    side = np.full((h, pad + bar_w + label_w, 3), 255, np.uint8)
    side[:, pad:pad + bar_w] = bar
    for text, y in (('1.0', 12), ('0.5', h // 2 + 4), ('0.0', h - 4)):
        cv2.putText(side, text, (pad + bar_w + 3, y), cv2.FONT_HERSHEY_SIMPLEX, 0.38,
                    (0, 0, 0), 1, cv2.LINE_AA)
    body = np.concatenate([drawn, side], axis=1)
    scale = max(0.4, min(0.6, body.shape[1] / 600))
    (tw, th), _ = cv2.getTextSize(caption, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    band = np.full((th + 12, body.shape[1], 3), 255, np.uint8)
    if tw > body.shape[1] - 8:  # too long: shrink to fit the width
        scale *= (body.shape[1] - 8) / tw
    cv2.putText(band, caption, (4, th + 5), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 1,
                cv2.LINE_AA)
    return np.concatenate([band, body], axis=0)


def stage_map_sizes(model: nn.Module, x: torch.Tensor) -> Dict[str, Tuple[int, int]]:
    """``{'backbone.stages.<i>': (h, w)}``: the map size of every backbone stage for ``x``."""
    modules = dict(model.named_modules())
    names = [n for n in modules if n.startswith('backbone.stages.') and n.count('.') == 2]
    sizes: Dict[str, Tuple[int, int]] = {}

    def keep(name):
        def hook(module, args, output):
            if isinstance(output, torch.Tensor) and output.ndim == 4:
                sizes[name] = tuple(output.shape[-2:])
        return hook

    handles = [modules[n].register_forward_hook(keep(n)) for n in names]
    try:
        with torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return sizes


def choose_target_layers(given: Sequence[str], sizes: Dict[str, Tuple[int, int]]
                         ) -> Tuple[List[str], List[str]]:
    """(target layers, messages): the given layers (a warning for a map smaller than
    ``MIN_MAP_SIDE``), else the deepest stage whose map is large enough."""
    big_enough = [n for n, hw in sizes.items() if min(hw) >= MIN_MAP_SIDE]
    if given:
        notes = []
        for name in given:
            hw = sizes.get(name)
            if hw is not None and min(hw) < MIN_MAP_SIDE:
                better = (f'; --target-layers {big_enough[-1]} gives a {sizes[big_enough[-1]][0]}'
                          f'x{sizes[big_enough[-1]][1]} map' if big_enough else
                          '; use a larger input image (the config\'s test pipeline size)')
                notes.append(f'warning: the map of {name} is only {hw[0]}x{hw[1]} pixels at this '
                             f'input size, so the picture is nearly uniform{better}.')
        return list(given), notes
    if not sizes:
        raise ValueError('The model has no backbone.stages.<i>; pass --target-layers NAME '
                         '(a module with a (N, C, h, w) output).')
    last = list(sizes)[-1]
    if big_enough and big_enough[-1] != last:
        chosen = big_enough[-1]
        hw = sizes[last]
        return [chosen], [f'Automatically choose "{chosen}" as the target layer ({sizes[chosen][0]}'
                          f'x{sizes[chosen][1]} map): the last stage "{last}" is only '
                          f'{hw[0]}x{hw[1]} at this input size.']
    note = (f'Automatically choose the last stage "{last}" as the target layer '
            f'({sizes[last][0]}x{sizes[last][1]} map).')
    if min(sizes[last]) < MIN_MAP_SIDE:
        note += (f' warning: no stage has a map of {MIN_MAP_SIDE}x{MIN_MAP_SIDE} or more at this '
                 'input size, so the picture is nearly uniform.')
    return [last], [note]


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Class activation map of a ConvNeXt stage.')
    parser.add_argument('img', help='image file')
    parser.add_argument('config', help='config file or model-zoo name')
    parser.add_argument('checkpoint', nargs='?', default=None,
                        help='checkpoint path/URL (MMPretrain\'s positional form)')
    parser.add_argument('--checkpoint', dest='checkpoint_opt', default=None,
                        help='checkpoint path/URL (the same as the positional CHECKPOINT)')
    parser.add_argument('--target-layers', nargs='+', default=[],
                        help='layers to explain (default: the deepest backbone stage whose map '
                        f'is at least {MIN_MAP_SIDE}x{MIN_MAP_SIDE}; backbone.stages.3 at 224 px)')
    parser.add_argument('--preview-model', action='store_true',
                        help='print the model\'s layers (to choose --target-layers) and stop')
    parser.add_argument('--target-category', type=int, nargs='+', default=None,
                        help='class index to explain (default: the predicted class)')
    parser.add_argument('--method', default='gradcam',
                        help=f'one of {METHODS} (any case: GradCAM, GradCAM++, LayerCAM)')
    parser.add_argument('--eigen-smooth', action='store_true',
                        help='use the first principal component of the weighted activations')
    parser.add_argument('--aug-smooth', action='store_true',
                        help='average the map with the one of the horizontally flipped image')
    parser.add_argument('--vit-like', action='store_true',
                        help='accepted for MMPretrain command lines; ConvNeXt maps need no '
                        'token reshaping, so it changes nothing')
    parser.add_argument('--num-extra-tokens', type=int, default=None,
                        help='accepted with --vit-like; changes nothing for ConvNeXt')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys (a config file, not a zoo name)')
    parser.add_argument('--alpha', type=float, default=0.5, help='heat-map opacity (0.5)')
    parser.add_argument('--save-path', default=None,
                        help='output PNG (default: <image stem>_cam.png)')
    parser.add_argument('--device', default='cpu', help='cpu or cuda')
    return parser.parse_args(argv)


def _checkpoint(args: argparse.Namespace) -> Optional[str]:
    if args.checkpoint and args.checkpoint_opt and args.checkpoint != args.checkpoint_opt:
        raise ValueError(f'Two checkpoints given: {args.checkpoint} (positional) and '
                         f'--checkpoint {args.checkpoint_opt}; give one.')
    return args.checkpoint or args.checkpoint_opt


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    if not osp.isfile(args.img):
        raise FileNotFoundError(f'Image {args.img} does not exist.')
    from mmengine.config import Config

    from mmcls_convnext.apis import get_model
    from mmcls_convnext.apis.base_inferencer import model_config
    from mmcls_convnext.apis.pipeline import InferencePipeline, test_pipeline_cfg
    from mmcls_convnext.visualization import tensor_to_rgb

    spec = args.config
    if args.cfg_options:
        from mmcls_convnext.config import load_config
        spec = load_config(args.config, args.cfg_options)
    model = get_model(spec, pretrained=_checkpoint(args) or False, device=args.device)
    if args.preview_model:
        print(model)
        print('\n Please remove `--preview-model` to get the CAM.')
        return dict(model=model)
    if args.vit_like or args.num_extra_tokens is not None:
        print('note: --vit-like / --num-extra-tokens change nothing here: ConvNeXt layers '
              'output (N, C, h, w) maps, used as they are.')
    categories = args.target_category or [None]
    if len(categories) > 1:
        raise ValueError(f'--target-category takes one class index here; got {categories}. '
                         'Run the tool once per class.')
    cfg = model_config(model)
    packed = InferencePipeline(test_pipeline_cfg(cfg if cfg is not None else Config()))(args.img)
    data = model.data_preprocessor(dict(inputs=[packed['inputs']],
                                        data_samples=[packed['data_samples']]), False)
    layers, notes = choose_target_layers(args.target_layers,
                                         stage_map_sizes(model, data['inputs']))
    for note in notes:
        print(note)
    print(f'Target layer(s): {", ".join(layers)}')
    cam_fn = GradCAM(model, layers, args.method, eigen_smooth=args.eigen_smooth)
    cam, category, logits = cam_fn(data['inputs'], categories[0])
    if args.aug_smooth:  # the flipped image's map, flipped back, averaged in
        flipped, _, _ = cam_fn(data['inputs'].flip(-1), category)
        cam = (cam + flipped[:, ::-1]) / 2
        cam = cam / cam.max() if cam.max() > 0 else cam
    score = float(logits.softmax(1)[0, category])
    classes = (getattr(model, 'dataset_meta', None) or {}).get('classes')
    name = classes[category] if classes and category < len(classes) else str(category)
    drawn = overlay(tensor_to_rgb(packed['inputs']), cam, args.alpha)
    sizes = ', '.join(f'{n} {h}x{w}' for n, (h, w) in cam_fn.map_sizes.items())
    drawn = captioned(drawn, f'{name} ({category}): {score:.3f} | {cam_fn.method} of {sizes}')
    save_path = args.save_path or f'{osp.splitext(osp.basename(args.img))[0]}_cam.png'
    os.makedirs(osp.dirname(osp.abspath(save_path)), exist_ok=True)
    cv2.imwrite(save_path, drawn[..., ::-1])
    print(f'{cam_fn.method} of {", ".join(layers)} for class {category} ({name}, '
          f'score {score:.3f}) saved to {save_path}')
    return dict(cam=cam, category=category, score=score, save_path=save_path,
                target_layers=layers, map_sizes=dict(cam_fn.map_sizes))


if __name__ == '__main__':
    import sys

    from mmcls_convnext.engine.entrypoints.common import run_cli
    sys.exit(run_cli(lambda argv: main(argv) and 0))  # a refused checkpoint: one ERROR line
