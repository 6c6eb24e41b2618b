"""Data and config errors end tools/train.py and tools/test.py with one ERROR line.

Also: labels vs ``num_classes`` and single-class datasets are checked before the first
iteration, ``--debug`` shows the traceback, and Ctrl-C ends with one "interrupted" line.
"""
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from mmcls_convnext.engine.entrypoints import test as test_entry
from mmcls_convnext.engine.entrypoints import train as train_entry
from mmcls_convnext.engine.entrypoints.cli_errors import one_line, run_cli

sys.path.insert(0, str(Path(__file__).parent))
from tiny_run import REPO, make_image_folder, run_tool, train_losses, write_config  # noqa: E402

torch.set_num_threads(1)


def _stderr_lines(capsys):
    return [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def _config(tmp_path, data, **overrides):
    return str(write_config(tmp_path / 'cfg.py', data, **overrides))


@pytest.mark.parametrize('content, reason', [
    (b'', r'the file is empty \(0 bytes\)'),
    (b'\x89PNG\r\n\x1a\n' + b'\x00' * 40, 'corrupt, truncated or not an image'),
    (b'plain text, not an image', 'corrupt, truncated or not an image'),
])
def test_bad_image_file_is_one_line(tmp_path, capsys, content, reason):
    data = make_image_folder(tmp_path / 'data', per_class=2)
    bad = data / 'bee' / 'broken.png'
    bad.write_bytes(content)
    assert train_entry.cli([_config(tmp_path, data), '--work-dir', str(tmp_path / 'w')]) == 1
    last = _stderr_lines(capsys)[-1]
    assert last.startswith(f'ERROR (ImageDecodeError): Cannot decode image "{bad}": ')
    assert re.search(reason, last)


def test_bad_image_in_a_dataloader_worker_is_one_line(tmp_path):
    """torch re-raises a worker's error with the worker's traceback inside the message."""
    data = make_image_folder(tmp_path / 'data', per_class=2)
    bad = data / 'bee' / 'broken.png'
    bad.write_bytes(b'')
    cfg = _config(tmp_path, data, extra="train_dataloader['num_workers'] = 2")
    proc = run_tool('train.py', cfg, '--work-dir', str(tmp_path / 'w'), timeout=180)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f'ERROR (ImageDecodeError): Cannot decode image "{bad}": the file is empty (0 bytes). '
        'Remove or replace the file, or set skip_bad_images=True on the dataset to skip such '
        'files.']


def test_class_folders_without_images_are_one_line(tmp_path, capsys):
    """One empty class folder is a warning (MMPretrain's behaviour); none with an image is an
    error, printed as one line."""
    data = make_image_folder(tmp_path / 'data', per_class=2)
    for image in data.rglob('*.png'):
        image.rename(image.with_suffix('.txt'))
    assert train_entry.cli([_config(tmp_path, data), '--work-dir', str(tmp_path / 'w')]) == 1
    assert _stderr_lines(capsys)[-1] == (
        f'ERROR (NoImagesFoundError): Found no images in the class folders of "{data}". '
        'Supported extensions are: .jpg, .jpeg, .png, .ppm, .bmp, .pgm, .tif, .tiff, .webp. '
        'Add images, or widen `extensions`.')


def test_train_and_val_classes_differ_is_one_line(tmp_path, capsys):
    train = make_image_folder(tmp_path / 'train', per_class=2)
    val = make_image_folder(tmp_path / 'val', per_class=1)
    import shutil
    shutil.rmtree(val / 'bee')
    cfg = str(write_config(tmp_path / 'cfg.py', train, val))
    assert train_entry.cli([cfg, '--work-dir', str(tmp_path / 'w')]) == 1
    assert _stderr_lines(capsys)[-1].startswith(
        "ERROR (DatasetError): The train and val datasets have different classes (3 vs 2): "
        "only in train: ['bee']; only in val: [].")


def test_more_classes_than_the_head_fails_before_the_first_iteration(tmp_path, capsys):
    data = make_image_folder(tmp_path / 'data', per_class=2)
    work_dir = tmp_path / 'w'
    assert train_entry.cli([_config(tmp_path, data), '--work-dir', str(work_dir),
                            '--cfg-options', 'model.head.num_classes=2']) == 1
    assert _stderr_lines(capsys)[-1] == (
        f'ERROR (DatasetError): The train dataset CustomDataset "{data}" has 3 classes '
        "(['ant', 'bee', 'cat']), but the model head predicts num_classes=2: labels 2..2 can "
        'never be right and the loss fails on them. Set model.head.num_classes=3 (e.g. '
        '--cfg-options model.head.num_classes=3), or fix the class folders / annotation file.')
    assert train_losses(work_dir) == {}  # not one iteration ran


