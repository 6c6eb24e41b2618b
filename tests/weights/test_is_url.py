"""is_url: the package's one URL test (weights, input images, remote work dirs, the web demo)."""
import pytest

from mmcls_convnext.weights.download import URL_SCHEMES, is_url


@pytest.mark.parametrize('text, schemes, expected', [
    ('https://download.openmmlab.com/a.pth', URL_SCHEMES, True),
    ('file:///tmp/a.pth', URL_SCHEMES, True),
    ('ftp://host/a.pth', URL_SCHEMES, True),
    ('s3://bucket/a.pth', URL_SCHEMES, False),
    ('s3://bucket/a.pth', None, True),
    ('file:///tmp/a.jpg', ('http', 'https'), False),
    ('http://host/a.jpg', ('http', 'https'), True),
    ('HTTPS://host/a.jpg', ('http', 'https'), False),  # schemes compare exactly
    ('/tmp/a.pth', None, False),
    ('work_dirs/run', None, False),
    ('C:\\models\\a.pth', None, False),
    (None, None, False),
])
def test_is_url(text, schemes, expected):
    assert is_url(text, schemes) is expected
