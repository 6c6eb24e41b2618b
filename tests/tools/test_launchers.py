"""The launcher scripts as users run them: two torchrun nodes on loopback, and slurm.

- ``tools/dist_train.sh`` started twice, ``NNODES=2 NODE_RANK=0|1 MASTER_ADDR=127.0.0.1``,
  one process per node (``torchrun --nnodes 2 --nproc_per_node 1``, gloo on CPU), on the
  shipped seed recipe (model shrunk): the two nodes train on disjoint halves of the data and end
  with identical parameters.
- ``tools/slurm_train.sh`` / ``slurm_test.sh`` with a fake ``srun`` first on ``PATH`` that
  records its arguments and environment: the job is submitted as the usage line says.
"""
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tool_runs import REPO, shrink_options, tool_env  # noqa: E402

from mmcls_convnext.engine.entrypoints import test as test_entry  # noqa: E402
from mmcls_convnext.engine.entrypoints import train as train_entry  # noqa: E402

SEED_CONFIG = REPO / 'configs' / 'convnext' / 'convnext-tiny_32xb128_in1k.py'
PROBE = '''
import os
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmcls_convnext.registry import HOOKS


@HOOKS.register_module()
class RecordShardHook(Hook):
    """Save the sample indices this rank trained on and its final parameters."""

    def __init__(self):
        self.indices = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.indices += [int(s.sample_idx) for s in data_batch['data_samples']]

    def after_train(self, runner):
        model = getattr(runner.model, 'module', runner.model)
        torch.save(dict(indices=self.indices, state_dict=model.state_dict()),
                   os.path.join(runner.work_dir, f'node_rank{get_rank()}.pth'))
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _path_with_python() -> str:
    return f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}'


def _run_nodes(cmds_envs: list, log_dir: Path, timeout: float) -> list:
    """Run the node commands at once; ``[(returncode, output)]`` once all have exited. When one
    node fails the other would wait for it until the rendezvous times out: it is stopped then,
    so the failure shows at once, with every node's output (written to files, not pipes, so
    a chatty node never blocks)."""
    logs = [log_dir / f'node{rank}.out' for rank in range(len(cmds_envs))]
    nodes = []
    for (cmd, env), log in zip(cmds_envs, logs):
        with open(log, 'w') as out:
            nodes.append(subprocess.Popen(cmd, cwd=str(REPO), env=env, stdout=out,
                                          stderr=subprocess.STDOUT, start_new_session=True))
    deadline = time.monotonic() + timeout
    while (any(n.poll() is None for n in nodes) and time.monotonic() < deadline
           and not any(n.poll() not in (None, 0) for n in nodes)):
        time.sleep(0.2)
    for node in nodes:
        if node.poll() is None:  # the node's torchrun and its workers too
            os.killpg(node.pid, signal.SIGTERM)
    return [(node.wait(timeout=60), log.read_text()) for node, log in zip(nodes, logs)]


def test_two_nodes_on_loopback(tiny_imagenet, tmp_path):
    # registered at interpreter start-up (sitecustomize): --cfg-options custom_imports is not
    # imported by Config.fromfile, and the recipe file stays untouched
    (tmp_path / 'sitecustomize.py').write_text(PROBE)
    work = tmp_path / 'work'
    options = shrink_options(tiny_imagenet) + [
        'default_hooks.stop.type=EarlyStoppingHook', 'default_hooks.stop.monitor=accuracy/top1',
        'default_hooks.stop.stopping_threshold=-1', 'default_hooks.record.type=RecordShardHook']
    port = _free_port()
    env = tool_env(dict(PATH=_path_with_python(), NNODES='2', MASTER_ADDR='127.0.0.1',
                        PORT=str(port),
                        PYTHONPATH=f'{tmp_path}{os.pathsep}{tool_env()["PYTHONPATH"]}'))
    cmd = ['bash', str(REPO / 'tools' / 'dist_train.sh'), str(SEED_CONFIG), '1', '--work-dir',
           str(work), '--cfg-options', *options]
    results = _run_nodes([(cmd, dict(env, NODE_RANK=str(rank))) for rank in (0, 1)], tmp_path,
                         timeout=300)
    assert all(code == 0 for code, _ in results), '\n\n'.join(
        f'--- node {rank} (exit {code}) ---\n{out[-4000:]}'
        for rank, (code, out) in enumerate(results))
    ranks = [torch.load(work / f'node_rank{r}.pth', weights_only=True) for r in (0, 1)]
    # 4 train images, 2 nodes x batch 2: one iteration per node on distinct halves
    assert [len(r['indices']) for r in ranks] == [2, 2]
    assert sorted(ranks[0]['indices'] + ranks[1]['indices']) == [0, 1, 2, 3]
    for name, value in ranks[0]['state_dict'].items():
        assert torch.equal(value, ranks[1]['state_dict'][name]), name
    ckpt = torch.load(work / 'epoch_1.pth', weights_only=True)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (1, 1)
    assert 'ema_state_dict' in ckpt  # the recipe's EMAHook ran on both nodes
    # the environment dump is in the run's log file (the console stays brief)
    logs = ''.join(p.read_text() for p in work.glob('*/*.log'))
    assert 'Distributed training: True' in logs, logs[-3000:]


FAKE_SRUN = '''#!/usr/bin/env bash
# records how it was called, then stops (no cluster here)
"{python}" -c 'import json, os, sys
json.dump(dict(argv=sys.argv[1:], env=dict(os.environ)), open(os.environ["SRUN_RECORD"], "w"))' "$@"
'''


@pytest.fixture
def fake_srun(tmp_path):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    srun = bin_dir / 'srun'
    srun.write_text(FAKE_SRUN.format(python=sys.executable))
    srun.chmod(srun.stat().st_mode | stat.S_IEXEC)
    record = tmp_path / 'srun.json'
    env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{_path_with_python()}',
               SRUN_RECORD=str(record), GPUS='16', GPUS_PER_NODE='8', CPUS_PER_TASK='4',
               SRUN_ARGS='--quotatype=auto --time=10')
    env.pop('PYTHONPATH', None)
    return env, record


def _srun_options(argv):
    """Split the recorded srun argv into (options before the program, program argv)."""
    program = argv.index('python')
    return argv[:program], argv[program:]


@pytest.mark.parametrize('script', ['slurm_train.sh', 'slurm_test.sh'])
def test_slurm_scripts_submit_what_the_usage_says(fake_srun, tmp_path, script):
    env, record = fake_srun
    config = 'configs/convnext/convnext-tiny_32xb128_in1k.py'
    args = ([config, 'work_dirs/job'] if script == 'slurm_train.sh'
            else [config, 'work_dirs/job/epoch_3.pth'])
    proc = subprocess.run(['bash', str(REPO / 'tools' / script), 'gpu-partition', 'my job',
                           *args, '--cfg-options', 'randomness.seed=1'], cwd=str(REPO),
                          env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    called = json.loads(record.read_text())
    options, program = _srun_options(called['argv'])
    assert options == ['-p', 'gpu-partition', '--job-name=my job', '--gres=gpu:8',
                       '--ntasks=16', '--ntasks-per-node=8', '--cpus-per-task=4',
                       '--kill-on-bad-exit=1', '--quotatype=auto', '--time=10']
    tool = 'train.py' if script == 'slurm_train.sh' else 'test.py'
    assert program[:3] == ['python', '-u', str(REPO / 'tools' / tool)]
    assert called['env']['PYTHONPATH'].split(os.pathsep)[0] == str(REPO / 'tools' / '..')
    # the tool accepts exactly what the script passes it
    entry = train_entry if tool == 'train.py' else test_entry
    parsed = entry.parse_args(program[3:])
    assert parsed.launcher == 'slurm' and parsed.cfg_options == {'randomness.seed': 1}
    assert parsed.config == config
    if tool == 'train.py':
        assert parsed.work_dir == 'work_dirs/job'
    else:
        assert parsed.checkpoint == 'work_dirs/job/epoch_3.pth'
