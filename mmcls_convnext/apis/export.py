"""``export_model``: a zoo name or config (+ checkpoint) -> an ONNX / TorchScript file, checked
against PyTorch on a random and a real image (``tools/deployment/*.py`` call it).

The format-specific work is :mod:`mmcls_convnext.deploy`; this module adds what needs the
inference API: building the model and the model's own eval preprocessing of the real image.
"""
import os.path as osp
from typing import Dict, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

from mmcls_convnext.deploy import export as ex
from mmcls_convnext.deploy.progress import Progress
from mmcls_convnext.deploy.verify import verify as verify_exported

from .base_inferencer import model_config
from .model import get_model
from .pipeline import InferencePipeline, test_pipeline_cfg

#: ``progress('message')`` prints ``[+12.3 s] message`` at once: export and verification of a
#: large model take minutes on a CPU, and nothing else is printed meanwhile.
progress = Progress()


def set_threads(threads: Optional[int]) -> None:
    """``--threads N``: the thread count both engines use while timing."""
    if threads is not None:
        if threads < 1:
            raise ValueError(f'--threads must be >= 1; got {threads}.')
        torch.set_num_threads(threads)


def default_output(config: str, suffix: str) -> str:
    stem = osp.splitext(osp.basename(config.rstrip('/')))[0]
    return f'{stem}{suffix}'


def load_export_model(config: str, checkpoint: Optional[str]) -> nn.Module:
    """Build the classifier in eval mode on CPU (zoo name or config file; optional weights)."""
    if config.endswith('.py') and not osp.isfile(config):
        raise FileNotFoundError(f'Config file {config} does not exist.')
    model = get_model(config, pretrained=checkpoint or False, device='cpu')
    if getattr(model, 'head', None) is None:
        raise ValueError(f'{config} builds a model without a classification head; the exported '
                         'model must output logits. Pass a classifier config.')
    return model.eval()


#: the input size used when the config's test pipeline does not fix one (ImageNet's)
FALLBACK_SHAPE = (224, 224)


