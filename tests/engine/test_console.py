"""What a person sees: a short console before training, summary blocks after train and test.

The end-to-end tests run the shipped Fashion-MNIST quickstart config through tools/train.py and
tools/test.py (subprocesses, as users run them) on 20 synthetic 28 px grey images, written as
the idx files the config's FashionMNIST dataset reads.
"""
import gzip
import io
import logging
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from mmcls_convnext.engine.console import BriefConsoleFilter, console_mode, install_console_filter
from mmcls_convnext.engine.summaries import format_block, format_duration

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tiny_run import run_tool  # noqa: E402

CONFIG = 'configs/convnext/convnext-quickstart_1xb128_fashion-mnist.py'
ENV_MESSAGE = ('\n' + '-' * 60 + '\nSystem environment:\n    sys.platform: linux\n    Python: '
               '3.11.7 (main)\n    CUDA available: False\n    PyTorch: 2.14.1\n    PyTorch '
               'compiling details: lots\n    MMEngine: 0.10.7\n\nRuntime environment:\n    '
               'seed: 0\n' + '-' * 60 + '\n')


def _logger(tmp_path, name):
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    console = io.StringIO()
    logger.addHandler(logging.StreamHandler(console))
    logger.addHandler(logging.FileHandler(tmp_path / f'{name}.log'))
    return logger, console


def test_brief_console_keeps_the_file_complete(tmp_path):
    logger, console = _logger(tmp_path, 'console_brief')
    install_console_filter(logger, 'brief')
    install_console_filter(logger, 'brief')  # twice: still one filter
    logger.info(ENV_MESSAGE)
    logger.info('Config:\nmodel = dict()\n' + 'x = 1\n' * 300)
    logger.info('Hooks will be executed in the following order:\nbefore_run:\n...')
    for i in range(87):
        logger.info(f'paramwise_options -- backbone.p{i}:weight_decay=0.0')
    logger.warning('"FileClient" will be deprecated in future. Please use io functions')
    logger.info('Epoch(train) [1][50/469]  loss: 2.0')
    shown = console.getvalue().splitlines()
    log_file = str(tmp_path / 'console_brief.log')
    assert shown == [
        'Environment: Python 3.11.7, PyTorch 2.14.1, MMEngine 0.10.7, seed 0, no CUDA (CPU)',
        f"Full environment, config and hook order: {log_file} (log_console='full' prints "
        'them here)',
        'Epoch(train) [1][50/469]  loss: 2.0']
    written = Path(log_file).read_text()
    for text in ('System environment:', 'compiling details', 'Config:\nmodel', 'x = 1',
                 'Hooks will be executed', 'backbone.p86:weight_decay', '"FileClient"'):
        assert text in written
    handler = logger.handlers[0]
    hidden = [f for f in handler.filters if isinstance(f, BriefConsoleFilter)]
    assert len(hidden) == 1 and hidden[0].hidden['paramwise_options'] == 87
    assert not logger.handlers[1].filters  # the file handler is untouched


def test_full_console_prints_everything(tmp_path):
    logger, console = _logger(tmp_path, 'console_full')
    install_console_filter(logger, 'brief')
    install_console_filter(logger, 'full')  # switching back removes the filter
    logger.info(ENV_MESSAGE)
    logger.info('paramwise_options -- a:weight_decay=0.0')
    assert 'System environment:' in console.getvalue() and 'paramwise' in console.getvalue()


def test_console_mode_is_checked():
    assert console_mode({}) == 'brief' and console_mode({'log_console': 'full'}) == 'full'
    with pytest.raises(ValueError, match="log_console must be one of \\('brief', 'full'\\); "
                       "got 'short'"):
        console_mode({'log_console': 'short'})


def test_block_and_duration_formats():
    assert [format_duration(s) for s in (8.44, 248, 3725)] == ['8.4 s', '4 min 08 s',
                                                               '1 h 02 min']
    block = format_block('done', [('a', '1'), ('longer', '2')]).splitlines()
    assert block[1].startswith('=') and ' done ' in block[1] and block[-1] == '=' * 72
    assert block[2:4] == ['a       1', 'longer  2']


def _idx(array: np.ndarray) -> bytes:
    """An idx file (the MNIST format): 0, 0, type 0x08 (uint8), the dims, the big-endian sizes."""
    head = bytes([0, 0, 8, array.ndim]) + b''.join(int(d).to_bytes(4, 'big')
                                                   for d in array.shape)
    return head + array.astype(np.uint8).tobytes()


