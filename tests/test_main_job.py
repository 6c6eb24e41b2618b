"""The main job's helpers: argument checks, finding the checkpoint, the log and a test image.

The full job (training, test) takes minutes; it is run by ``make demo``, and
tools/train.py / tools/test.py have their own smoke tests. Here only the glue is tested.
"""
import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope='module')
def main_job():
    spec = importlib.util.spec_from_file_location('main_job', ROOT / 'demo' / 'main_job.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_quickstart_config_exists(main_job):
    assert (ROOT / main_job.CONFIG).is_file()


def test_epochs_must_be_positive(main_job, capsys):
    with pytest.raises(SystemExit):
        main_job.parse_args(['--epochs', '0'])
    assert '--epochs must be at least 1; got 0' in capsys.readouterr().err
    assert main_job.parse_args(['--epochs', '7']).epochs == 7
    assert main_job.parse_args([]).epochs is None  # the config's own value


def test_missing_idx_folder_says_how_to_install(main_job, tmp_path):
    missing = tmp_path / 'nothing-here'
    with pytest.raises(SystemExit, match='apt-get install -y dataset-fashion-mnist'):
        main_job.main(['--src', str(missing), '--work-dir', str(tmp_path / 'w')])


def test_last_checkpoint_reads_mmengine_marker(main_job, tmp_path):
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_3.pth') + '\n')
    assert main_job.last_checkpoint(str(tmp_path)) == str(tmp_path / 'epoch_3.pth')


def test_last_checkpoint_missing_marker_is_a_clear_error(main_job, tmp_path):
    with pytest.raises(SystemExit, match='last_checkpoint is missing'):
        main_job.last_checkpoint(str(tmp_path))


def test_newest_json_log_picks_the_latest_run(main_job, tmp_path):
    assert main_job.newest_json_log(str(tmp_path)) is None
    for run in ('20261123_230000', '20261124_010000'):
        (tmp_path / run / 'vis_data').mkdir(parents=True)
        (tmp_path / run / 'vis_data' / f'{run}.json').write_text('{}\n')
    (tmp_path / 'not_a_run').mkdir()
    assert main_job.newest_json_log(str(tmp_path)).endswith(
        '20261124_010000/vis_data/20261124_010000.json')


def _idx(array):
    head = bytes([0, 0, 8, array.ndim]) + b''.join(int(d).to_bytes(4, 'big')
                                                   for d in array.shape)
    return head + array.astype('uint8').tobytes()


def test_first_test_image_comes_from_the_idx_test_split(main_job, tmp_path):
    import gzip

    import numpy as np
    images = np.arange(3 * 28 * 28).reshape(3, 28, 28) % 251
    (tmp_path / 't10k-images-idx3-ubyte.gz').write_bytes(gzip.compress(_idx(images)))
    (tmp_path / 't10k-labels-idx1-ubyte').write_bytes(_idx(np.array([8, 0, 1])))  # extracted
    img, true_class = main_job.first_test_image(str(tmp_path))
    np.testing.assert_array_equal(img, images[0])
    assert true_class == 'Bag'  # label 8 of Fashion-MNIST
    # the job stops before training when an idx file is missing, naming it and the install
    with pytest.raises(SystemExit, match=r'train-labels-idx1-ubyte\.gz \(or train-labels-idx1-'
                       r'ubyte\) is missing.*apt-get install -y dataset-fashion-mnist'):
        main_job.check_data_root(str(tmp_path))


def test_subset_must_be_positive(main_job, capsys):
    with pytest.raises(SystemExit):
        main_job.parse_args(['--subset', '0'])
    assert '--subset must be at least 1; got 0' in capsys.readouterr().err
    args = main_job.parse_args(['--src', '/x'])  # the former option name still works
    assert args.data_root == '/x' and args.subset is None


def test_failed_step_names_the_step_and_the_log(main_job, tmp_path):
    log = tmp_path / 'step.log'
    with pytest.raises(SystemExit, match=r'step "boom" failed \(exit code 3\).*step\.log'):
        main_job.run_step('boom', ['python3', '-c', 'import sys; print("oops"); sys.exit(3)'],
                          str(log))
    assert 'oops' in log.read_text()


def test_openmp_threads_sleep_unless_the_machine_is_idle(main_job):
    assert main_job.omp_env({}, load=3.0)['OMP_WAIT_POLICY'] == 'PASSIVE'  # shared: sleep
    assert 'OMP_WAIT_POLICY' not in main_job.omp_env({}, load=0.1)  # idle: spin, then sleep
    assert main_job.omp_env({'OMP_WAIT_POLICY': 'ACTIVE'}, load=3.0)['OMP_WAIT_POLICY'] == (
        'ACTIVE')  # the user's choice wins


def _dump(path, scores, labels):
    import pickle
    records = [dict(pred_score=list(s), gt_label=[g], img_path=f'{i}.png')
               for i, (s, g) in enumerate(zip(scores, labels))]
    with open(path, 'wb') as f:
        pickle.dump(records, f)


def test_test_metrics_keep_the_flip_tta_figure_apart(main_job, tmp_path):
    labels = [0, 1, 2, 1]
    # one view: 2 of 4 right (top-1 50 %; top-5 of 3 classes: 100 %); flip TTA: 3 of 4 right
    _dump(tmp_path / main_job.PREDICTIONS,
          [[.6, .3, .1], [.6, .3, .1], [.1, .3, .6], [.6, .3, .1]], labels)
    assert main_job.save_test_metrics(str(tmp_path)) == {'accuracy/top1': 50.0,
                                                         'accuracy/top5': 100.0}
    _dump(tmp_path / main_job.TTA_PREDICTIONS,
          [[.6, .3, .1], [.3, .6, .1], [.1, .6, .3], [.3, .6, .1]], labels)
    metrics = main_job.save_test_metrics(str(tmp_path))
    assert metrics['accuracy/top1'] == 50.0  # the headline figure stays the single-view one
    assert metrics['accuracy/top1_flip_tta'] == 75.0
    assert (tmp_path / 'test_metrics.json').read_text().count('top1_flip_tta') == 1


def test_busy_cores_reads_the_cpu_time_share_of_the_last_interval(main_job, tmp_path,
                                                                  monkeypatch):
    stat = tmp_path / 'stat'
    # user nice system idle iowait ...: between the samples 30 of 100 jiffies were not idle
    samples = iter(['cpu  100 0 100 700 100 0 0 0 0 0\n', 'cpu  120 0 110 760 110 0 0 0 0 0\n'])
    monkeypatch.setattr(main_job.time, 'sleep', lambda s: stat.write_text(next(samples)))
    stat.write_text(next(samples))
    monkeypatch.setattr(main_job.os, 'cpu_count', lambda: 2)
    assert main_job.busy_cores(0.01, str(stat)) == pytest.approx(0.6)
    monkeypatch.setattr(main_job.os, 'getloadavg', lambda: (1.25, 1.0, 1.0))
    assert main_job.busy_cores(0.01, str(tmp_path / 'missing')) == 1.25  # no /proc: load avg
