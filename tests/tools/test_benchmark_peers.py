"""benchmark.py --sections peers (MMPretrain 1.2 in its own venv) and --device cuda: the logic.

No venv is created and nothing is installed here: the subprocess runner is replaced by a fake
that records the commands and answers as pip / python / a training run would.
"""
import importlib.util
import os
import os.path as osp
import statistics
import sys
import types

import pytest
import torch
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(REPO, 'tools', 'analysis_tools', 'benchmark.py')
spec = importlib.util.spec_from_file_location('mmcls_benchmark_peers', SCRIPT)
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)  # puts tools/analysis_tools on sys.path
from benchmarking import peers  # noqa: E402


def _done(returncode=0, stdout='', stderr=''):
    return types.SimpleNamespace(returncode=returncode, stdout=stdout, stderr=stderr)


def _log(times, batch_lines=None, total=469):
    """mmengine-style training log lines, one per logged window (interval 10)."""
    lines = ['12/07 05:00:00 - mmengine - INFO - Checkpoints will be saved to /tmp/x.']
    for k, t in enumerate(times, start=1):
        lines.append(f'12/07 05:00:{k:02d} - mmengine - INFO - Epoch(train)  [1][{10 * k:>3}/'
                     f'{total}]  lr: 1.0000e-05  eta: 0:01:00  time: {t:.4f}  data_time: 0.0010'
                     f'  memory: 0  loss: 2.3026')
    return '\n'.join(lines) + '\n'


def test_parse_log_img_s_skips_the_warmup_windows():
    text = _log([0.9, 0.8, 0.20, 0.25, 0.22, 0.30])  # iterations 10..60
    got = peers.parse_log_img_s(text, batch=128, warmup_iters=20)
    med = statistics.median([0.20, 0.25, 0.22, 0.30])  # windows ending at 30, 40, 50, 60
    assert got['lines'] == 4
    assert got['sec_per_iter'] == pytest.approx(med)
    assert got['img_s'] == pytest.approx(128 / med)
    with pytest.raises(ValueError, match='no "Epoch.* log line after iteration 60'):
        peers.parse_log_img_s(text, batch=128, warmup_iters=60)
    # an iteration-based run (the translated MMPretrain config) logs Iter(train) [ i/n]
    iter_log = text.replace('Epoch(train)  [1]', 'Iter(train) ')
    assert 'Iter(train) [ 30/469]' in iter_log
    assert peers.parse_log_img_s(iter_log, batch=128, warmup_iters=20) == got


def test_the_project_environment_is_refused(tmp_path):
    with pytest.raises(ValueError, match="own environment"):
        peers.check_separate(sys.prefix)
    with pytest.raises(ValueError, match='separate venv'):
        peers.check_separate(osp.join(sys.prefix, 'peer'))
    peers.check_separate(str(tmp_path / 'venv'))  # elsewhere: fine


def test_install_commands_are_venv_then_pinned_pip(tmp_path):
    venv = str(tmp_path / 'v')
    assert peers.install_commands(venv, python='/py') == [
        ['/py', '-m', 'venv', venv],
        [osp.join(venv, 'bin', 'python'), '-m', 'pip', 'install', 'mmpretrain==1.2.0',
         'mmcv-lite==2.2.0', 'mmengine==0.10.7', 'torch==2.14.1', 'torchvision==0.29.1']]


class _FakeSystem:
    """Answers like python -m venv (creates bin/python), pip and `import mmpretrain`."""

    def __init__(self, version='1.2.0', pip_status=0):
        self.calls, self.version, self.pip_status, self.installed = [], version, pip_status, False

    def __call__(self, cmd, **kwargs):
        self.calls.append(list(cmd))
        if cmd[1:3] == ['-m', 'venv']:
            os.makedirs(osp.join(cmd[3], 'bin'))
            open(osp.join(cmd[3], 'bin', 'python'), 'w').close()
            return _done()
        if cmd[1:4] == ['-m', 'pip', 'install']:
            self.installed = self.pip_status == 0
            return _done(self.pip_status)
        if cmd[1] == '-c' and 'mmpretrain.__version__' in cmd[2]:
            return _done(0, self.version + '\n') if self.installed else _done(1, '', 'No module')
        raise AssertionError(cmd)


def test_find_or_install_the_peer(tmp_path):
    venv = str(tmp_path / 'peer')
    fake = _FakeSystem()
    with pytest.raises(ValueError, match='no MMPretrain there; pass --install-peers'):
        peers.ensure_peer(venv, install=False, run=fake)
    assert fake.calls == []  # no python in the venv yet: nothing run, nothing installed
    assert peers.ensure_peer(venv, install=True, run=fake) == '1.2.0'
    assert [c[1:3] for c in fake.calls] == [['-m', 'venv'], ['-m', 'pip'], ['-c', fake.calls[2][2]]]
    fake.calls.clear()
    assert peers.ensure_peer(venv, install=True, run=fake) == '1.2.0'  # found: no install
    assert len(fake.calls) == 1


def test_wrong_version_and_failed_install_are_errors(tmp_path):
    old = _FakeSystem(version='1.0.2')
    with pytest.raises(ValueError, match=r'has MMPretrain 1\.0\.2; .* 1\.2\.x'):
        peers.ensure_peer(str(tmp_path / 'a'), install=True, run=old)
    broken = _FakeSystem(pip_status=1)
    with pytest.raises(ValueError, match='pip install mmpretrain==1.2.0 .* failed with status 1'):
        peers.ensure_peer(str(tmp_path / 'b'), install=True, run=broken)


