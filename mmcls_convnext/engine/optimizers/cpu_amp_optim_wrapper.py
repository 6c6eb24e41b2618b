"""Mixed precision on CPU: bf16 autocast (mmengine's ``AmpOptimWrapper`` is CUDA-only)."""
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional, Union

import torch
from mmengine.optim import OptimWrapper

from mmcls_convnext.registry import OPTIM_WRAPPERS

_FP16_NAMES = ('float16', 'fp16', 'half')


def _dtype_name(dtype: Union[str, torch.dtype, None]) -> Optional[str]:
    if dtype is None:
        return None
    if isinstance(dtype, torch.dtype):
        return str(dtype).replace('torch.', '')
    return str(dtype)


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):
    """``OptimWrapper`` whose forward runs under ``torch.autocast('cpu', dtype=torch.bfloat16)``.

    Parameters, gradients and optimizer state stay fp32 (so checkpoints are fp32); bf16 has the
    exponent range of fp32, so no GradScaler is needed.

    Args:
        dtype: only ``'bfloat16'`` (fp16 autocast is not supported on CPU).
        **kwargs: the arguments of :class:`mmengine.optim.OptimWrapper`.
    """

    def __init__(self, *args: Any, dtype: Union[str, torch.dtype] = 'bfloat16',
                 **kwargs: Any) -> None:
        name = _dtype_name(dtype)
        if name in _FP16_NAMES:
            raise ValueError(
                f'dtype={name!r}: fp16 autocast is not supported on CPU. Use '
                "dtype='bfloat16' for --amp on CPU, or train on a CUDA GPU for fp16.")
        if name not in ('bfloat16', 'bf16'):
            raise ValueError(f"CPUAmpOptimWrapper: dtype must be 'bfloat16', got {name!r}.")
        super().__init__(*args, **kwargs)
        self.cast_dtype = torch.bfloat16

    @contextmanager
    def optim_context(self, model: torch.nn.Module) -> Iterator[None]:
        with super().optim_context(model), torch.autocast('cpu', dtype=self.cast_dtype):
            yield


def amp_optim_wrapper_cfg(optim_wrapper: Dict[str, Any], cuda: bool) -> Dict[str, Any]:
    """The optim-wrapper config for ``--amp`` (returns a new dict; the input is not changed).

    On CUDA: mmengine's ``AmpOptimWrapper`` with dynamic loss scaling (dtype as configured).
    On CPU: :class:`CPUAmpOptimWrapper` (bf16); an fp16 ``dtype`` is a ``ValueError``.
    """
    cfg = dict(optim_wrapper)
    wrapper_type = cfg.get('type', 'OptimWrapper')
    if cuda:
        if wrapper_type in ('OptimWrapper', 'CPUAmpOptimWrapper'):
            cfg['type'] = 'AmpOptimWrapper'
            cfg.setdefault('loss_scale', 'dynamic')
        return cfg
    name = _dtype_name(cfg.get('dtype'))
    if name in _FP16_NAMES or (wrapper_type == 'AmpOptimWrapper' and name is None):
        raise ValueError(
            f'Mixed precision (--amp / AmpOptimWrapper) with dtype='
            f'{name or "float16 (AmpOptimWrapper default)"!r} on a machine '
            "without CUDA: fp16 autocast is not supported on CPU. Use optim_wrapper.dtype="
            "'bfloat16' (the CPU default for --amp) or run on a CUDA GPU.")
    if wrapper_type not in ('OptimWrapper', 'AmpOptimWrapper', 'CPUAmpOptimWrapper'):
        raise ValueError(f'--amp cannot change optim_wrapper.type={wrapper_type!r}; use '
                         "'OptimWrapper' in the config.")
    cfg['type'] = 'CPUAmpOptimWrapper'
    cfg['dtype'] = 'bfloat16'
    cfg.pop('loss_scale', None)
    return cfg
