"""benchmark.py --sections peers (MMPretrain 1.2 in its own venv) and --device cuda: the logic.

No venv is created and nothing is installed here: the subprocess runner is replaced by a fake
that records the commands and answers as pip / python / a training run would.
"""
import importlib.util
import json
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
    logs = {}
    with pytest.raises(RuntimeError,
                       match=r'the ours training failed \(status 1\): x\nImportError: mmcv'):
        peers.compare_peers(dict(ours=['x']), rounds=1, batch=1, warmup_iters=0, run=failing,
                            logs=logs)
    assert logs == dict(ours='ImportError: mmcv')  # the failed run's log is kept too


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


# ------------------------------------------------------------------ ConvNeXt-T on JPEGs, test


def _test_log(times, top1=25.0, total=None):
    """mmengine-style test log: one line per iteration (interval 1), then the summary."""
    total = total or len(times)
    lines = ['12/07 05:00:00 - mmengine - INFO - Load checkpoint from /tmp/c.pth']
    for k, t in enumerate(times, start=1):
        lines.append(f'12/07 05:00:{k:02d} - mmengine - INFO - Epoch(test) [{k:>2}/{total}]    '
                     f'eta: 0:00:0{total - k}  time: {t:.4f}  data_time: 0.0100  ')
    lines.append(f'12/07 05:01:00 - mmengine - INFO - Epoch(test) [{total}/{total}]    '
                 f'accuracy/top1: {top1:.4f}  data_time: 0.0500  time: 9.9999')
    return '\n'.join(lines) + '\n'


def test_parse_test_log_times_iterations_and_reads_top1():
    text = _test_log([3.0, 2.0, 0.50, 0.40, 0.60, 0.45], top1=37.5)
    got = peers.parse_test_log(text, batch=8, warmup_iters=2)
    med = statistics.median([0.50, 0.40, 0.60, 0.45])  # the summary's 9.9999 is not a sample
    assert got['lines'] == 4 and got['sec_per_iter'] == pytest.approx(med)
    assert got['img_s'] == pytest.approx(8 / med)
    assert got['top1'] == 37.5
    with pytest.raises(ValueError, match=r'no "Epoch\(test\) \[i/n\] ... time'):
        peers.parse_test_log(text, batch=8, warmup_iters=6)
    no_summary = '\n'.join(text.splitlines()[:-1])
    with pytest.raises(ValueError, match='accuracy/top1'):
        peers.parse_test_log(no_summary, batch=8, warmup_iters=2)
    # training lines in the same text are no test samples
    mixed = _log([0.1] * 6) + text
    assert peers.parse_test_log(mixed, batch=8, warmup_iters=2) == got


def test_parse_checkpoint_keys():
    report = dict(missing=[], unexpected=['head.fc2.weight'], shape_mismatch=[])
    text = ('noise\n' + peers.CHECKPOINT_KEYS_TAG + json.dumps(report) + '\n'
            + _test_log([1.0] * 4))
    assert peers.parse_checkpoint_keys(text) == report
    with pytest.raises(ValueError, match='no "PEER_CHECKPOINT_KEYS'):
        peers.parse_checkpoint_keys(_test_log([1.0] * 4))


def test_top1_check_flags_any_difference():
    assert peers.top1_check([25.0, 25.0], [25.0, 25.0]) == dict(
        ours=[25.0, 25.0], mmpretrain=[25.0, 25.0], equal=True)
    bad = peers.top1_check([25.0, 25.0], [25.0, 26.5625])
    assert bad['equal'] is False and 'TOP-1 DIFFERS' in bad['warning']
    assert peers.top1_check([50.0], [50.00001])['equal']  # within the log's 4 decimals
    assert not peers.top1_check([], [50.0])['equal']


def _our_cfg(cmd):
    """The config our tools/train.py / tools/test.py run for ``cmd``: its own argument parser
    and config loader (which checks every --cfg-options key against the config)."""
    from mmcls_convnext.config import load_config
    from mmcls_convnext.engine.entrypoints import test as test_entry
    from mmcls_convnext.engine.entrypoints import train as train_entry
    entry = train_entry if cmd[1].endswith('train.py') else test_entry
    args = entry.parse_args(cmd[2:])
    return load_config(args.config, args.cfg_options)


