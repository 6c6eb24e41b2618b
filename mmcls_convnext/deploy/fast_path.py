"""Opt-in inference fast path for ConvNeXt models.

``optimize_for_inference(model, mode=...)`` returns a *new* model (the argument is not modified)
that computes the same outputs as ``model.eval()`` (within ~1e-5 relative in fp32; tested at
1e-4 absolute) but faster. It is for inference only: no gradients, no training mode.

What it does, all measured on CPU (see ``docs/benchmark.md``):

1. **Constant folding of per-channel affines into the next matmul** (exact algebra, fp32
   rounding aside): the block LayerNorm's ``weight``/``bias`` are folded into
   ``pointwise_conv1`` (``W1 @ (w*x + b) = (W1*w) @ x + W1 @ b``), the layer-scale ``gamma`` into
   ``pointwise_conv2`` (``gamma * (W2 @ x + b2) = (gamma*W2) @ x + gamma*b2``), and each
   downsample LayerNorm's affine into the following 2x2 convolution. Each block then runs
   ``dwconv -> layer_norm (no affine) -> linear -> GELU [-> GRN] -> linear -> + x``: two fewer
   elementwise passes over the activations per block. 1x1-conv pointwise layers
   (``linear_pw_conv=False``) become the equivalent ``Linear`` on channels-last memory.
2. **Channels-last input**, so every block stays channels-last and no permute copies are made.
3. ``mode='prepack'`` (the default) runs each block's pointwise MLP on CPU as two oneDNN matmuls
   on weights pre-packed once (``torch.ops.mkldnn``, the kernels inductor's freezing pass uses),
   with GELU and the residual add fused into them as post-ops: no compile, ~1.5x faster blocks.
   On GPU, or under autocast, the same module runs the plain folded ops.
4. ``mode='onnxruntime'`` exports the folded backbone to ONNX once (on the first call) and runs
   it with ONNX Runtime on CPU (fp32, all graph optimisations; needs ``requirements/deploy.txt``).
5. ``mode='auto'`` picks the mode for the machine it runs on, from its capabilities (see
   :func:`select_mode`): ``'prepack'`` on AVX-512 CPUs, ``'onnxruntime'`` on AVX2 CPUs where it
   is installed; elsewhere (Arm, GPUs, AVX2 without ONNX Runtime) no mode was measured faster
   than the default path, so it returns an eval-mode copy of the default model.
6. ``mode='compile'`` additionally compiles the folded backbone with ``torch.compile``
   (inductor, ``freezing=True``: weights become constants, pre-packed for oneDNN on CPU, and
   GELU/LayerNorm/residual work fused around the matmuls). It costs a one-off compile on the
   first call per input shape (tens of seconds on 2 CPU cores; see ``docs/benchmark.md``).

Blocks whose norm is not ``LN2d`` (e.g. a config with ``norm_cfg=dict(type='GN', ...)``) are kept
as they are (still compiled in ``'compile'`` mode).

Switch it on from Python::

    fast = optimize_for_inference(model)  # mode='prepack'
    fast = optimize_for_inference(model, mode='auto')  # the mode for this machine

or from a config (honoured by :func:`apply_fast_inference`, which ``get_model`` and
``tools/test.py`` call after loading weights)::

    fast_inference = dict(mode='auto')  # or 'prepack' / 'fold' / 'onnxruntime' / 'compile';
                                        # omit or None to disable
"""
import copy
from typing import Any, Mapping, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmcls_convnext.models.backbones.convnext import ConvNeXt
from mmcls_convnext.models.backbones.convnext_block import ConvNeXtBlock, depthwise_conv
from mmcls_convnext.models.layers import GRN, LayerNorm2d
from mmcls_convnext.suggestions import close_matches, did_you_mean

MODES = ('prepack', 'fold', 'onnxruntime', 'compile', 'auto')
#: ``torch.backends.cpu.get_cpu_capability()`` values whose ATen/oneDNN fp32 kernels use 512-bit
#: vectors: there the pre-packed oneDNN matmuls of ``'prepack'`` beat everything else measured.
_WIDE_SIMD = ('AVX512',)
_CONFIG_KEYS = ('mode', 'channels_last', 'example_inputs')


