"""The mmcv versions this package accepts, checked at ``import mmcls_convnext``.

mmcv is not in ``install_requires`` (see requirements/runtime.txt): full ``mmcv`` and
``mmcv-lite`` both provide ``import mmcv``, so either satisfies this check, and installing this
package never replaces an environment's mmcv. OpenMMLab's packages check the same way.
"""
from typing import Tuple

from packaging.version import Version

MMCV_MIN = '2.0.0'
MMCV_MAX = '2.3.0'  # exclusive
MMCV_RANGE = f'>={MMCV_MIN},<{MMCV_MAX}'
INSTALL_HINT = (f"install one: pip install 'mmcv-lite{MMCV_RANGE}' (pure Python, enough for "
                f"mmcls_convnext) or full mmcv{MMCV_RANGE} (see mmcv's installation docs)")


def mmcv_version_supported(version: str) -> bool:
    """Whether ``version`` (a ``mmcv.__version__``) is in :data:`MMCV_RANGE`."""
    return Version(MMCV_MIN) <= Version(version) < Version(MMCV_MAX)


def check_mmcv() -> Tuple[str, str]:
    """Raise ImportError (one line) unless an mmcv in :data:`MMCV_RANGE` is importable.

    Returns ``(version, path)`` of the mmcv found.
    """
    try:
        import mmcv
    except ImportError as exc:
        raise ImportError(f'mmcls_convnext needs mmcv{MMCV_RANGE} (full mmcv or mmcv-lite), '
                          f'but `import mmcv` failed ({exc}); {INSTALL_HINT}.') from None
    version = getattr(mmcv, '__version__', '')
    try:
        supported = mmcv_version_supported(version)
    except ValueError:
        supported = False
    if not supported:
        raise ImportError(f'mmcls_convnext supports mmcv{MMCV_RANGE}, but mmcv=={version!s} is '
                          f'installed at {getattr(mmcv, "__file__", "?")}; {INSTALL_HINT}.')
    return version, getattr(mmcv, '__file__', '')