def test_tiny_train_command_only_points_our_config_at_the_tree():
    classes = peers.TREE_CLASSES
    cmd = peers.our_tiny_train_command('/repo', bench.TINY_CFG, '/w', '/tree', classes, 8, 10,
                                       python='/py')
    assert cmd[:7] == ['/py', '/repo/tools/train.py', bench.TINY_CFG, '--work-dir', '/w',
                       '--no-validate', '--cfg-options']
    cfg = _our_cfg(cmd)
    ds = cfg.train_dataloader.dataset
    assert (ds.type, ds.split, ds.data_root, ds.indices) == ('ImageNet', 'train', '/tree', 80)
    assert ds.classes == list(classes)
    assert cfg.model.head.num_classes == cfg.data_preprocessor.num_classes == 4
    assert cfg.train_dataloader.batch_size == 8 and cfg.train_dataloader.num_workers == 2
    assert cfg.train_dataloader.persistent_workers is True
    assert cfg.train_cfg.max_epochs == 1 and cfg.param_scheduler[1].begin == 0
    assert cfg.default_hooks.logger.interval == 1 and cfg.log_processor.window_size == 1
    # the recipe itself is untouched: the shipped pipeline, EMA, Mixup/CutMix, AdamW
    ours = Config.fromfile(bench.TINY_CFG)
    assert ds.pipeline == ours.train_dataloader.dataset.pipeline
    assert cfg.custom_hooks == ours.custom_hooks and cfg.model.train_cfg == ours.model.train_cfg
    assert cfg.optim_wrapper == ours.optim_wrapper
    with pytest.raises(ValueError, match='plain words'):
        peers.our_tiny_train_command('/r', '/c', '/w', '/t', ['a b', 'c'], 8, 10)


def test_tiny_test_command():
    cmd = peers.our_test_command('/repo', bench.TINY_CFG, '/c.pth', '/w', '/tree',
                                 peers.TREE_CLASSES, 8, python='/py')
    assert cmd[:6] == ['/py', '/repo/tools/test.py', bench.TINY_CFG, '/c.pth', '--work-dir', '/w']
    cfg = _our_cfg(cmd)
    ds = cfg.test_dataloader.dataset
    assert (ds.split, ds.data_root, ds.classes) == ('val', '/tree', list(peers.TREE_CLASSES))
    assert cfg.test_dataloader.batch_size == 8 and cfg.test_dataloader.num_workers == 2
    assert cfg.test_evaluator.topk == [1] and cfg.model.head.num_classes == 4
    assert [t['type'] for t in ds.pipeline] == ['LoadImageFromFile', 'ResizeEdge', 'CenterCrop',
                                                'PackInputs']
    theirs = peers.peer_test_command('/v', '/p.py', '/c.pth', '/w')
    assert theirs[0] == '/v/bin/python' and theirs[-3:] == ['/p.py', '/w', '/c.pth']
    compile(theirs[2], '<peer test>', 'exec')
    assert 'load_from' in theirs[2] and 'runner.test()' in theirs[2]
    assert peers.CHECKPOINT_KEYS_TAG in theirs[2]


