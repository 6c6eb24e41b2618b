"""The ``'onnxruntime'`` mode of the inference fast path: the folded backbone run by ONNX Runtime.

The folded backbone (see :mod:`mmcls_convnext.deploy.fast_path`) is exported once to ONNX in
memory (opset 17, batch, height and width dynamic) on the first call, and an ONNX Runtime CPU
session runs it with all graph optimisations (LayerNorm/GELU fusion, blocked-layout convolutions,
pre-packed GEMM weights). fp32 throughout: outputs match the default path within ~1e-5.

The session's intra-op threads do not spin while they wait for work
(``session.intra_op.allow_spinning=0``): on a CPU shared with other processes a spinning pool
burns the time slices its own threads need. Side by side on a 2-core AVX2 EPYC at load 2.8-3.7
(ConvNeXt-T 224): with PyTorch's OpenMP spinning too (``OMP_WAIT_POLICY`` unset), 6.66x the
default path at batch 1 without spinning vs 4.57x with it (batch 16: 1.59x / 1.58x); with
``OMP_WAIT_POLICY=PASSIVE``, 1.07x vs 0.73x at batch 1 and 1.14x vs 1.06x at batch 16.
"""
import io
import warnings
from typing import Any, Optional, Tuple

import torch
import torch.nn as nn

OPSET = 17  # LayerNormalization is one ONNX node from opset 17
SPINNING_KEY = 'session.intra_op.allow_spinning'


def _import_onnxruntime():
    try:
        import onnx  # noqa: F401 - torch.onnx.export needs it
        import onnxruntime
    except ImportError as err:
        raise ImportError("fast_inference mode='onnxruntime' needs onnx and onnxruntime: "
                          'pip install -r requirements/deploy.txt') from err
    return onnxruntime


class OnnxRuntimeRunner:
    """Callable ``x -> tuple of tensors`` running ``module`` (a backbone) with ONNX Runtime.

    The ONNX export and the session are made on the first call (or by :meth:`build`), with as
    many intra-op threads as ``torch.get_num_threads()`` then. Copies and pickles drop the
    session; it is rebuilt from ``module`` on their first call.

    Args:
        module: the (folded) backbone; its forward returns a tuple of tensors.
        num_outputs: length of that tuple.
    """

    def __init__(self, module: nn.Module, num_outputs: int) -> None:
        _import_onnxruntime()  # fail at construction, not on the first image
        self.module = module
        self.num_outputs = num_outputs
        self._session: Optional[Any] = None
        self.threads: Optional[int] = None

    def build(self, example: torch.Tensor) -> None:
        """Export ``module`` on ``example`` (N, 3, H, W) and start the session."""
        ort = _import_onnxruntime()
        names = [f'out{i}' for i in range(self.num_outputs)]
        axes = {'input': {0: 'batch', 2: 'height', 3: 'width'}}
        axes.update({name: {0: 'batch'} for name in names})
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            # the TorchScript-based exporter is chosen on purpose (no onnxscript dependency)
            warnings.simplefilter('ignore', DeprecationWarning)
            warnings.simplefilter('ignore', torch.jit.TracerWarning)
            torch.onnx.export(self.module, (example.contiguous(), ), buffer, opset_version=OPSET,
                              dynamo=False, input_names=['input'], output_names=names,
                              dynamic_axes=axes, do_constant_folding=True)
        options = ort.SessionOptions()
        self.threads = torch.get_num_threads()
        options.intra_op_num_threads = self.threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry(SPINNING_KEY, '0')  # see the module docstring
        self._session = ort.InferenceSession(buffer.getvalue(), options,
                                             providers=['CPUExecutionProvider'])

    def __call__(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if x.device.type != 'cpu' or x.dtype != torch.float32:
            raise TypeError(f"fast_inference mode='onnxruntime' runs float32 on the CPU; got a "
                            f'{x.dtype} tensor on {x.device}. Use mode="prepack" or "compile" '
                            'for other devices and dtypes (mode="auto" picks "onnxruntime" on '
                            'AVX2 CPUs where ONNX Runtime is installed).')
        if self._session is None:
            self.build(x[:1])
        outputs = self._session.run(None, {'input': x.detach().contiguous().numpy()})
        return tuple(torch.from_numpy(out) for out in outputs)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_session'] = None  # an ONNX Runtime session can be neither copied nor pickled
        return state