class _FoldedBlock(nn.Module):
    """A ConvNeXt block with LN affine and layer scale folded into the pointwise layers."""

    def __init__(self, block: ConvNeXtBlock, prepack: bool = False):
        super().__init__()
        self.prepack = prepack
        self._packed: Optional[Tuple[torch.Tensor, torch.Tensor]] = None
        norm = block.norm
        self.depthwise_conv = copy.deepcopy(block.depthwise_conv)
        self.eps = float(norm.eps)
        self.channels = block.depthwise_conv.in_channels
        w1 = block.pointwise_conv1.weight.detach().flatten(1)  # (4C, C[, 1, 1]) -> (4C, C)
        b1 = _bias_or_zero(block.pointwise_conv1, w1.shape[0], w1)
        w2 = block.pointwise_conv2.weight.detach().flatten(1)  # (C, 4C[, 1, 1]) -> (C, 4C)
        b2 = _bias_or_zero(block.pointwise_conv2, w2.shape[0], w2)
        if norm.weight is not None:
            b1 = b1 + w1 @ norm.bias.detach()
            w1 = w1 * norm.weight.detach()  # scales the input columns
        if block.gamma is not None:
            gamma = block.gamma.detach()
            w2 = w2 * gamma[:, None]
            b2 = b2 * gamma
        self.fc1 = nn.Linear(w1.shape[1], w1.shape[0])
        self.fc2 = nn.Linear(w2.shape[1], w2.shape[0])
        with torch.no_grad():
            self.fc1.weight.copy_(w1)
            self.fc1.bias.copy_(b1)
            self.fc2.weight.copy_(w2)
            self.fc2.bias.copy_(b2)
        self.act = copy.deepcopy(block.act)
        self._fused_act = _fusable_activation(self.act)
        self.grn: Optional[GRN] = None
        if block.grn is not None:
            self.grn = GRN(block.grn.in_channels, eps=block.grn.eps, data_format='channel_last')
            self.grn.load_state_dict(block.grn.state_dict())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = depthwise_conv(self.depthwise_conv, x).permute(0, 2, 3, 1)  # -> (N, H, W, C)
        y = F.layer_norm(y, (self.channels,), None, None, self.eps)
        if self.prepack and _onednn_usable(y):
            return self._forward_onednn(x, y)
        y = self.act(self.fc1(y))
        if self.grn is not None:
            y = self.grn(y)
        y = self.fc2(y)
        return x + y.permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W), channels-last memory

    def _forward_onednn(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The pointwise MLP as two oneDNN matmuls on pre-packed weights, GELU and the
        residual add fused into them (no separate passes over the 4C-wide activation)."""
        if self._packed is None:
            self._packed = (_ONEDNN._reorder_linear_weight(self.fc1.weight, None),
                            _ONEDNN._reorder_linear_weight(self.fc2.weight, None))
        w1, w2 = self._packed
        if self._fused_act is not None:
            y = _ONEDNN._linear_pointwise(y, w1, self.fc1.bias, *self._fused_act)
        else:
            y = self.act(_ONEDNN._linear_pointwise(y, w1, self.fc1.bias, 'none', [], ''))
        if self.grn is not None:
            y = self.grn(y)
        shortcut = x.permute(0, 2, 3, 1).contiguous()  # a view when x is channels-last
        y = _ONEDNN._linear_pointwise.binary(y, shortcut, w2, self.fc2.bias, 'add')
        return y.permute(0, 3, 1, 2)  # (N, H, W, C) -> (N, C, H, W), channels-last memory

    def _apply(self, fn, recurse=True):
        self._packed = None  # .to()/.cuda()/.half(): pack again from the new weights
        return super()._apply(fn, recurse)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state['_packed'] = None  # oneDNN's opaque tensors cannot be copied or pickled
        return state


_ONEDNN = torch.ops.mkldnn


def _onednn_usable(x: torch.Tensor) -> bool:
    """oneDNN fused kernels apply to fp32 CPU tensors outside autocast."""
    return (x.device.type == 'cpu' and x.dtype == torch.float32
            and torch.backends.mkldnn.is_available() and not torch.is_autocast_enabled('cpu'))


def _fusable_activation(act: nn.Module) -> Optional[tuple]:
    """oneDNN post-op arguments computing ``act`` exactly, or None."""
    if type(act) is nn.GELU:
        return ('gelu', [], act.approximate)  # 'none' (erf) or 'tanh', as nn.GELU
    if type(act) is nn.ReLU:
        return ('relu', [], '')
    return None


class _NormFoldedConv(nn.Module):
    """``LN2d -> Conv2d`` (a downsample layer) with the LN affine folded into the conv."""

    def __init__(self, norm: LayerNorm2d, conv: nn.Conv2d):
        super().__init__()
        self.eps = float(norm.eps)
        self.channels = norm.num_channels
        self.conv = copy.deepcopy(conv)
        if norm.weight is not None:
            weight = conv.weight.detach()  # (C_out, C_in, k, k)
            bias = _bias_or_zero(conv, weight.shape[0], weight)
            with torch.no_grad():
                self.conv.weight.copy_(weight * norm.weight.detach().view(1, -1, 1, 1))
                folded_bias = bias + (weight.sum(dim=(2, 3)) @ norm.bias.detach())
                if self.conv.bias is None:
                    self.conv.bias = nn.Parameter(folded_bias)
                else:
                    self.conv.bias.copy_(folded_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.layer_norm(x.permute(0, 2, 3, 1), (self.channels,), None, None, self.eps)
        return self.conv(y.permute(0, 3, 1, 2))  # (N, H, W, C) -> (N, C, H, W)


def _bias_or_zero(layer: nn.Module, size: int, like: torch.Tensor) -> torch.Tensor:
    if getattr(layer, 'bias', None) is None:
        return like.new_zeros(size)
    return layer.bias.detach().clone()


def _foldable_downsample(layer: nn.Module) -> bool:
    return (isinstance(layer, nn.Sequential) and len(layer) == 2
            and isinstance(layer[0], LayerNorm2d) and isinstance(layer[1], nn.Conv2d)
            and layer[1].padding in ((0, 0), 0) and layer[1].padding_mode == 'zeros')


def fold_convnext(backbone: ConvNeXt, prepack: bool = False) -> ConvNeXt:
    """Return a copy of ``backbone`` (eval mode) with the per-channel affines folded away.

    With ``prepack=True`` the blocks run their pointwise layers as oneDNN matmuls on pre-packed
    weights with GELU and the residual add fused in, whenever the input is an fp32 CPU tensor
    (outside autocast); on other devices/dtypes they use the plain folded ops.

    The copy has the same ``forward`` contract and attributes; its ``state_dict`` keys differ
    (folded layers), so save the original model, not this one.
    """
    if not isinstance(backbone, ConvNeXt):
        raise TypeError(f'fold_convnext expects a ConvNeXt backbone; got '
                        f'{type(backbone).__name__}.')
    folded = copy.deepcopy(backbone).eval()
    for i, downsample in enumerate(folded.downsample_layers):
        if i > 0 and _foldable_downsample(downsample):
            folded.downsample_layers[i] = _NormFoldedConv(downsample[0], downsample[1])
    for stage in folded.stages:
        for j, block in enumerate(stage):
            if isinstance(block, ConvNeXtBlock) and isinstance(block.norm, LayerNorm2d):
                stage[j] = _FoldedBlock(block, prepack=prepack)
    for param in folded.parameters():
        param.requires_grad_(False)
    return folded.eval()


def select_mode(device: Union[str, torch.device] = 'cpu',
                cpu_capability: Optional[str] = None) -> Optional[str]:
    """The fast-path mode ``mode='auto'`` resolves to, decided from capabilities (no timing).

    Only a mode measured faster than the default path on that kind of machine, idle and
    loaded, is chosen; everywhere else the default path is kept (``None``):

    - a CPU whose ATen capability is ``'AVX512'``: ``'prepack'`` (pre-packed oneDNN matmuls with
      fused GELU/residual: 1.19-2.14x timm at batch 16 on the three AVX-512 machines measured,
      above the default path's 0.92-0.97x; on the Intel Xeon with AMX ``'onnxruntime'`` was as
      fast at batch 16 and faster at batch 1, on the AMD EPYC well below ``'prepack'`` at
      batch 16 (1.45x vs 2.14x timm), so ``'prepack'`` stays);
    - a CPU whose capability is ``'AVX2'``: ``'onnxruntime'`` when onnx and onnxruntime are
      installed (``requirements/deploy.txt``), else ``None``. On an AVX2 EPYC it ran 1.06x /
      1.84x timm at batch 16 / 1 idle against the default path's 0.96x / 1.17x (``'prepack'``:
      0.92x at batch 16, below the default path); under load its intra-op pool no longer
      spins (``session.intra_op.allow_spinning=0``): 1.14x / 1.07x the default path at batch
      16 / 1 at load 3 with ``OMP_WAIT_POLICY=PASSIVE`` (6.66x at batch 1 with OpenMP
      spinning), and not spinning cost nothing idle (Intel Xeon: 1.71x vs 1.58x the default
      path at batch 1);
    - any other CPU (Arm, no SIMD capability, ...): ``None`` (unmeasured);
    - a CUDA (or any non-CPU) device: ``None`` (oneDNN and ONNX Runtime are CPU paths here;
      ``'fold'`` alone was not reliably faster than the default path; GPUs unmeasured).

    Capabilities rather than a cached one-off measurement: the answer is instant and
    reproducible, needs no cache file or first-call timing, and a measurement taken on a busy
    shared machine (rounds of one case differed by 0.5-2.3x here) could pick the wrong mode and
    keep it.

    Args:
        device: where the model runs.
        cpu_capability: ``torch.backends.cpu.get_cpu_capability()`` (read when None).
    """
    if torch.device(device).type != 'cpu':
        return None
    if cpu_capability is None:
        cpu_capability = torch.backends.cpu.get_cpu_capability()
    if cpu_capability in _WIDE_SIMD and torch.backends.mkldnn.is_available():
        return 'prepack'
    if cpu_capability == 'AVX2' and _onnxruntime_installed():
        return 'onnxruntime'
    return None


def _onnxruntime_installed() -> bool:
    """Whether the ``'onnxruntime'`` mode's packages are importable (not imported here)."""
    import importlib.util
    return all(importlib.util.find_spec(name) is not None for name in ('onnx', 'onnxruntime'))


