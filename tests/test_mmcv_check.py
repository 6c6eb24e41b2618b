"""mmcv is checked at import (not pinned): either distribution, one range, one-line errors."""
import sys
import types

import pytest

from mmcls_convnext.mmcv_check import MMCV_RANGE, check_mmcv, mmcv_version_supported


@pytest.mark.parametrize('version,ok', [
    ('2.0.0', True), ('2.0.0rc4', False), ('2.1.0', True), ('2.2.0', True), ('2.2.1', True),
    ('2.3.0', False), ('1.7.2', False), ('3.0.0', False)])
def test_supported_range(version, ok):
    assert MMCV_RANGE == '>=2.0.0,<2.3.0'
    assert mmcv_version_supported(version) is ok


@pytest.mark.parametrize('version', ['2.3.0', '1.7.2', 'not-a-version'])
def test_unsupported_mmcv_is_one_line_error(monkeypatch, version):
    fake = types.ModuleType('mmcv')
    fake.__version__ = version
    fake.__file__ = '/site-packages/mmcv/__init__.py'
    monkeypatch.setitem(sys.modules, 'mmcv', fake)
    with pytest.raises(ImportError) as info:
        check_mmcv()
    message = str(info.value)
    assert '\n' not in message
    assert f'mmcv=={version}' in message and '>=2.0.0,<2.3.0' in message
    assert "pip install 'mmcv-lite>=2.0.0,<2.3.0'" in message and 'full mmcv' in message


def test_missing_mmcv_is_one_line_error(monkeypatch):
    monkeypatch.setitem(sys.modules, 'mmcv', None)  # makes `import mmcv` raise ImportError
    with pytest.raises(ImportError, match=r"import mmcv` failed .*pip install 'mmcv-lite"):
        check_mmcv()


def test_installed_mmcv_passes():
    import mmcv
    assert check_mmcv()[0] == mmcv.__version__