def test_single_class_dataset_is_warned_about_loudly(tmp_path, capsys):
    data = make_image_folder(tmp_path / 'data', per_class=2)
    import shutil
    for name in ('bee', 'cat'):
        shutil.rmtree(data / name)
    assert train_entry.cli([_config(tmp_path, data), '--work-dir', str(tmp_path / 'w'),
                            '--cfg-options', 'model.head.num_classes=1']) == 0
    out = capsys.readouterr()
    assert (f'!!! The train dataset CustomDataset "{data}" has a single class (\'ant\'): the '
            'model learns to predict it for every image and reaches 100 % accuracy trivially.'
            in out.out + out.err)


@pytest.mark.parametrize('option, expected', [
    ('model.backbone.arch=tinny', "ERROR (ModelConfigError): Unknown ConvNeXt arch 'tinny'."),
    ('train_dataloader.dataset.pipeline.1.scale=-3',
     'ERROR (DataConfigError): RandomResizedCrop scale must be positive; got -3.'),
])
def test_config_errors_are_one_line(tmp_path, capsys, option, expected):
    data = make_image_folder(tmp_path / 'data', per_class=2)
    assert train_entry.cli([_config(tmp_path, data), '--work-dir', str(tmp_path / 'w'),
                            '--cfg-options', option]) == 1
    lines = _stderr_lines(capsys)
    assert lines[-1].startswith(expected), lines[-1]
    # no traceback of the error (pytest's closed capture streams may add unrelated logging ones)
    kind, message = expected.split(' ', 2)[1][1:-2], expected.split(': ', 1)[1]
    assert not [x for x in lines if x.startswith(f'{kind}: {message}')]


def test_debug_shows_the_traceback(tmp_path):
    data = make_image_folder(tmp_path / 'data', per_class=2)
    (data / 'dog').mkdir()  # an empty 4th class folder: a warning, then the head check fails
    with pytest.raises(ValueError, match=r'has 4 classes .* predicts num_classes=3'):
        train_entry.cli([_config(tmp_path, data), '--work-dir', str(tmp_path / 'w'), '--debug'])


def test_test_tool_data_error_is_one_line(tmp_path, capsys):
    data = make_image_folder(tmp_path / 'data', per_class=1)
    (data / 'ant' / 'empty.png').write_bytes(b'')
    ckpt = tmp_path / 'w.pth'
    torch.save({'state_dict': {}}, ckpt)
    assert test_entry.cli([_config(tmp_path, data), str(ckpt), '--work-dir',
                           str(tmp_path / 't')]) == 1
    assert _stderr_lines(capsys)[-1].startswith('ERROR (CheckpointError): ')  # weights first
    from mmcls_convnext.apis import get_model
    torch.save({'state_dict': get_model(_config(tmp_path, data)).state_dict()}, ckpt)
    assert test_entry.cli([_config(tmp_path, data), str(ckpt), '--work-dir',
                           str(tmp_path / 't')]) == 1
    assert _stderr_lines(capsys)[-1].startswith(
        f'ERROR (ImageDecodeError): Cannot decode image "{data / "ant" / "empty.png"}": the '
        'file is empty (0 bytes).')