class FastInferenceBackbone(nn.Module):
    """Inference-only stand-in for a ConvNeXt backbone (built by :func:`optimize_for_inference`).

    ``forward`` runs under ``torch.no_grad()`` on channels-last input (NCHW-contiguous for
    ``'onnxruntime'``) and returns what the original backbone returns (a tuple, one tensor per
    out index). Calling ``train()`` raises.
    """

    def __init__(self, backbone: ConvNeXt, mode: str = 'prepack', channels_last: bool = True):
        super().__init__()
        self.requested_mode = mode
        if mode == 'auto':  # optimize_for_inference resolves it; a direct call may not
            mode = select_mode(_device_of(backbone)) or 'fold'
        self.mode = mode  # what runs ('auto' resolved)
        self.channels_last = channels_last
        self.folded = fold_convnext(backbone, prepack=mode == 'prepack')
        for name in ('arch', 'depths', 'channels', 'out_indices', 'out_channels', 'num_features',
                     'num_stages', 'gap_before_final_norm', 'use_grn'):
            setattr(self, name, getattr(backbone, name))
        run = self.folded
        if mode == 'onnxruntime':
            from .fast_path_ort import OnnxRuntimeRunner
            run = OnnxRuntimeRunner(self.folded, num_outputs=len(self.out_indices))
            self.channels_last = False  # ONNX Runtime takes NCHW-contiguous input
        elif mode == 'compile':
            # freezing: weights become graph constants (oneDNN pre-packing, fused post-ops).
            run = torch.compile(self.folded, backend='inductor', dynamic=False,
                                options={'freezing': True})
        # Not a submodule: the compiled wrapper shares ``folded``'s parameters.
        self.__dict__['_run'] = run
        super().train(False)

    def train(self, mode: bool = True) -> 'FastInferenceBackbone':
        if mode:
            raise RuntimeError('The inference fast path cannot be trained: optimise a copy for '
                               'inference and train the original model.')
        return super().train(False)

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        if self.channels_last and x.dim() == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        with torch.no_grad():
            return self._run(x)