def test_mmpretrain_tiny_config_is_our_recipe_in_its_terms():
    text = peers.mmpretrain_tiny_config('/tree', num_classes=4, batch=8, iters=10)
    cfg = Config.fromstring(text, '.py')
    classes = peers.TREE_CLASSES
    ours = _our_cfg(peers.our_tiny_train_command('/r', bench.TINY_CFG, '/w',
                                                 '/tree', classes, 8, 10))
    assert cfg.default_scope == 'mmpretrain'
    assert cfg.model.backbone == dict(type='ConvNeXt', arch='tiny', drop_path_rate=0.1)
    assert cfg.model.backbone.arch == ours.model.backbone.arch
    assert cfg.model.backbone.drop_path_rate == ours.model.backbone.drop_path_rate
    head = cfg.model.head
    assert (head.type, head.in_channels, head.num_classes) == ('LinearClsHead', 768, 4)
    assert head.loss == ours.model.head.loss
    assert cfg.model.init_cfg == ours.model.init_cfg
    assert cfg.model.train_cfg == ours.model.train_cfg  # Mixup 0.8 / CutMix 1.0
    for key in ('num_classes', 'mean', 'std', 'to_rgb'):
        assert cfg.data_preprocessor[key] == ours.data_preprocessor[key]
    # the same transforms with the same parameters (ours adds only its backend choices)
    theirs_pipe, ours_pipe = (cfg.train_dataloader.dataset.pipeline,
                              ours.train_dataloader.dataset.pipeline)
    assert [t['type'] for t in theirs_pipe] == [t['type'] for t in ours_pipe] == [
        'LoadImageFromFile', 'RandomResizedCrop', 'RandomFlip', 'RandAugment', 'RandomErasing',
        'PackInputs']
    ours_only = {'lazy_decode', 'backend', 'backends', 'sampler'}
    for t, o in zip(theirs_pipe, ours_pipe):
        for key in (set(t) | set(o)) - ours_only - {'hparams'}:
            assert t.get(key) == o.get(key), (t['type'], key)
    assert theirs_pipe[3].hparams.pad_val == ours_pipe[3].hparams.pad_val
    assert theirs_pipe[3].hparams.interpolation == ours_pipe[3].hparams.interpolation
    theirs_test = cfg.test_dataloader.dataset.pipeline
    assert theirs_test == ours.test_dataloader.dataset.pipeline
    # the same data, batch, workers and cut
    tds = cfg.train_dataloader.dataset
    assert (tds.type, tds.data_root, tds.data_prefix, tds.indices) == (
        'CustomDataset', '/tree', 'train', 80)
    assert cfg.test_dataloader.dataset.data_prefix == 'val'
    for loader in (cfg.train_dataloader, cfg.test_dataloader):
        assert (loader.batch_size, loader.num_workers, loader.persistent_workers) == (8, 2, True)
    assert cfg.test_evaluator == dict(type='Accuracy', topk=(1, ))
    assert 'val_dataloader' not in cfg  # no validation, as ours runs --no-validate
    # optimizer and schedule
    opt, our_opt = cfg.optim_wrapper.optimizer, ours.optim_wrapper.optimizer
    for key in ('type', 'lr', 'weight_decay', 'eps', 'betas'):
        assert opt[key] == our_opt[key], key
    for key in ('norm_decay_mult', 'bias_decay_mult', 'flat_decay_mult'):
        assert cfg.optim_wrapper.paramwise_cfg[key] == ours.optim_wrapper.paramwise_cfg[key]
    assert cfg.param_scheduler == ours.param_scheduler
    assert cfg.train_cfg.max_epochs == ours.train_cfg.max_epochs == 1
    assert cfg.custom_hooks == ours.custom_hooks  # EMA, momentum 1e-4
    assert cfg.default_hooks.logger.interval == 1 and cfg.log_processor.window_size == 1


def test_write_jpeg_tree(tmp_path):
    import cv2
    folders = peers.write_jpeg_tree(str(tmp_path), dict(train=6, val=4), bench.DEMO_PHOTO,
                                    classes=('b', 'a'), size=(40, 30))
    assert folders == dict(train=str(tmp_path / 'train'), val=str(tmp_path / 'val'))
    assert sorted(os.listdir(tmp_path)) == ['train', 'val']  # the staging folder is gone
    seen = set()
    for split, count in (('train', 6), ('val', 4)):
        assert sorted(os.listdir(tmp_path / split)) == ['a', 'b']
        files = [tmp_path / split / c / f for c in ('a', 'b')
                 for f in sorted(os.listdir(tmp_path / split / c))]
        assert len(files) == count
        assert len(os.listdir(tmp_path / split / 'a')) == count // 2
        for f in files:
            assert f.suffix == '.JPEG' and cv2.imread(str(f)).shape == (30, 40, 3)
            seen.add(f.read_bytes())
    assert len(seen) == 10  # every image differs
    with pytest.raises(ValueError, match=r'at least one image per class \(2\).*val'):
        peers.write_jpeg_tree(str(tmp_path / 'x'), dict(train=4, val=1), bench.DEMO_PHOTO,
                              classes=('a', 'b'))
    with pytest.raises(ValueError, match='distinct class names'):
        peers.write_jpeg_tree(str(tmp_path / 'y'), dict(train=4), bench.DEMO_PHOTO,
                              classes=('a', 'a'))


