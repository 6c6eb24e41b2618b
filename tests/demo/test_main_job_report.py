"""The main job's report step on a hand-made finished run: metrics, report.png, --report-only."""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.fileio import dump
from PIL import Image

from mmcls_convnext.evaluation.metrics import Accuracy

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / 'tests'))
from made_datasets import make_mnist  # noqa: E402


@pytest.fixture(scope='module')
def main_job():
    spec = importlib.util.spec_from_file_location('main_job', ROOT / 'demo' / 'main_job.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture()
def finished_run(tmp_path):
    """What steps 1-3 leave behind: the idx files (10 training, 50 test images), a scalar log,
    test predictions naming the test images by their index (``sample_idx``), as the in-memory
    FashionMNIST dataset's predictions do."""
    data, work = make_mnist(tmp_path / 'data', train=10, test=50), tmp_path / 'work'
    rng = np.random.default_rng(0)
    results = []
    for index in range(50):
        gt = index % 10  # make_mnist's labels
        score = torch.softmax(torch.as_tensor(rng.normal(0, 1, 10)) + 2 * torch.eye(10)[gt], 0)
        results.append(dict(sample_idx=index, gt_label=torch.tensor([gt]),
                            pred_score=score.float(), pred_label=score.argmax().reshape(1)))
    work.mkdir()
    dump(results, str(work / 'test_predictions.pkl'))
    logs = work / '20261201_090000' / 'vis_data'
    logs.mkdir(parents=True)
    lines = [dict(loss=1.5 - 0.1 * i, lr=1e-3, epoch=1 + i // 4, iter=50 * (i + 1),
                  step=50 * (i + 1)) for i in range(8)]
    lines += [{'accuracy/top1': 70.0 + e, 'accuracy/top5': 99.0, 'step': e} for e in (1, 2)]
    (logs / '20261201_090000.json').write_text(''.join(json.dumps(x) + '\n' for x in lines))
    return dict(data=data, work=work, results=results)


def test_test_metrics_agree_with_the_accuracy_metric(main_job, finished_run):
    metrics = main_job.save_test_metrics(str(finished_run['work']))
    metric = Accuracy(topk=(1, 5))
    metric.process(None, finished_run['results'])
    expected = metric.compute_metrics(metric.results)
    assert metrics['accuracy/top1'] == pytest.approx(float(expected['top1']))
    assert metrics['accuracy/top5'] == pytest.approx(float(expected['top5']))
    saved = json.loads((finished_run['work'] / 'test_metrics.json').read_text())
    assert saved == pytest.approx(metrics)


def test_report_info_and_report_png(main_job, finished_run):
    work, data = str(finished_run['work']), str(finished_run['data'])
    model = torch.nn.Linear(10, 10)  # 110 parameters
    main_job.save_report_info(work, data, 248.0, model)
    info = json.loads((finished_run['work'] / 'report_info.json').read_text())
    assert info['subtitle'].startswith('ConvNeXt with 0.00 M parameters, trained from scratch '
                                       'for 2 epochs on 10 images (32 px) in 4 min 08 s')
    report = main_job.make_report(work, data)
    assert report == str(finished_run['work'] / 'report.png')
    with Image.open(report) as image:
        assert image.size[0] == 16 * 80 and image.size[1] > 800


def test_report_only_redraws_without_training(main_job, finished_run, capsys):
    work, data = finished_run['work'], finished_run['data']
    assert main_job.main(['--report-only', '--work-dir', str(work), '--data-root',
                          str(data)]) == 0
    assert f'report: {work / "report.png"}' in capsys.readouterr().out
    assert (work / 'report.png').stat().st_size > 10_000


def test_report_only_without_a_run_says_what_to_do(main_job, tmp_path):
    with pytest.raises(SystemExit, match='no scalar log under .*; train first'):
        main_job.main(['--report-only', '--work-dir', str(tmp_path), '--data-root',
                       str(tmp_path)])


def test_readme_shows_a_small_report_picture():
    picture = ROOT / 'docs' / 'images' / 'main_job_report.png'
    assert '](docs/images/main_job_report.png)' in (ROOT / 'README.md').read_text()
    with Image.open(picture) as image:
        assert image.format == 'PNG' and image.size[0] == 16 * 80
    assert picture.stat().st_size < 300_000