def optimize_for_inference(
        model: nn.Module,
        mode: str = 'prepack',
        channels_last: bool = True,
        example_inputs: Optional[Union[torch.Tensor, Sequence[int]]] = None) -> nn.Module:
    """Return an inference-optimised copy of ``model`` (``model`` itself is not modified).

    Args:
        model: an ``ImageClassifier`` (or any module with a ``backbone`` attribute) holding a
            ConvNeXt backbone, or a bare :class:`ConvNeXt`.
        mode: ``'auto'`` (one of the following, chosen for this machine by
            :func:`select_mode`), ``'prepack'`` (folding + channels-last + oneDNN pre-packed
            matmuls with fused GELU/residual on CPU fp32, eager, no compile), ``'fold'``
            (folding + channels-last, plain PyTorch ops; any device), ``'onnxruntime'`` (the
            folded backbone exported to ONNX on the first call and run by ONNX Runtime; CPU
            fp32 only) or ``'compile'`` (folding + ``torch.compile`` inductor with freezing; a
            compile per input shape).
        channels_last: convert inputs and weights to channels-last memory.
        example_inputs: a tensor, or an input shape such as ``(16, 3, 224, 224)``; when given,
            the model is run once on it here, so a compile happens now instead of on the first
            real call.

    Returns:
        The optimised copy, in eval mode. For a classifier, its ``backbone`` is a
        :class:`FastInferenceBackbone`; everything else (head, data preprocessor,
        ``dataset_meta``, ``forward(mode='predict')``) is unchanged.
    """
    if mode not in MODES:
        raise ValueError(f'Unknown fast inference mode {mode!r}; expected one of {MODES}.'
                         + did_you_mean(mode, MODES, n=1))
    if isinstance(model, ConvNeXt):
        backbone, owner = model, None
    elif isinstance(getattr(model, 'backbone', None), ConvNeXt):
        backbone, owner = model.backbone, model
    else:
        found = type(getattr(model, 'backbone', model)).__name__
        raise TypeError(f'optimize_for_inference needs a ConvNeXt backbone (or a model whose '
                        f'.backbone is one); got {found}.')
    requested = mode
    if mode == 'auto':
        mode = select_mode(_device_of(model))
        if mode is None:  # nothing measured faster here: the default path, as a copy
            result = copy.deepcopy(model).eval()
            for param in result.parameters():
                param.requires_grad_(False)
            return result
    fast_backbone = FastInferenceBackbone(backbone, mode=mode, channels_last=channels_last)
    fast_backbone.requested_mode = requested
    if owner is None:
        result: nn.Module = fast_backbone
    else:
        original = owner.backbone
        owner.backbone = nn.Identity()  # do not deep-copy the backbone twice
        try:
            result = copy.deepcopy(owner)
        finally:
            owner.backbone = original
        result.eval()
        result.backbone = fast_backbone
        for param in result.parameters():
            param.requires_grad_(False)
    if channels_last:
        result = result.to(memory_format=torch.channels_last)
    if example_inputs is not None:
        if not isinstance(example_inputs, torch.Tensor):
            example_inputs = torch.randn(*example_inputs, device=_device_of(result))
        with torch.no_grad():
            result(example_inputs)
    return result


