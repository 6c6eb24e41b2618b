"""Issue 20, finding 5: a refused checkpoint, a config with a syntax error and a directory given
as config end each tool with one ``ERROR (Type): message`` line naming the file, exit status 1,
no traceback."""
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONFIG = """
model = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(type='LinearClsHead', num_classes=3, in_channels=64),
)
"""


def _run(*args):
    env = dict(os.environ, PYTHONPATH=REPO, OMP_NUM_THREADS='1')
    return subprocess.run([sys.executable, *args], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=300)


def _one_error_line(proc, error, *parts):
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f'ERROR ({error}): '), proc.stderr[-3000:]
    for part in parts:
        assert part in last, last


@pytest.mark.parametrize('tool', ['vis_cam', 'pytorch2onnx'])
def test_a_refused_checkpoint_is_one_line(tmp_path, tool):
    config = tmp_path / 'tiny.py'
    config.write_text(CONFIG)
    bad = tmp_path / 'bad.pth'
    bad.write_bytes(b'not a checkpoint at all')
    if tool == 'vis_cam':
        args = ['tools/visualization/vis_cam.py', 'demo/demo.JPEG', str(config), '--checkpoint',
                str(bad), '--save-path', str(tmp_path / 'cam.png')]
    else:
        args = ['tools/deployment/pytorch2onnx.py', str(config), '--checkpoint', str(bad),
                '--output-file', str(tmp_path / 'm.onnx')]
    _one_error_line(_run(*args), 'CheckpointError', f'Cannot read checkpoint {bad}')


def test_config_syntax_error_and_directory_are_one_line(tmp_path):
    broken = tmp_path / 'broken.py'
    broken.write_text("model = dict(type='ImageClassifier'\n")
    _one_error_line(_run('tools/test.py', str(broken), 'x.pth'), 'ValueError',
                    f'Config file "{broken}", line 1 is not valid Python', 'Fix the syntax')
    _one_error_line(_run('tools/test.py', str(tmp_path), 'x.pth'), 'ValueError',
                    f'Config path "{tmp_path}" is a directory, not a config file')
