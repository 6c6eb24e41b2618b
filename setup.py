"""Install mmcls_convnext.

``configs/`` lives at the top of the repository (where OpenMMLab users look for it). A wheel
(`pip install .`) carries a copy under ``mmcls_convnext/.mim/configs`` so that
``get_model('<zoo name>')`` finds its config without the repository; an editable install
(`pip install -e .`) reads the repository's ``configs/`` directly.
"""
import os
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))


def read_version() -> str:
    scope = {}
    with open(os.path.join(HERE, 'mmcls_convnext', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def read_requirements(name: str) -> list:
    path = os.path.join(HERE, 'requirements', name)
    with open(path) as f:
        return [line.split('#')[0].strip() for line in f
                if line.split('#')[0].strip() and not line.startswith('-r')]


class BuildWithConfigs(build_py):
    """Copy ``configs/`` into the built package as ``mmcls_convnext/.mim/configs``."""

    def run(self):
        super().run()
        src = os.path.join(HERE, 'configs')
        dst = os.path.join(self.build_lib, 'mmcls_convnext', '.mim', 'configs')
        if os.path.isdir(src):
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(
    name='mmcls_convnext',
    version=read_version(),
    description='OpenMMLab-style image classification toolbox built around ConvNeXt',
    long_description=open(os.path.join(HERE, 'README.md')).read()
    if os.path.exists(os.path.join(HERE, 'README.md')) else '',
    long_description_content_type='text/markdown',
    python_requires='>=3.9',
    packages=find_packages(include=['mmcls_convnext', 'mmcls_convnext.*']),
    include_package_data=True,
    package_data={'mmcls_convnext': ['zoo/*.json', 'zoo/*.yml', 'zoo/*.txt', 'datasets/*.txt']},
    install_requires=read_requirements('runtime.txt'),
    extras_require={'tests': read_requirements('tests.txt'),
                    'deploy': read_requirements('deploy.txt')},
    cmdclass={'build_py': BuildWithConfigs},
    license='Apache-2.0',
    zip_safe=False,
)
