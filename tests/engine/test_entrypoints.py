"""tools/train.py / tools/test.py argument handling and one-line user errors (in-process)."""
import sys
from pathlib import Path

import pytest
import torch

from mmcls_convnext.engine.entrypoints import test as test_entry
from mmcls_convnext.engine.entrypoints import train as train_entry

sys.path.insert(0, str(Path(__file__).parent))
from tiny_run import build_runner, make_image_folder, write_config  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture
def cfg(tmp_path):
    return str(write_config(tmp_path / 'tiny.py', make_image_folder(tmp_path / 'data')))


def _error(capsys):
    return capsys.readouterr().err.strip().splitlines()[-1]


def test_train_flags_are_applied(cfg, tmp_path, assume_native_bf16):
    args = train_entry.parse_args([cfg, '--work-dir', str(tmp_path / 'w'), '--resume',
                                   '--no-validate', '--no-pin-memory', '--amp',
                                   '--no-persistent-workers', '--launcher', 'pytorch'])
    config = train_entry.merge_args(train_entry.load_config(cfg, {}), args)
    assert config.resume is True and config.load_from is None
    assert config.val_cfg is None and config.val_dataloader is None
    assert config.train_dataloader.pin_memory is False
    assert config.train_dataloader.persistent_workers is False
    assert config.launcher == 'pytorch' and config.work_dir == str(tmp_path / 'w')
    assert config.optim_wrapper.type == ('AmpOptimWrapper' if torch.cuda.is_available()
                                         else 'CPUAmpOptimWrapper')
    args = train_entry.parse_args([cfg, '--resume', 'some/epoch_3.pth'])
    config = train_entry.merge_args(train_entry.load_config(cfg, {}), args)
    assert config.resume is True and config.load_from == 'some/epoch_3.pth'
    assert config.work_dir == './work_dirs/tiny'


def test_auto_scale_lr_needs_base_batch_size(cfg):
    with pytest.raises(KeyError, match='--auto-scale-lr needs auto_scale_lr=dict'):
        train_entry.main([cfg, '--auto-scale-lr'])


@pytest.mark.skipif(torch.cuda.is_available(), reason='checks the CPU path')
def test_fp16_amp_on_cpu_is_a_clear_error(cfg):
    with pytest.raises(ValueError, match=r"Mixed precision \(--amp / AmpOptimWrapper\) with "
                       "dtype='float16' on a machine without CUDA: fp16 autocast is not "
                       'supported on CPU'):
        train_entry.main([cfg, '--amp', '--cfg-options', 'optim_wrapper.dtype=float16'])


def test_config_typo_via_cli(cfg, tmp_path, capsys):
    bad = Path(cfg).read_text().replace('default_hooks =', 'defualt_hooks =')
    (tmp_path / 'typo.py').write_text(bad)
    assert train_entry.cli([str(tmp_path / 'typo.py')]) == 1
    assert 'did you mean "default_hooks"?' in _error(capsys)
    assert train_entry.cli([cfg, '--cfg-options', 'train_cfg.max_epoch=3']) == 1
    assert 'did you mean "train_cfg.max_epochs"?' in _error(capsys)
    assert not (tmp_path / 'work_dirs').exists()


def test_nan_loss_exits_non_zero_with_message(cfg, tmp_path, capsys):
    code = train_entry.cli([cfg, '--work-dir', str(tmp_path / 'nan'), '--cfg-options',
                            'optim_wrapper.optimizer.lr=1e30'])
    assert code == 1
    assert 'ERROR (NonFiniteLossError): Non-finite loss (loss=nan) at epoch 1, iteration 2' \
        in _error(capsys)
    assert not list((tmp_path / 'nan').glob('*.pth'))


@pytest.mark.parametrize('content, message', [
    (None, 'does not exist'),
    (b'', 'is empty'),
    (b'not a torch file', ''),  # the zoo's wording; path and size are what matter here
])
def test_test_tool_bad_checkpoint(cfg, tmp_path, capsys, content, message):
    ckpt = tmp_path / 'model.pth'
    if content is not None:
        ckpt.write_bytes(content)
    assert test_entry.cli([cfg, str(ckpt), '--work-dir', str(tmp_path / 't')]) == 1
    line = _error(capsys)
    assert line.startswith('ERROR (Checkpoint') and str(ckpt) in line and message in line
    if content:
        assert f'({len(content)} bytes)' in line


