"""Export a classifier to ONNX or TorchScript, and run the exported file.

Both formats take the *normalised* image ``(N, 3, H, W)`` float32 (the data preprocessor's
mean/std and RGB order are applied outside, as for ``model(x)``) and return the raw logits
``(N, num_classes)``. ONNX uses torch's TorchScript-based exporter (``dynamo=False``): the dynamo
exporter of torch 2.14 needs the extra ``onnxscript`` package and gives the same graph for this
model. TorchScript is ``torch.jit.trace`` + ``freeze``: ConvNeXt has no data-dependent control
flow, so the trace holds for any batch size.
"""
import os
import os.path as osp
import warnings
from typing import Callable, Sequence, Tuple

import numpy as np
import torch

MIN_OPSET, MAX_OPSET = 13, 20  # LayerNorm exports natively from 17; 13-16 decompose it
FORMATS = {'onnx': '.onnx', 'torchscript': '.pt'}  # format -> default file suffix

Runner = Callable[[torch.Tensor], np.ndarray]


def check_shape(shape: Sequence[int]) -> Tuple[int, int]:
    """``--shape H W``: two positive multiples of 32 (ConvNeXt downsamples by 32)."""
    h, w = (int(v) for v in shape)
    if h < 32 or w < 32 or h % 32 or w % 32:
        raise ValueError(f'--shape {h} {w}: ConvNeXt needs H and W to be multiples of 32 and at '
                         'least 32 (e.g. --shape 224 224).')
    return h, w


def export_onnx(model: torch.nn.Module, shape: Tuple[int, int], output_file: str, opset: int,
                dynamic: bool) -> None:
    """Write ``model`` (logits of normalised images) to ``output_file``; ``dynamic`` makes the
    batch dimension of ``input`` / ``output`` dynamic."""
    if not MIN_OPSET <= opset <= MAX_OPSET:
        raise ValueError(f'--opset {opset} is not supported; choose {MIN_OPSET}-{MAX_OPSET} '
                         '(17 or later exports LayerNorm as one node).')
    try:
        import onnx  # noqa: F401 - torch.onnx.export needs it to write the file
    except ImportError as err:
        raise ImportError('ONNX export needs the onnx package: '
                          'pip install -r requirements/deploy.txt') from err
    os.makedirs(osp.dirname(osp.abspath(output_file)), exist_ok=True)
    dummy = torch.zeros(1, 3, *shape)
    axes = {'input': {0: 'batch'}, 'output': {0: 'batch'}} if dynamic else None
    with warnings.catch_warnings():
        # torch warns that the TorchScript-based exporter is legacy; it is chosen on purpose
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(model, (dummy, ), output_file, opset_version=opset, dynamo=False,
                          input_names=['input'], output_names=['output'], dynamic_axes=axes,
                          do_constant_folding=True)


def onnx_runner(output_file: str) -> Runner:
    """An onnxruntime CPU session wrapped as ``f(tensor) -> numpy logits``."""
    try:
        import onnx
        import onnxruntime as ort
    except ImportError as err:
        raise ImportError('--verify needs onnx and onnxruntime: '
                          'pip install -r requirements/deploy.txt') from err
    onnx.checker.check_model(onnx.load(output_file))
    options = ort.SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()  # same threads as PyTorch
    session = ort.InferenceSession(output_file, options, providers=['CPUExecutionProvider'])
    return lambda x: session.run(None, {'input': x.numpy()})[0]


class LogitsOnly(torch.nn.Module):
    """``forward(x) -> logits``: the classifier's tensor mode without the mode argument."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x, mode='tensor')


def export_torchscript(model: torch.nn.Module, shape: Tuple[int, int], output_file: str) -> None:
    """Trace ``model`` on a ``(1, 3, H, W)`` input, freeze the trace, save it."""
    os.makedirs(osp.dirname(osp.abspath(output_file)), exist_ok=True)
    dummy = torch.zeros(1, 3, *shape)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        # torch 2.14 marks TorchScript as deprecated in favour of torch.export; it still works
        warnings.simplefilter('ignore', FutureWarning)
        traced = torch.jit.trace(LogitsOnly(model).eval(), dummy, check_trace=False)
        traced = torch.jit.freeze(traced)  # fold weights into the graph; eval-mode only
        torch.jit.save(traced, output_file)


def torchscript_runner(output_file: str) -> Runner:
    """The saved TorchScript module wrapped as ``f(tensor) -> numpy logits``."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', FutureWarning)
        module = torch.jit.load(output_file, map_location='cpu').eval()

    def run(x: torch.Tensor) -> np.ndarray:
        with torch.no_grad():
            return module(x).numpy()
    return run


def file_size_mb(path: str) -> float:
    return os.path.getsize(path) / 2**20