def test_checkpoint_handover(tmp_path):
    work = tmp_path / 'work'
    work.mkdir()
    with pytest.raises(ValueError, match='no last_checkpoint file'):
        peers.last_checkpoint(str(work))
    state = {'backbone.stem.0.weight': torch.ones(2), 'head.fc.bias': torch.zeros(3)}
    torch.save(dict(state_dict=state, meta=dict(epoch=1), optimizer={'x': 1}),
               work / 'epoch_1.pth')
    (work / 'last_checkpoint').write_text(str(work / 'epoch_1.pth'))
    src = peers.last_checkpoint(str(work))
    assert src == str(work / 'epoch_1.pth')
    out = peers.state_dict_checkpoint(src, str(tmp_path / 'clean.pth'))
    clean = torch.load(out, weights_only=True)  # loadable the strict way
    assert list(clean) == ['state_dict'] and set(clean['state_dict']) == set(state)
    torch.save([1, 2], tmp_path / 'list.pth')
    with pytest.raises(ValueError, match='expected a training checkpoint with a "state_dict"'):
        peers.state_dict_checkpoint(str(tmp_path / 'list.pth'), str(tmp_path / 'x.pth'))


def test_compare_peers_keeps_top1_and_logs():
    tops = dict(ours=iter([25.0, 25.0]), mmpretrain=iter([25.0, 50.0]))

    def run(cmd, **kwargs):
        return _done(0, _test_log([2.0, 2.0, 0.5, 0.5], top1=next(tops[cmd[0]])))
    logs = {}
    out = peers.compare_peers(dict(ours=['ours'], mmpretrain=['mmpretrain']), rounds=2,
                              batch=8, warmup_iters=2, run=run, parse=peers.parse_test_log,
                              label='test', keep=('top1',), logs=logs)
    assert out['ours']['top1'] == [25.0, 25.0] and out['mmpretrain']['top1'] == [25.0, 50.0]
    assert out['ours']['median'] == pytest.approx(16.0)
    assert 'accuracy/top1: 50.0000' in logs['mmpretrain']


def test_peer_report_lines():
    from benchmarking.report import peer_lines
    row = dict(ours=dict(median=30.0, samples=[29.0, 31.0]),
               mmpretrain=dict(median=20.0, samples=[19.0, 21.0]), ours_over_mmpretrain=1.5)
    test_row = dict(row, top1=peers.top1_check([25.0], [26.0]))
    lines = peer_lines(dict(mmpretrain_version='1.2.0', train_quickstart=row,
                            test_convnext_tiny_224_jpeg=test_row,
                            warnings=[test_row['top1']['warning']]))
    assert lines[0] == ('peers/train_quickstart: ours 30.0 img/s [29.0, 31.0], MMPretrain 1.2.0 '
                        '20.0 img/s [19.0, 21.0]: 1.50x')
    assert lines[2] == ('peers/test_convnext_tiny_224_jpeg: top-1 ours [25.0], MMPretrain '
                        '[26.0]: !!! NOT EQUAL !!!')
    assert lines[3].startswith('peers: WARNING: TOP-1 DIFFERS')
    assert len(lines) == 4


@pytest.mark.parametrize('argv, message', [
    (['--peer-tiny-iters', '4'], '--peer-tiny-iters must be >= 5'),
    (['--peer-tiny-batch', '0'], '--peer-tiny-batch must be >= 1'),
    (['--peer-val-images', '60'], '--peer-val-images must be a multiple of --peer-tiny-batch (8)'),
    (['--peer-val-images', '24'], 'at least 4 batches'),
])
def test_tiny_peer_arguments(argv, message, capsys):
    with pytest.raises(SystemExit):
        bench.parse_args(argv)
    assert message in capsys.readouterr().err


class _FakeRuns:
    """Answers the section's child processes like the four scripts would (logs, checkpoint)."""

    def __init__(self, peer_top1=25.0, peer_keys=None):
        self.calls, self.peer_top1 = [], peer_top1
        self.peer_keys = peer_keys or dict(missing=[], unexpected=[], shape_mismatch=[])

    def __call__(self, cmd, **kwargs):
        self.calls.append(list(cmd))
        if cmd[1].endswith('train.py') or peers._PEER_TRAIN == cmd[2]:
            work = cmd[cmd.index('--work-dir') + 1] if '--work-dir' in cmd else cmd[-1]
            os.makedirs(work, exist_ok=True)
            torch.save(dict(state_dict={'head.fc.weight': torch.ones(4, 768)}, optimizer={}),
                       osp.join(work, 'epoch_1.pth'))
            with open(osp.join(work, 'last_checkpoint'), 'w') as f:
                f.write(osp.join(work, 'epoch_1.pth'))
            return _done(0, _log([1.0, 1.0, 0.5, 0.5]))
        if cmd[1].endswith('test.py'):
            return _done(0, _test_log([1.0] * 4, top1=25.0))
        if peers._PEER_TEST == cmd[2]:
            return _done(0, peers.CHECKPOINT_KEYS_TAG + json.dumps(self.peer_keys) + '\n'
                         + _test_log([2.0] * 4, top1=self.peer_top1))
        raise AssertionError(cmd)


