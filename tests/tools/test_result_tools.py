"""eval_metric / analyze_results / verify_dataset as users run them, on a real tools/test.py run.

The seed config (shrunk by ``shrink_options``) is tested with a checkpoint made here whose head
bias favours class 0, so the 12 val images split into right (class 0) and wrong ones, each
with its own confidence.
"""
import os
import pickle
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config, DictAction
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tool_runs import (  # noqa: E402
    REPO,
    cfg_args,
    make_tiny_imagenet,
    ok,
    run_tool,
    shrink_options,
)

SEED_CONFIG = REPO / 'configs' / 'convnext' / 'convnext-tiny_32xb128_in1k.py'
EVAL_METRIC = 'analysis_tools/eval_metric.py'


def _checkpoint(options, path: Path) -> Path:
    """Random weights of the shrunk seed model, the head biased towards class 0."""
    from mmcls_convnext.registry import MODELS
    from mmcls_convnext.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(str(SEED_CONFIG))
    cfg.merge_from_dict({k: DictAction._parse_iterable(v)
                         for k, v in (o.split('=', 1) for o in options)})
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    state = model.state_dict()
    state['head.fc.bias'][0] = 3.0
    torch.save({'state_dict': state, 'meta': {}}, path)
    return path


@pytest.fixture(scope='module')
def test_run(tmp_path_factory):
    """(options, results.pkl, the test run's own metrics from its log) of one tools/test.py."""
    root = tmp_path_factory.mktemp('results_tools')
    data = make_tiny_imagenet(root / 'data', train_per_class=1, val_per_class=3)
    options = shrink_options(data, batch_size=4) + ['test_evaluator.topk=(1,2)']
    ckpt = _checkpoint(options, root / 'biased.pth')
    out = root / 'results.pkl'
    proc = ok(run_tool('test.py', str(SEED_CONFIG), str(ckpt), '--work-dir', str(root / 'w'),
                       '--out', str(out), *cfg_args(options)))
    logged = dict(re.findall(r'(accuracy/top\d): ([\d.]+)', proc.stdout + proc.stderr))
    return options, out, logged


def _records(path: Path):
    with open(path, 'rb') as f:  # the test's own file: plain pickle is fine here
        return pickle.load(f)


def test_eval_metric_equals_the_test_run(test_run):
    _, out, logged = test_run
    records = _records(out)
    assert len(records) == 12 and set(records[0]) >= {'pred_score', 'gt_label', 'img_path'}
    right = [int(r['pred_score'].argmax()) == int(r['gt_label'][0]) for r in records]
    assert 0 < sum(right) < len(right)
    proc = ok(run_tool(EVAL_METRIC, str(out), '--metric', 'type=Accuracy', 'topk=1,2',
                       '--metric', 'type=ConfusionMatrix'))
    printed = dict(re.findall(r'^(accuracy/top\d): ([\d.]+)$', proc.stdout, re.M))
    assert printed == logged and set(printed) == {'accuracy/top1', 'accuracy/top2'}
    assert float(printed['accuracy/top1']) == pytest.approx(100 * sum(right) / 12, abs=1e-4)
    assert 'Metrics of 12 predictions' in proc.stdout
    assert 'confusion_matrix/result:' in proc.stdout


def test_eval_metric_single_label_metric_against_numpy_counts(test_run):
    """Macro precision / recall over every class of the scores (absent classes count as 0)."""
    records = _records(test_run[1])
    scores = np.stack([np.asarray(r['pred_score'], dtype=np.float64) for r in records])
    pred, target = scores.argmax(1), np.array([int(r['gt_label'][0]) for r in records])
    num_classes = scores.shape[1]
    counts = np.zeros((num_classes, num_classes))  # [ground truth, prediction]
    np.add.at(counts, (target, pred), 1)
    tp = np.diag(counts)
    precision = np.divide(tp, counts.sum(0), out=np.zeros(num_classes), where=counts.sum(0) > 0)
    recall = np.divide(tp, counts.sum(1), out=np.zeros(num_classes), where=counts.sum(1) > 0)
    proc = ok(run_tool(EVAL_METRIC, str(test_run[1]), '--metric', 'type=SingleLabelMetric',
                       'items=precision,recall'))
    printed = dict(re.findall(r'^(single-label/\S+): ([\d.]+)$', proc.stdout, re.M))
    assert set(printed) == {'single-label/precision', 'single-label/recall'}
    assert float(printed['single-label/precision']) == pytest.approx(100 * precision.mean(),
                                                                     abs=1e-4)
    assert float(printed['single-label/recall']) == pytest.approx(100 * recall.mean(), abs=1e-4)


