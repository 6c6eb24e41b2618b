"""The launcher scripts parse and print their usage when arguments are missing."""
import subprocess
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parents[2] / 'tools'


@pytest.mark.parametrize('script, usage', [
    ('dist_train.sh', 'CONFIG GPUS'),
    ('dist_test.sh', 'CONFIG CHECKPOINT GPUS'),
    ('slurm_train.sh', 'PARTITION JOB_NAME CONFIG WORK_DIR'),
    ('slurm_test.sh', 'PARTITION JOB_NAME CONFIG CHECKPOINT'),
])
def test_usage(script, usage):
    path = TOOLS / script
    assert subprocess.run(['bash', '-n', str(path)]).returncode == 0
    proc = subprocess.run(['bash', str(path)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert f'Usage: {path} {usage}' in proc.stderr