def test_translated_config_matches_the_quickstart(tmp_path):
    text = peers.mmpretrain_quickstart_config('/data/fm', batch=128, iters=60, log_interval=10)
    cfg = Config.fromstring(text, '.py')
    ours = Config.fromfile(bench.QUICKSTART_CFG)
    assert cfg.default_scope == 'mmpretrain'
    for key in ('arch', 'stem_patch_size', 'drop_path_rate'):
        assert cfg.model.backbone[key] == ours.model.backbone[key]
    assert cfg.model.head.loss == ours.model.head.loss
    assert cfg.data_preprocessor.mean == ours.data_preprocessor.mean
    opt, our_opt = cfg.optim_wrapper.optimizer, ours.optim_wrapper.optimizer
    assert {k: opt[k] for k in ('lr', 'weight_decay', 'fused')} == {
        k: our_opt[k] for k in ('lr', 'weight_decay', 'fused')}
    assert cfg.train_dataloader.batch_size == 128 and cfg.train_cfg.max_iters == 60
    assert cfg.train_dataloader.dataset.data_root == '/data/fm'
    assert cfg.default_hooks.logger.interval == 10


def test_train_commands():
    ours = peers.our_train_command('/repo', '/repo/q.py', '/w', '/d', 128, 60, 10, python='/py')
    assert ours[:6] == ['/py', '/repo/tools/train.py', '/repo/q.py', '--work-dir', '/w',
                        '--no-validate']
    assert 'train_dataloader.dataset.indices=7680' in ours
    assert 'default_hooks.logger.interval=10' in ours
    theirs = peers.peer_train_command('/v', '/c.py', '/w')
    assert theirs[0] == '/v/bin/python' and theirs[-2:] == ['/c.py', '/w']
    # the inline script is valid Python
    compile(theirs[2], '<peer>', 'exec')


def test_compare_peers_alternates_and_takes_medians():
    order = []
    rates = dict(ours=iter([0.10, 0.12, 0.11]), mmpretrain=iter([0.20, 0.25, 0.22]))

    def run(cmd, **kwargs):
        order.append(cmd[0])
        t = next(rates[cmd[0]])
        return _done(0, _log([1.0, 1.0, t, t]))
    out = peers.compare_peers(dict(ours=['ours'], mmpretrain=['mmpretrain']), rounds=3,
                              batch=128, warmup_iters=20, run=run)
    assert order == ['ours', 'mmpretrain'] * 3
    assert out['ours']['median'] == pytest.approx(128 / 0.11, abs=0.01)
    assert out['mmpretrain']['median'] == pytest.approx(128 / 0.22, abs=0.01)
    assert out['ours_over_mmpretrain'] == pytest.approx(2.0, abs=1e-3)

    def failing(cmd, **kwargs):
        return _done(1, '', 'ImportError: mmcv')
    with pytest.raises(RuntimeError,
                       match=r'the ours training failed \(status 1\): x\nImportError: mmcv'):
        peers.compare_peers(dict(ours=['x']), rounds=1, batch=1, warmup_iters=0, run=failing)


@pytest.mark.parametrize('argv, message', [
    (['--sections', 'peers'], '--sections peers needs --peer-venv PATH'),
    (['--sections', 'peers', '--peer-venv', '/x', '--peer-iters', '10'],
     '--peer-iters must be >= 30'),
])
def test_peer_arguments(argv, message, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert message in capsys.readouterr().err


def test_peers_refuse_the_project_venv():
    with pytest.raises(SystemExit, match="own environment"):
        bench.main(['--quick', '--sections', 'peers', '--peer-venv', sys.prefix])


def test_peers_is_not_a_default_section():
    assert 'peers' not in bench.parse_args([]).sections.split(',')


def test_device_cuda_refuses_in_one_line_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit) as info:
        bench.main(['--device', 'cuda', '--quick', '--sections', 'inference'])
    assert str(info.value) == '--device cuda: no CUDA device is visible to torch.'


def test_gpu_drops_the_cpu_only_fast_path():
    assert bench.gpu_fast_modes(['prepack', 'onnxruntime', 'fold']) == ['prepack', 'fold']
    assert bench.gpu_fast_modes(['auto']) == ['auto']


def test_extracted_idx_dir(tmp_path):
    import gzip
    src = tmp_path / 'src'
    src.mkdir()
    payload = {name: bytes([i]) * (10 + i) for i, name in enumerate(peers.IDX_FILES)}
    for name, data in payload.items():
        with gzip.open(src / (name + '.gz'), 'wb') as f:
            f.write(data)
    out = peers.extracted_idx_dir(str(src), str(tmp_path / 'raw'))
    assert out == str(tmp_path / 'raw')
    for name, data in payload.items():
        assert (tmp_path / 'raw' / name).read_bytes() == data
    assert peers.extracted_idx_dir(out, str(tmp_path / 'unused')) == out  # already raw
    assert not (tmp_path / 'unused').exists()
    (src / (peers.IDX_FILES[3] + '.gz')).unlink()
    with pytest.raises(ValueError, match='has neither t10k-labels-idx1-ubyte nor'):
        peers.extracted_idx_dir(str(src), str(tmp_path / 'raw2'))