def config_input_shape(model: nn.Module) -> Tuple[Tuple[int, int], str]:
    """The input (H, W) the model's config feeds it at test time, and how it was found.

    The config's test pipeline is run on two blank images of different sizes and aspect
    ratios: when both come out at one size (a crop or fixed resize), that is the size; a size
    that is not a multiple of 32 is rounded up to one (ConvNeXt downsamples by 32). A pipeline
    whose output follows its input (no crop), or a model without a config, gives
    :data:`FALLBACK_SHAPE` with a note saying so.
    """
    cfg = model_config(model)
    if cfg is None:
        return FALLBACK_SHAPE, 'the model has no config: 224x224 (pass --shape H W)'
    pipeline = InferencePipeline(test_pipeline_cfg(cfg))
    sizes = {tuple(pipeline(np.zeros((h, w, 3), np.uint8))['inputs'].shape[-2:])
             for h, w in ((300, 400), (517, 389))}
    if len(sizes) != 1:
        return FALLBACK_SHAPE, ("the config's test pipeline keeps the image's own size (no crop "
                                'or fixed resize): 224x224; pass --shape H W for another')
    h, w = sizes.pop()
    rounded = tuple(max(32, -(-v // 32) * 32) for v in (h, w))
    how = f"the config's test pipeline ({h}x{w})"
    if rounded != (h, w):
        how += f', rounded up to multiples of 32: {rounded[0]}x{rounded[1]}'
    return rounded, how


def preprocess_image(model: nn.Module, image: str, shape: Tuple[int, int]) -> torch.Tensor:
    """The model's own eval preprocessing of ``image`` -> ``(1, 3, H, W)`` float.

    The config's test pipeline and data preprocessor run first; if its crop differs from
    ``shape`` the normalised image is resized bilinearly to ``shape``.
    """
    if not osp.isfile(image):
        raise FileNotFoundError(f'Image {image} does not exist; pass --image PATH.')
    cfg = model_config(model)
    packed = InferencePipeline(test_pipeline_cfg(cfg if cfg is not None else Config()))(image)
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[packed['inputs']],
                                            data_samples=[packed['data_samples']]), False)
    x = data['inputs'].float()
    if tuple(x.shape[-2:]) != tuple(shape):
        x = F.interpolate(x, size=shape, mode='bilinear', align_corners=False)
    return x.contiguous()


def example_inputs(model: nn.Module, shape: Tuple[int, int], image: Optional[str],
                   dynamic: bool) -> Dict[str, torch.Tensor]:
    """Inputs for verification: ``random`` (N(0,1), seed 0; batch 3 for a dynamic-batch export,
    else 1) and ``real`` (the preprocessed real ``image``, batch 1)."""
    if image is None:
        raise ValueError('Verification needs a real image: pass image=PATH (--image PATH; the '
                         'tools/deployment scripts default to demo/demo.JPEG of the checkout).')
    g = torch.Generator().manual_seed(0)
    inputs = {'random': torch.randn(3 if dynamic else 1, 3, *shape, generator=g)}
    inputs['real'] = preprocess_image(model, image, shape)
    return inputs


def _write(fmt: str, model: nn.Module, shape: Tuple[int, int], output_file: str, opset: int,
           dynamic: bool) -> ex.Runner:
    """Export in ``fmt``; returns a function that builds the runner of the written file."""
    if fmt == 'onnx':
        progress(f'exporting to ONNX (opset {opset}, input {shape[0]}x{shape[1]})')
        ex.export_onnx(model, shape, output_file, opset, dynamic)
        print(f'Saved {output_file} ({ex.file_size_mb(output_file):.2f} MiB, opset {opset}, '
              f'{"dynamic" if dynamic else "fixed"} batch)')

        def runner():
            progress(f'verify: loading {output_file} into onnxruntime')
            return 'onnxruntime', ex.onnx_runner(output_file)
        return runner
    progress(f'tracing to TorchScript (input {shape[0]}x{shape[1]})')
    ex.export_torchscript(model, shape, output_file)
    print(f'Saved {output_file} ({ex.file_size_mb(output_file):.2f} MiB, traced at batch 1)')
    return lambda: ('torchscript', ex.torchscript_runner(output_file))


def export_model(config: str, fmt: str, *, checkpoint: Optional[str] = None,
                 output_file: Optional[str] = None, shape: Optional[Sequence[int]] = None,
                 opset: int = 17, dynamic: bool = False, verify: bool = False,
                 image: Optional[str] = None, tolerance: float = 1e-4, bench_runs: int = 20,
                 threads: Optional[int] = None) -> Dict:
    """Export a classifier and, with ``verify``, check the file against PyTorch.

    Args:
        config: config file or zoo name. fmt: ``'onnx'`` or ``'torchscript'``.
        checkpoint: weights path/URL (default: initialised weights).
        output_file: default ``<config stem>.onnx`` / ``.pt``.
        shape: input (H, W), multiples of 32; default (None): the size the config's test
            pipeline makes (:func:`config_input_shape`, printed). opset: ONNX opset (13-20).
        dynamic: dynamic batch size (ONNX; for TorchScript, verify on a batch of 3 too).
        verify, image, tolerance, bench_runs: see :func:`mmcls_convnext.deploy.verify.verify`;
            ``verify`` needs ``image`` (a real picture; the package ships none).
            threads: CPU threads of both engines.

    Returns:
        ``dict(output_file=..., ok=bool)``, plus the verification report with ``verify``.
    """
    if fmt not in ex.FORMATS:
        raise ValueError(f'Unknown export format {fmt!r}; choose one of {sorted(ex.FORMATS)}.')
    if shape is not None:
        shape = ex.check_shape(shape)
    set_threads(threads)
    progress.reset()
    progress(f'loading {config}')
    model = load_export_model(config, checkpoint)
    if shape is None:
        shape, how = config_input_shape(model)
        progress(f'input size {shape[0]}x{shape[1]}: {how}')
    else:
        own, how = config_input_shape(model)
        if own != shape:
            progress(f'note: --shape {shape[0]} {shape[1]} differs from the config\'s input '
                     f'size {own[0]}x{own[1]} ({how}); the exported model expects '
                     f'{shape[0]}x{shape[1]}')
    output_file = output_file or default_output(config, ex.FORMATS[fmt])
    runner = _write(fmt, model, shape, output_file, opset, dynamic)
    report = dict(output_file=output_file, ok=True)
    if verify:
        inputs = example_inputs(model, shape, image, dynamic)
        name, run_exported = runner()
        report.update(verify_exported(name, run_exported, model, inputs, tolerance, bench_runs,
                                      progress=progress))
    return report