def test_eval_metric_unknown_type_is_one_error_line(test_run):
    proc = run_tool(EVAL_METRIC, str(test_run[1]), '--metric', 'type=Acuracy')
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "ERROR (ConfigCompatError): --metric type='Acuracy' is not a metric registered in "
        "mmcls_convnext or mmengine; did you mean 'Accuracy'?")


def test_analyze_results_picks_by_confidence(test_run, tmp_path):
    options, out, _ = test_run
    proc = ok(run_tool('analysis_tools/analyze_results.py', str(SEED_CONFIG), str(out),
                       '--out-dir', str(tmp_path), '--topk', '4', *cfg_args(options)))
    records = _records(out)
    expected = {'success': [], 'fail': []}
    for r in records:  # independent ranking: top-1 score of each image
        score, pred = r['pred_score'].max(0)
        folder = 'success' if int(pred) == int(r['gt_label'][0]) else 'fail'
        expected[folder].append((-float(score), Path(r['img_path']).stem))
    for folder, items in expected.items():
        chosen = [stem for _, stem in sorted(items)[:4]]
        names = sorted(os.listdir(tmp_path / folder))
        assert names == [f'{rank}_{stem}.png' for rank, stem in enumerate(chosen, start=1)]
        with Image.open(tmp_path / folder / names[0]) as image:
            assert min(image.size) >= 224  # the 48x40 image enlarged, a caption band above
    n_right = len(expected['success'])
    assert f'12 predictions, {n_right} correct and {12 - n_right} wrong' in proc.stdout


def test_verify_dataset_lists_the_broken_files(tmp_path):
    data = make_tiny_imagenet(tmp_path / 'data', train_per_class=2, val_per_class=1)
    train = sorted((data / 'train').rglob('*.JPEG'))
    cut, fake = train[1], train[4]
    cut.write_bytes(cut.read_bytes()[:300])
    fake.write_text('not an image at all')
    log = tmp_path / 'broken.log'
    proc = run_tool('misc/verify_dataset.py', str(SEED_CONFIG), '--out-path', str(log),
                    '--num-process', '2', *cfg_args(shrink_options(data)))
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert log.read_text().splitlines() == [str(cut), str(fake)]  # MMPretrain: paths only
    for path in (cut, fake):  # MMPretrain's line, then the reason
        assert re.search(f'^{re.escape(str(path))} cannot be read correctly, please check it.\n'
                         '    ImageDecodeError: Cannot decode image', proc.stdout, re.M)
    assert f'2 broken files found, name list save in file:{log}' in proc.stdout
    proc = ok(run_tool('misc/verify_dataset.py', str(SEED_CONFIG), '--out-path', str(log),
                       '--phase', 'val', *cfg_args(shrink_options(data))))
    assert log.read_text() == '' and 'There is no broken file found.' in proc.stdout
    assert 'All 4 images load' in proc.stdout


def test_verify_dataset_reports_a_non_utf8_file_name(tmp_path):
    """Issue 20, finding 5: a file name that is not UTF-8 crashed the report with
    UnicodeEncodeError before it was written."""
    for cls in ('a', 'b'):
        (tmp_path / 'data' / cls).mkdir(parents=True)
        Image.new('RGB', (8, 8)).save(tmp_path / 'data' / cls / 'ok.png')
    odd = os.path.join(os.fsencode(tmp_path / 'data' / 'a'), b'caf\xe9.png')  # Latin-1 name
    with open(odd, 'wb') as f:
        f.write(b'not an image at all')
    config = tmp_path / 'folders.py'
    config.write_text(f"train_dataloader = dict(dataset=dict(type='CustomDataset', "
                      f"data_root={str(tmp_path / 'data')!r}, "
                      "pipeline=[dict(type='LoadImageFromFile')]))\n")
    log = tmp_path / 'broken.log'
    proc = run_tool('misc/verify_dataset.py', str(config), '--out-path', str(log))
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    assert log.read_bytes().splitlines() == [odd]  # the real name, byte for byte
    assert 'caf\\xe9.png cannot be read correctly, please check it.' in proc.stdout
    assert 'ImageDecodeError' in proc.stdout
    assert '1 broken files found' in proc.stdout