def test_resume_garbage_checkpoint(cfg, tmp_path, capsys):
    work_dir = tmp_path / 'w'
    work_dir.mkdir()
    (work_dir / 'epoch_1.pth').write_bytes(b'\x00' * 100)
    (work_dir / 'last_checkpoint').write_text(str(work_dir / 'epoch_1.pth'))
    assert train_entry.cli([cfg, '--work-dir', str(work_dir), '--resume']) == 1
    assert (f'ERROR (CheckpointError): Cannot read checkpoint {work_dir}/epoch_1.pth (100 '
            "bytes): it is not a PyTorch checkpoint (first bytes b'\\x00\\x00\\x00\\x00') "
            '(UnpicklingError: Unsupported operand 0)') in _error(capsys)


def test_test_tool_head_mismatch_is_error(cfg, tmp_path, capsys):
    runner = build_runner(tmp_path, name='five', cfg_options={'model.head.num_classes': 5})
    runner.save_checkpoint(str(tmp_path), 'five.pth', save_optimizer=False,
                           save_param_scheduler=False)
    assert test_entry.cli([cfg, str(tmp_path / 'five.pth'), '--work-dir',
                           str(tmp_path / 't')]) == 1
    line = _error(capsys)
    assert line.startswith(f'ERROR (CheckpointError): Cannot load {tmp_path / "five.pth"} into '
                           'ImageClassifier: head shapes differ (head.fc.weight: checkpoint '
                           '(5, 64) vs model (3, 64)')


def test_show_without_display(cfg, tmp_path, monkeypatch):
    monkeypatch.delenv('DISPLAY', raising=False)
    with pytest.raises(ValueError, match='--show needs a display'):
        test_entry.main([cfg, 'x.pth', '--show'])


def test_tta_show_dir_and_pred_out(tmp_path):
    runner = build_runner(tmp_path)
    runner.train()
    ckpt = tmp_path / 'run' / 'epoch_1.pth'
    out = tmp_path / 'pred.pkl'
    assert test_entry.main([str(tmp_path / 'run.py'), str(ckpt), '--work-dir',
                            str(tmp_path / 't'), '--tta', '--show-dir', 'vis', '--out',
                            str(out)]) == 0
    from mmengine.fileio import load
    preds = load(str(out))
    assert len(preds) == 12
    # a relative --show-dir lands in the test run's own folder <work_dir>/test/<timestamp>/
    assert len(list((tmp_path / 't' / 'test').glob('*/vis/*.png'))) == 12
    # independent TTA reference: mean softmax of the image and its horizontal flip
    model = runner.model.eval()
    sample = runner.val_dataloader.dataset[0]
    batch = model.data_preprocessor(dict(inputs=[sample['inputs']]), False)['inputs']
    with torch.no_grad():
        scores = [model(x).softmax(-1)[0] for x in (batch, batch.flip(-1))]
    first = next(p for p in preds if p['sample_idx'] == 0)
    torch.testing.assert_close(first['pred_score'], (scores[0] + scores[1]) / 2)


def test_load_from_truncated_file(cfg, tmp_path, capsys):
    runner = build_runner(tmp_path, name='src')
    runner.save_checkpoint(str(tmp_path), 'src.pth', save_optimizer=False,
                           save_param_scheduler=False)
    data = (tmp_path / 'src.pth').read_bytes()
    (tmp_path / 'cut.pth').write_bytes(data[:len(data) // 3])
    assert train_entry.cli([cfg, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                            f'load_from={tmp_path / "cut.pth"}']) == 1
    line = _error(capsys)
    assert line.startswith('ERROR (CheckpointError)') and str(tmp_path / 'cut.pth') in line
    assert f'({len(data) // 3} bytes)' in line and 'truncated or corrupt' in line


def test_test_tool_checkpoint_url(tmp_path, monkeypatch):
    import functools
    import hashlib
    import http.server
    import threading
    runner = build_runner(tmp_path)
    runner.train()
    served = tmp_path / 'served'
    served.mkdir()
    ckpt = torch.load(tmp_path / 'run' / 'epoch_1.pth', weights_only=True)
    torch.save(dict(state_dict=ckpt['state_dict'], meta={}), served / 'tmp.pth')
    digest = hashlib.sha256((served / 'tmp.pth').read_bytes()).hexdigest()[:8]
    (served / 'tmp.pth').rename(served / f'tiny-{digest}.pth')
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv('MMCLS_CONVNEXT_HOME', str(tmp_path / 'cache'))
    out = tmp_path / 'metrics.json'
    try:
        url = f'http://127.0.0.1:{server.server_address[1]}/tiny-{digest}.pth'
        assert test_entry.main([str(tmp_path / 'run.py'), url, '--work-dir', str(tmp_path / 't'),
                                '--out', str(out), '--out-item', 'metrics']) == 0
    finally:
        server.shutdown()
    assert len(list((tmp_path / 'cache' / 'checkpoints').glob(f'tiny.url-*-{digest}.pth'))) == 1
    assert 'accuracy/top1' in out.read_text()