def _fashion_like(root: Path) -> Path:
    """The four Fashion-MNIST idx files (.gz, as published) of 10 classes x 2 grey 28 px images
    per split."""
    rng = np.random.default_rng(0)
    root.mkdir(parents=True)
    labels = np.repeat(np.arange(10), 2)
    for prefix in ('train', 't10k'):
        imgs = np.clip(rng.normal(20 * labels[:, None, None], 30, (20, 28, 28)), 0, 255)
        (root / f'{prefix}-images-idx3-ubyte.gz').write_bytes(gzip.compress(_idx(imgs)))
        (root / f'{prefix}-labels-idx1-ubyte.gz').write_bytes(gzip.compress(_idx(labels)))
    return root


def _loader_options(data: Path):
    return [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader',
                                               'test_dataloader')
            for key in (f'dataset.data_root={data}', 'batch_size=4', 'num_workers=0',
                        'persistent_workers=False')]


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp('console')
    data = _fashion_like(root / 'data')
    work_dir = root / 'work'
    proc = run_tool('train.py', CONFIG, '--work-dir', str(work_dir), '--cfg-options',
                    'train_cfg.max_epochs=2', 'default_hooks.logger.interval=1',
                    *_loader_options(data), timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return dict(root=root, data=data, work_dir=work_dir, out=proc.stdout + proc.stderr)


def test_train_console_is_short_and_names_the_log_file(trained):
    lines = trained['out'].splitlines()
    first = next(i for i, line in enumerate(lines) if 'Epoch(train)' in line)
    assert first <= 40, '\n'.join(lines[:first])
    head = '\n'.join(lines[:first])
    for hidden in ('System environment:', 'Config:', 'Hooks will be executed',
                   'paramwise_options'):
        assert hidden not in head
    log_file = re.search(r'Full environment, config and hook order: (\S+\.log)', head).group(1)
    written = Path(log_file).read_text()
    for kept in ('System environment:', 'Config:', 'Hooks will be executed',
                 'paramwise_options -- backbone'):
        assert kept in written  # the quickstart's paramwise_cfg logs one line per parameter


def test_train_summary_names_best_and_latest_checkpoints_and_curves(trained):
    out, work_dir = trained['out'], trained['work_dir']
    block = out[out.index('training finished: 2 epochs, 10 iterations in'):]
    best = re.search(r'best accuracy/top1\s+(\d+\.\d\d) at epoch (\d) \(accuracy/top5 '
                     r'(\d+\.\d\d)\)', block)
    assert best, block
    path = re.search(r'best checkpoint\s+(\S+)', block).group(1)
    assert path == str(work_dir / f'best_accuracy_top1_epoch_{best.group(2)}.pth')
    assert Path(path).is_file()
    assert re.search(r'latest checkpoint\s+' + re.escape(str(work_dir / 'epoch_2.pth')), block)
    curves = Path(re.search(r'curves\s+(\S+)', block).group(1))
    with Image.open(curves) as image:
        assert image.format == 'PNG' and image.size[0] >= 1000
    assert re.search(r'\nlog\s+' + re.escape(str(curves.parent)), block)


def test_test_summary_and_show_dir_pictures_are_readable(trained):
    work_dir, root = trained['work_dir'], trained['root']
    out = root / 'preds.pkl'
    proc = run_tool('test.py', CONFIG, str(work_dir / 'epoch_2.pth'), '--work-dir',
                    str(root / 'test'), '--show-dir', 'vis', '--out', str(out), '--cfg-options',
                    *_loader_options(trained['data']), timeout=300)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    block = text[text.index('testing finished in'):]
    assert re.search(r'accuracy/top1\s+\d+\.\d\d\n', block)
    assert re.search(r'images\s+20\n', block)
    assert f'{out} (per-image predictions)' in block
    pictures = re.search(r'pictures\s+(\S+) \(20 files\)', block).group(1)
    files = sorted(Path(pictures).glob('*.png'))
    assert len(files) == 20
    with Image.open(files[0]) as image:
        # 28 px input: enlarged x8 (nearest) to 224 px, the label band on top
        assert image.size[0] == 224 and image.size[1] > 224
        pixels = np.asarray(image.convert('RGB'))
    band = pixels[:image.size[1] - 224]
    assert ((band == (27, 94, 32)).all(-1) | (band == (160, 20, 20)).all(-1)).mean() > 0.5


def test_train_summary_without_validation(tmp_path):
    from tiny_run import build_runner

    from mmcls_convnext.engine.summaries import train_summary
    runner = build_runner(tmp_path, cfg_options=dict(val_cfg=None, val_dataloader=None,
                                                     val_evaluator=None))
    runner.train()
    block = train_summary(runner, 3.5)
    assert 'training finished: 1 epoch, 3 iterations in 3.5 s' in block
    assert re.search(r'validation\s+none \(no val_dataloader, or --no-validate\)', block)
    assert re.search(r'latest checkpoint\s+' + re.escape(str(tmp_path / 'run' / 'epoch_1.pth')),
                     block)
    assert 'best ' not in block and 'curves' not in block