def test_errors_inside_the_training_loop_keep_their_traceback():
    def main(argv):
        raise ValueError('a bug, not a config error')

    # raised outside mmengine's loops it counts as a config error ...
    assert one_line(ValueError('bad value')) == ('ValueError', 'bad value')
    # ... but an unexpected error type is re-raised with its traceback
    with pytest.raises(ZeroDivisionError):
        run_cli(lambda argv: 1 // 0, [])
    assert run_cli(main, []) == 1


def test_ctrl_c_while_formatting_the_config_for_a_save(tmp_path, capsys, monkeypatch):
    """mmengine wraps any error of its config formatter (yapf) in SyntaxError + the config."""
    import mmengine.config.config as mmengine_config
    data = make_image_folder(tmp_path / 'data', per_class=2)
    cfg = _config(tmp_path, data)
    from mmcls_convnext.engine.runner import ClsRunner
    real_save = ClsRunner.save_checkpoint

    def save_with_ctrl_c(self, *args, **kwargs):
        def interrupted(*a, **k):
            raise KeyboardInterrupt
        monkeypatch.setattr(mmengine_config, 'FormatCode', interrupted)
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(ClsRunner, 'save_checkpoint', save_with_ctrl_c)
    work_dir = tmp_path / 'w'
    assert train_entry.cli([cfg, '--work-dir', str(work_dir)]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1].startswith(
        f'ERROR (KeyboardInterrupt): interrupted by Ctrl-C (SIGINT) while saving '
        f'{work_dir / "epoch_1.pth"}. Checkpoints are written atomically, so no half-written '
        'file was left')
    assert 'Failed to format' not in err and 'SyntaxError' not in err
    assert not [p for p in os.listdir(work_dir) if p.endswith('.tmp')]


def test_sigint_during_training_with_saves_every_iteration(tmp_path):
    """A real SIGINT wherever it lands (saves dominate this run): one interrupted line."""
    data = make_image_folder(tmp_path / 'data', per_class=4)
    cfg = write_config(tmp_path / 'cfg.py', data, batch_size=2, max_epochs=50, max_keep=1,
                       extra="default_hooks['checkpoint'].update(by_epoch=False, interval=1)")
    work_dir = tmp_path / 'w'
    env = dict(os.environ, OMP_NUM_THREADS='1')
    proc = subprocess.Popen([sys.executable, str(REPO / 'tools' / 'train.py'), str(cfg),
                             '--work-dir', str(work_dir)], cwd=str(REPO), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        while not (work_dir / 'last_checkpoint').exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 130, err[-3000:]
    assert err.strip().splitlines()[-1].startswith('ERROR (KeyboardInterrupt): interrupted by '
                                                   'Ctrl-C')
    assert 'Failed to format' not in err and 'Traceback' not in err
    assert not [p for p in os.listdir(work_dir) if p.endswith('.tmp')]


def test_resume_from_a_weights_only_file_says_use_load_from(tmp_path, capsys):
    data = make_image_folder(tmp_path / 'data', per_class=1)
    weights = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.ones(1)}, 'meta': {}}, weights)
    assert train_entry.cli([_config(tmp_path, data), '--work-dir', str(tmp_path / 'w'),
                            '--resume', str(weights)]) == 1
    assert _stderr_lines(capsys)[-1] == (
        f"ERROR (CheckpointError): Cannot resume from {weights}: it is not a training checkpoint "
        "(no ['message_hub', \"meta['epoch'] / meta['iter']\"]). To start a new run from its "
        'weights use load_from (--cfg-options load_from=PATH) instead of --resume.')


def test_trust_checkpoint_is_gone_with_a_clear_message(tmp_path, capsys):
    data = make_image_folder(tmp_path / 'data', per_class=1)
    cfg = _config(tmp_path, data)
    with pytest.raises(SystemExit):
        train_entry.cli([cfg, '--trust-checkpoint'])
    assert 'error: --trust-checkpoint was removed: checkpoint files are never unpickled with ' \
        'weights_only=False any more.' in capsys.readouterr().err
    assert train_entry.cli([cfg, '--work-dir', str(tmp_path / 'w'), '--cfg-options',
                            'trust_checkpoint=True']) == 1
    assert _stderr_lines(capsys)[-1].startswith(
        'ERROR (ValueError): trust_checkpoint was removed: checkpoint files are never unpickled '
        'with weights_only=False any more.')


def test_topk_above_the_class_count_fails_before_the_first_iteration(tmp_path, capsys):
    """The ImageNet evaluator's topk=(1, 5) kept for a 3-class dataset: refused before training
    (the metric itself could only fail at the first validation, an epoch later)."""
    data = make_image_folder(tmp_path / 'data', per_class=2)
    work_dir = tmp_path / 'w'
    assert train_entry.cli([_config(tmp_path, data), '--work-dir', str(work_dir),
                            '--cfg-options', 'val_evaluator.topk=(1,5)']) == 1
    assert _stderr_lines(capsys)[-1] == (
        'ERROR (MetricInputError): val_evaluator: Accuracy(topk=(1, 5)) asks for top-5 '
        'accuracy, but the model predicts only num_classes=3. Set val_evaluator.topk=(1,) '
        '(e.g. --cfg-options "val_evaluator.topk=(1,)"), or check model.head.num_classes.')
    assert not list(work_dir.glob('*.pth'))  # nothing was trained


def test_metric_num_classes_other_than_the_head_fails_before_the_first_iteration(tmp_path,
                                                                                 capsys):
    data = make_image_folder(tmp_path / 'data', per_class=2)
    work_dir = tmp_path / 'w'
    cfg = _config(tmp_path, data, extra="val_evaluator = dict(type='SingleLabelMetric', "
                  "num_classes=5)")
    assert train_entry.cli([cfg, '--work-dir', str(work_dir)]) == 1
    assert _stderr_lines(capsys)[-1] == (
        'ERROR (MetricInputError): val_evaluator: SingleLabelMetric(num_classes=5), but the '
        'model predicts num_classes=3. Set num_classes=3 in that SingleLabelMetric (or leave it '
        'out: it is taken from the predicted scores), or check model.head.num_classes.')
    assert not list(work_dir.glob('*.pth'))