def _device_of(module: nn.Module) -> torch.device:
    for param in module.parameters():
        return param.device
    return torch.device('cpu')


def build_fast_inference_model(model: nn.Module, fast_inference: Optional[dict]) -> nn.Module:
    """Apply a config's ``fast_inference=dict(mode=..., channels_last=..., example_inputs=...)``.

    ``None`` (or an empty dict) returns ``model`` unchanged. Unknown keys raise a KeyError.
    """
    if not fast_inference:
        return model
    if not isinstance(fast_inference, dict):
        raise TypeError(f'Config key fast_inference must be a dict such as dict(mode="compile") '
                        f'or None; got {type(fast_inference).__name__}.')
    unknown = sorted(set(fast_inference) - set(_CONFIG_KEYS))
    if unknown:
        hints = {k: close_matches(k, _CONFIG_KEYS, n=1) for k in unknown}
        raise KeyError(f'Unknown key(s) {unknown} in config fast_inference; allowed: '
                       f'{list(_CONFIG_KEYS)}. Close matches: {hints}.')
    return optimize_for_inference(model, **fast_inference)


def _plain(obj: Any) -> Any:
    """Mappings (e.g. mmengine ConfigDicts) as dicts, recursively; sequences keep their type."""
    if isinstance(obj, Mapping):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    return obj


def apply_fast_inference(model: nn.Module, cfg: Optional[Mapping],
                         fast_inference: Optional[Mapping] = None) -> nn.Module:
    """The one place the opt-in inference fast path is switched on (``get_model`` and
    ``tools/test.py`` call it once the weights are in).

    Args:
        model: the model with its weights loaded.
        cfg: the model's config; its ``fast_inference`` key applies when the argument is None.
        fast_inference: e.g. ``dict(mode='prepack')``, overriding the config's key.

    Returns:
        ``model`` itself when neither names a fast path, else the new inference-only model
        (see :func:`build_fast_inference_model`); a model that carried its config
        (``model.cfg``) carries ``cfg`` again.
    """
    if fast_inference is None and cfg is not None:
        fast_inference = cfg.get('fast_inference')
    if not fast_inference:
        return model
    fast = build_fast_inference_model(model, _plain(fast_inference))
    if hasattr(model, '_config') or hasattr(model, 'cfg'):
        fast._config = fast.cfg = cfg
    return fast