def _section(tmp_path, monkeypatch, fake, extra=()):
    import functools
    monkeypatch.setattr(peers, 'ensure_peer', lambda venv, install: '1.2.0')
    monkeypatch.setattr(peers, 'compare_peers', functools.partial(peers.compare_peers, run=fake))
    args = bench.parse_args(['--sections', 'peers', '--peer-venv', str(tmp_path / 'venv'),
                             '--rounds', '2', '--peer-iters', '30', '--peer-tiny-iters', '5',
                             '--peer-tiny-batch', '2', '--peer-val-images', '8',
                             '--fashion-mnist-src', str(tmp_path / 'none'), *extra])
    tmp = tmp_path / 'tmp'
    tmp.mkdir()
    return bench.bench_peers_section(args, torch.device('cpu'), str(tmp)), str(tmp)


def test_peers_section_runs_the_three_comparisons_in_order(tmp_path, monkeypatch):
    fake = _FakeRuns()
    out, tmp = _section(tmp_path, monkeypatch, fake, ['--peer-logs', str(tmp_path / 'logs')])
    assert sorted(os.listdir(tmp_path / 'logs')) == sorted(
        f'{name}.{side}.log' for side in ('ours', 'mmpretrain') for name in (
            'train_quickstart', 'train_convnext_tiny_224_jpeg', 'test_convnext_tiny_224_jpeg'))
    assert peers.CHECKPOINT_KEYS_TAG in (
        tmp_path / 'logs' / 'test_convnext_tiny_224_jpeg.mmpretrain.log').read_text()
    kinds = [('ours ' if c[0] != str(tmp_path / 'venv' / 'bin' / 'python') else 'peer ')
             + ('test' if 'test.py' in c[1] or peers._PEER_TEST in c else 'train') for c in
             fake.calls]
    assert kinds == ['ours train', 'peer train'] * 4 + ['ours test', 'peer test'] * 2
    assert bench.TINY_CFG in fake.calls[4] and bench.QUICKSTART_CFG in fake.calls[0]
    # both test sides read the one checkpoint made from ours' last ConvNeXt-T training
    ckpt = osp.join(tmp, 'convnext_tiny_state_dict.pth')
    assert fake.calls[8][3] == ckpt and fake.calls[9][-1] == ckpt
    assert list(torch.load(ckpt, weights_only=True)) == ['state_dict']
    # the tree: 2 x 5 train and 8 val JPEGs in the 4 class folders
    tree = osp.join(tmp, 'jpeg_tree')
    assert sum(len(os.listdir(osp.join(tree, 'val', c))) for c in peers.TREE_CLASSES) == 8
    assert sum(len(os.listdir(osp.join(tree, 'train', c))) for c in peers.TREE_CLASSES) == 10
    for name in ('train_quickstart', 'train_convnext_tiny_224_jpeg',
                 'test_convnext_tiny_224_jpeg'):
        row = out[name]
        assert len(row['ours']['samples']) == len(row['mmpretrain']['samples']) == 2
        assert row['ours_over_mmpretrain'] == pytest.approx(
            row['ours']['median'] / row['mmpretrain']['median'], abs=1e-3)
    assert out['test_convnext_tiny_224_jpeg']['ours_over_mmpretrain'] == pytest.approx(2.0)
    assert out['test_convnext_tiny_224_jpeg']['top1'] == dict(
        ours=[25.0, 25.0], mmpretrain=[25.0, 25.0], equal=True)
    assert out['warnings'] == [] and out['mmpretrain_version'] == '1.2.0'


def test_peers_section_flags_unequal_top1_and_key_problems(tmp_path, monkeypatch, capsys):
    fake = _FakeRuns(peer_top1=50.0, peer_keys=dict(missing=['head.fc.bias'], unexpected=[],
                                                    shape_mismatch=[]))
    out, _ = _section(tmp_path, monkeypatch, fake, ['--peer-quickstart-epoch'])
    # the quickstart epoch needs the real Fashion-MNIST: skipped on synthetic images, nothing run
    assert 'needs the real Fashion-MNIST; synthetic' in out['quickstart_epoch']['skipped']
    assert len(fake.calls) == 12
    row = out['test_convnext_tiny_224_jpeg']
    assert row['top1']['equal'] is False
    assert row['mmpretrain_checkpoint_keys']['missing'] == ['head.fc.bias']
    assert len(out['warnings']) == 2
    assert 'key problems' in out['warnings'][0] and 'TOP-1 DIFFERS' in out['warnings'][1]
    printed = capsys.readouterr().out
    assert '!!! NOT EQUAL !!!' in printed and 'peers: WARNING: TOP-1 DIFFERS' in printed


