"""Mixed precision on CPU: bf16 autocast (mmengine's ``AmpOptimWrapper`` is CUDA-only).

bf16 only pays off on a CPU that computes in bf16 natively (x86 ``avx512_bf16`` or
``amx_bf16``, Arm BF16). Elsewhere oneDNN emulates it: on an AVX2-only CPU a bf16 training step
of a small ConvNeXt was measured 10x slower than fp32. So ``--amp`` on such a CPU is refused with
:class:`EmulatedBF16Error` unless ``allow_emulated_bf16=True`` forces it.
"""
import platform
from contextlib import contextmanager
from typing import Any, Dict, Iterator, Optional, Tuple, Union

import torch
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper

from mmcls_convnext.registry import OPTIM_WRAPPERS

_FP16_NAMES = ('float16', 'fp16', 'half')
_NATIVE_X86_FLAGS = ('amx_bf16', 'avx512_bf16')
FORCE_HINT = ('force it with --cfg-options optim_wrapper.allow_emulated_bf16=True '
              '(or allow_emulated_bf16=True in the optim_wrapper config)')


class EmulatedBF16Error(ValueError):
    """``--amp`` (bf16 autocast) was asked for on a CPU without native bf16 arithmetic."""


def cpu_bf16_support() -> Tuple[bool, str]:
    """Does this CPU compute bf16 natively? Returns ``(native, description)``.

    x86: native when ``torch.cpu.get_capabilities()`` reports ``amx_bf16`` or ``avx512_bf16``.
    Arm: native when oneDNN reports bf16 support (``torch.ops.mkldnn._is_mkldnn_bf16_supported``,
    which checks the Arm BF16 extension there). On x86 that oneDNN check is also true for plain
    AVX-512 CPUs, where bf16 is emulated, so it is only reported, not trusted.
    """
    onednn = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    caps = torch.cpu.get_capabilities() if hasattr(torch.cpu, 'get_capabilities') else {}
    cpu = caps.get('cpu_name') or platform.processor() or platform.machine()
    if platform.machine().lower() in ('aarch64', 'arm64'):
        if onednn:
            return True, f'{cpu}: native bf16 (Arm BF16)'
        return False, f'{cpu}: no Arm BF16 extension (oneDNN reports no bf16 support)'
    native = [flag for flag in _NATIVE_X86_FLAGS if caps.get(flag)]
    if native:
        return True, f'{cpu}: native bf16 ({"/".join(native)})'
    return False, (f'{cpu}: no native bf16 instructions (neither {" nor ".join(_NATIVE_X86_FLAGS)}'
                   f'; oneDNN bf16 {"emulated" if onednn else "unsupported"})')


def check_cpu_bf16(allow_emulated: bool = False) -> Tuple[bool, str]:
    """Raise :class:`EmulatedBF16Error` unless bf16 is native here or ``allow_emulated``.

    Returns:
        ``(native, description)`` as :func:`cpu_bf16_support` (for the log).
    """
    native, description = cpu_bf16_support()
    if not native and not allow_emulated:
        raise EmulatedBF16Error(
            f'--amp refused: {description}, so bf16 autocast would be emulated (measured 10x '
            f'slower than fp32 on an AVX2 CPU). Train in fp32 (drop --amp), or {FORCE_HINT}.')
    return native, description


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
    exponent range of fp32, so no GradScaler is needed. The log says which precision trains.

    Args:
        dtype: only ``'bfloat16'`` (fp16 autocast is not supported on CPU).
        allow_emulated_bf16: train in bf16 even where the CPU lacks native bf16 (slow).
        **kwargs: the arguments of :class:`mmengine.optim.OptimWrapper`.

    Raises:
        EmulatedBF16Error: the CPU has no native bf16 and ``allow_emulated_bf16`` is False.
    """

    def __init__(self, *args: Any, dtype: Union[str, torch.dtype] = 'bfloat16',
                 allow_emulated_bf16: bool = False, **kwargs: Any) -> None:
        name = _dtype_name(dtype)
        if name in _FP16_NAMES:
            raise ValueError(
                f'dtype={name!r}: fp16 autocast is not supported on CPU. Use '
                "dtype='bfloat16' for --amp on CPU, or train on a CUDA GPU for fp16.")
        if name not in ('bfloat16', 'bf16'):
            raise ValueError(f"CPUAmpOptimWrapper: dtype must be 'bfloat16', got {name!r}.")
        native, description = check_cpu_bf16(allow_emulated=allow_emulated_bf16)
        super().__init__(*args, **kwargs)
        self.cast_dtype = torch.bfloat16
        self.allow_emulated_bf16 = bool(allow_emulated_bf16)
        logger = MMLogger.get_current_instance()
        if native:
            logger.info(f'Training precision: bf16 autocast on CPU ({description}); weights, '
                        'gradients and optimizer state stay fp32.')
        else:
            logger.warning(f'Training precision: bf16 autocast on CPU, EMULATED ({description}); '
                           'forced by allow_emulated_bf16=True: expect it to be much slower '
                           'than fp32.')

    @contextmanager
    def optim_context(self, model: torch.nn.Module) -> Iterator[None]:
        with super().optim_context(model), torch.autocast('cpu', dtype=self.cast_dtype):
            yield


def amp_optim_wrapper_cfg(optim_wrapper: Dict[str, Any], cuda: bool) -> Dict[str, Any]:
    """The optim-wrapper config for ``--amp`` (returns a new dict; the input is not changed).

    On CUDA: mmengine's ``AmpOptimWrapper`` with dynamic loss scaling (dtype as configured).
    On CPU: :class:`CPUAmpOptimWrapper` (bf16); an fp16 ``dtype`` is a ``ValueError``, a CPU
    without native bf16 an :class:`EmulatedBF16Error` (unless ``allow_emulated_bf16=True``).
    """
    cfg = dict(optim_wrapper)
    wrapper_type = cfg.get('type', 'OptimWrapper')
    if cuda:
        if wrapper_type in ('OptimWrapper', 'CPUAmpOptimWrapper'):
            cfg['type'] = 'AmpOptimWrapper'
            cfg.setdefault('loss_scale', 'dynamic')
            cfg.pop('allow_emulated_bf16', None)
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
    check_cpu_bf16(allow_emulated=bool(cfg.get('allow_emulated_bf16', False)))
    cfg['type'] = 'CPUAmpOptimWrapper'
    cfg['dtype'] = 'bfloat16'
    cfg.pop('loss_scale', None)
    return cfg


def training_precision(optim_wrapper: Dict[str, Any], cuda: bool) -> Optional[str]:
    """One line for the log: the precision an optim-wrapper config trains in.

    None for :class:`CPUAmpOptimWrapper`, which logs its precision itself when it is built.
    """
    wrapper_type = optim_wrapper.get('type', 'OptimWrapper')
    if wrapper_type == 'AmpOptimWrapper' and cuda:
        dtype = _dtype_name(optim_wrapper.get('dtype')) or 'float16'
        return f'Training precision: {dtype} AMP on CUDA (loss scaling).'
    if wrapper_type in ('CPUAmpOptimWrapper', 'AmpOptimWrapper'):
        return None
    if cuda:
        return 'Training precision: fp32 (--amp would use fp16 AMP on CUDA).'
    native, description = cpu_bf16_support()
    hint = ('--amp would train in bf16 autocast' if native else
            '--amp is refused here: bf16 would be emulated')
    return f'Training precision: fp32 ({description}; {hint}).'