# ------------------------------------------------------------------ quickstart epoch accuracy


def test_quickstart_epoch_configs_agree():
    cmd = peers.our_quickstart_epoch_command('/r', bench.QUICKSTART_CFG, '/w', '/fm',
                                             python='/py')
    assert cmd[:5] == ['/py', '/r/tools/train.py', bench.QUICKSTART_CFG, '--work-dir', '/w']
    assert '--no-validate' not in cmd
    ours = _our_cfg(cmd)
    cfg = Config.fromstring(peers.mmpretrain_quickstart_epoch_config('/fm'), '.py')
    assert ours.train_dataloader.dataset.data_root == ours.val_dataloader.dataset.data_root == '/fm'
    assert cfg.train_dataloader.dataset.data_root == cfg.val_dataloader.dataset.data_root == '/fm'
    assert ours.train_cfg.max_epochs == cfg.train_cfg.max_epochs == 1
    assert cfg.train_cfg.by_epoch and cfg.train_cfg.val_interval == 1
    assert cfg.param_scheduler == ours.param_scheduler
    assert cfg.val_dataloader.dataset.split == ours.val_dataloader.dataset.split == 'test'
    # MMPretrain 1.2's FashionMNIST reads the test files only with test_mode=True
    assert cfg.val_dataloader.dataset.test_mode is True
    assert cfg.train_dataloader.dataset.get('test_mode', False) is False
    assert cfg.val_dataloader.batch_size == ours.val_dataloader.batch_size
    assert cfg.val_evaluator == ours.val_evaluator
    assert [t['type'] for t in cfg.val_dataloader.dataset.pipeline] == ['Resize', 'PackInputs']
    assert cfg.val_dataloader.dataset.pipeline[0] == ours.val_dataloader.dataset.pipeline[1]
    assert cfg.train_dataloader.batch_size == 128 and 'indices' not in cfg.train_dataloader.dataset
    assert cfg.model.head.init_cfg is None and ours.model.head.init_cfg is None
    assert cfg.randomness.seed == ours.randomness.seed == 0


def _epoch_log(top1):
    return (_log([0.05] * 46, total=469)
            + f'12/07 05:01:00 - mmengine - INFO - Epoch(val) [1][40/40]    accuracy/top1: '
              f'{top1:.4f}  accuracy/top5: 99.0000  data_time: 0.0010  time: 0.0100\n')


def test_quickstart_epoch_compares_the_top1():
    assert peers.parse_val_top1(_epoch_log(85.25)) == 85.25
    with pytest.raises(ValueError, match=r'no "Epoch\(val\) ... accuracy/top1'):
        peers.parse_val_top1(_log([0.05] * 5))
    tops = dict(ours=85.3, mmpretrain=84.9)
    out = peers.quickstart_epoch(dict(ours=['ours'], mmpretrain=['mmpretrain']),
                                 run=lambda cmd, **kw: _done(0, _epoch_log(tops[cmd[0]])))
    assert out['ours'] == dict(top1=85.3, img_s=pytest.approx(128 / 0.05))
    assert out['top1_difference'] == pytest.approx(0.4) and out['within_tolerance']
    assert 'warning' not in out
    tops['mmpretrain'] = 83.0
    out = peers.quickstart_epoch(dict(ours=['ours'], mmpretrain=['mmpretrain']),
                                 run=lambda cmd, **kw: _done(0, _epoch_log(tops[cmd[0]])))
    assert not out['within_tolerance'] and 'DIFFERS by +2.30 points' in out['warning']
    from benchmarking.report import peer_lines
    lines = peer_lines(dict(quickstart_epoch=out, warnings=[out['warning']]))
    assert lines[0] == ('peers/quickstart_epoch: top-1 after one epoch ours 85.30 %, MMPretrain '
                        '83.00 %: +2.30 points, !!! MORE THAN !!! 1.0')
    with pytest.raises(RuntimeError, match='the ours quickstart epoch failed'):
        peers.quickstart_epoch(dict(ours=['ours']), run=lambda cmd, **kw: _done(2, '', 'boom'))
