"""The main job (``make demo``): the Fashion-MNIST CPU quickstart from raw files to a prediction.

Steps, each with the project's own tools (nothing is installed here; ``make demo`` makes sure
Debian's ``dataset-fashion-mnist`` package is present). The config's ``FashionMNIST`` dataset
reads the four idx files where Debian installs them (``--data-root``), decoded once in memory:

1. train the quickstart config             tools/train.py
2. evaluate the checkpoint on 10k images   tools/test.py --out test_predictions.pkl
3. the same with flip test-time averaging  tools/test.py --tta (reported apart, labelled)
4. classify one test image                 mmcls_convnext.apis.inference_model
5. write the report                        mmcls_convnext.visualization.report

The report, ``<work-dir>/report.png``, is the page to open first: loss and accuracy curves, the
10x10 confusion matrix and test images with their true and predicted classes, mistakes in red.
``--report-only`` redraws it from a finished run without training again.

Usage: python demo/main_job.py [--epochs N] [--work-dir DIR] [--data-root DIR]
       python demo/main_job.py --report-only [--work-dir DIR] [--data-root DIR]
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
import time
from typing import List, Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/convnext/convnext-quickstart_1xb128_fashion-mnist.py'
DEFAULT_SRC = '/usr/share/datasets/fashion-mnist'
# log lines worth echoing while a tool runs: progress, metrics and errors
ECHO = re.compile(r'Epoch\(|Saving checkpoint|best checkpoint|Error|error:|Traceback'
                  r'|images written|Decoded-image cache|Training precision')
PREDICTIONS = 'test_predictions.pkl'  # tools/test.py --out: per-image scores, labels, paths
TTA_PREDICTIONS = 'test_predictions_flip_tta.pkl'  # tools/test.py --tta --out: the same
REPORT_INFO = 'report_info.json'  # what the report's subtitle says about the run


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=None,
                        help='training epochs (default: the config\'s train_cfg.max_epochs)')
    parser.add_argument('--work-dir', default='work_dirs/quickstart',
                        help='where checkpoints, logs and plots go')
    parser.add_argument('--data-root', '--src', dest='data_root', default=DEFAULT_SRC,
                        help='folder holding the four Fashion-MNIST idx files (.gz or not; '
                        f'default: where Debian installs them, {DEFAULT_SRC})')
    parser.add_argument('--subset', type=int, default=None, metavar='N',
                        help='a quick check: train and test on the first N images of each '
                        'split only (the figures are then not the quickstart\'s)')
    parser.add_argument('--report-only', action='store_true',
                        help='only redraw <work-dir>/report.png from a finished run')
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error(f'--epochs must be at least 1; got {args.epochs}.')
    if args.subset is not None and args.subset < 1:
        parser.error(f'--subset must be at least 1; got {args.subset}.')
    return args


#: busy cores (measured over one second) below which the machine counts as idle
IDLE_LOAD = 0.5


def busy_cores(interval: float = 1.0, stat_path: str = '/proc/stat') -> float:
    """How many cores other processes keep busy right now: the non-idle share of all CPU time
    over ``interval`` seconds times the core count (Linux ``/proc/stat``).

    The 1-minute load average lags: a job that ended a minute ago still counts ~0.7 on it, and
    sleeping threads then cost an idle machine ~40 % of its training speed (404 s instead of
    288 s for the quickstart, measured before the fused-AdamW and small-map speed-ups). Falls
    back to the load average where ``/proc/stat`` is missing.
    """
    def sample():
        with open(stat_path) as f:
            fields = [int(v) for v in f.readline().split()[1:]]
        idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
        return sum(fields), idle

    try:
        total0, idle0 = sample()
        time.sleep(interval)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0]
    elapsed = total1 - total0
    if elapsed <= 0:
        return os.getloadavg()[0]
    return (1.0 - (idle1 - idle0) / elapsed) * (os.cpu_count() or 1)


def omp_env(environ: Optional[dict] = None, load: Optional[float] = None) -> dict:
    """The environment for the tools, with the OpenMP wait policy chosen for this machine.

    PyTorch's OpenMP threads spin for a while between operators unless told to sleep
    (``OMP_WAIT_POLICY=PASSIVE``). On an idle CPU spinning is faster (quickstart training
    step 0.055 s vs 0.067-0.076 s per batch at load 1.2); on a CPU shared with other processes
    a spinning thread burns the time slice its partner needs (each step ~15-38x slower at load
    3-9 on 2 cores). So: PASSIVE unless the machine is idle, and never over the user's choice.
    """
    env = dict(os.environ if environ is None else environ)
    if 'OMP_WAIT_POLICY' not in env:
        load = busy_cores() if load is None else load
        if load >= IDLE_LOAD:
            env['OMP_WAIT_POLICY'] = 'PASSIVE'
    return env


def run_step(title: str, cmd: List[str], log_path: str, env: Optional[dict] = None) -> None:
    """Run one tool, echo its progress lines, keep its full output in ``log_path``."""
    print(f'\n==> {title}\n    $ {" ".join(cmd)}', flush=True)
    start = time.time()
    env = omp_env() if env is None else env
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, bufsize=1, env=env)
        for line in proc.stdout:
            log.write(line)
            if ECHO.search(line):
                print('    ' + line.rstrip()[:160], flush=True)
        code = proc.wait()
    if code != 0:
        with open(log_path) as log:
            tail = log.readlines()[-20:]
        sys.stdout.write(''.join('    | ' + t for t in tail))
        raise SystemExit(f'main job: step "{title}" failed (exit code {code}); full output in '
                         f'{log_path}')
    print(f'    done in {time.time() - start:.1f} s', flush=True)


def last_checkpoint(work_dir: str) -> str:
    """The checkpoint mmengine saved last (named in ``work_dir/last_checkpoint``)."""
    marker = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(marker):
        raise SystemExit(f'main job: training finished but {marker} is missing, so the '
                         'checkpoint cannot be found; see the training log in that folder.')
    with open(marker) as f:
        return f.read().strip()


def newest_json_log(work_dir: str) -> Optional[str]:
    """The scalar log (one JSON dict per line) of the newest run in ``work_dir``."""
    runs = sorted(d for d in os.listdir(work_dir) if re.fullmatch(r'\d{8}_\d{6}', d))
    for run in reversed(runs):
        path = osp.join(work_dir, run, 'vis_data', f'{run}.json')
        if osp.isfile(path):
            return path
    return None


def save_test_metrics(work_dir: str) -> dict:
    """Top-1 / top-5 of ``test_predictions.pkl`` (one view per image) and the top-1 of
    ``test_predictions_flip_tta.pkl`` (image and its mirror image averaged) when it exists,
    also written to ``test_metrics.json``."""
    from mmcls_convnext.visualization.report import read_predictions
    preds = read_predictions(osp.join(work_dir, PREDICTIONS))
    metrics = {'accuracy/top1': preds.topk_accuracy(1), 'accuracy/top5': preds.topk_accuracy(5)}
    tta_file = osp.join(work_dir, TTA_PREDICTIONS)
    if osp.isfile(tta_file):
        metrics['accuracy/top1_flip_tta'] = read_predictions(tta_file).topk_accuracy(1)
    with open(osp.join(work_dir, 'test_metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=1)
    return metrics


#: the idx files of the Fashion-MNIST test split, as published (``.gz``) or extracted
TEST_FILES = ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte')
TRAIN_LABELS = 'train-labels-idx1-ubyte'


def idx_file(data_root: str, name: str) -> str:
    """``data_root/name`` if extracted, else ``data_root/name.gz``; a clear exit if neither."""
    for path in (osp.join(data_root, name), osp.join(data_root, name + '.gz')):
        if osp.isfile(path):
            return path
    raise SystemExit(f'main job: {name}.gz (or {name}) is missing in {data_root}. Install '
                     'the Fashion-MNIST idx files with `apt-get install -y '
                     'dataset-fashion-mnist` (what `make demo` does) or pass --data-root DIR '
                     'holding train-images-idx3-ubyte(.gz) and friends.')


def check_data_root(data_root: str) -> None:
    """Exit with the install command unless the four idx files are in ``data_root``."""
    for name in (TRAIN_LABELS, 'train-images-idx3-ubyte') + TEST_FILES:
        idx_file(data_root, name)


def test_images(data_root: str) -> 'tuple':
    """The 10k test images (N, 28, 28) and labels (N,), read from the idx files."""
    from mmcls_convnext.datasets.utils import read_image_file, read_label_file
    return (read_image_file(idx_file(data_root, TEST_FILES[0])),
            read_label_file(idx_file(data_root, TEST_FILES[1])))


def save_report_info(work_dir: str, data_root: str, train_seconds: float, model,
                     subset: Optional[int] = None) -> None:
    """Write the report's subtitle (model size, data, epochs, training time) to a json file."""
    from mmcls_convnext.datasets.utils import read_label_file
    from mmcls_convnext.engine.summaries import format_duration
    train_images = len(read_label_file(idx_file(data_root, TRAIN_LABELS)))
    if subset is not None:
        train_images = min(train_images, subset)
    epochs = max((r.get('epoch', 0) for r in _records(work_dir)), default=0)
    params = sum(p.numel() for p in model.parameters())
    subtitle = (f'ConvNeXt with {params / 1e6:.2f} M parameters, trained from scratch for '
                f'{epochs} epoch{"s" if epochs != 1 else ""} on {train_images:,} images (32 px) in '
                f'{format_duration(train_seconds)} on this CPU; {osp.basename(CONFIG)}')
    with open(osp.join(work_dir, REPORT_INFO), 'w') as f:
        json.dump(dict(title='Fashion-MNIST quickstart', subtitle=subtitle), f, indent=1)


def _records(work_dir: str) -> List[dict]:
    from mmcls_convnext.engine.analysis import load_log_records
    json_log = newest_json_log(work_dir)
    if json_log is None:
        raise SystemExit(f'main job: no scalar log under {work_dir}/<timestamp>/vis_data/; '
                         'train first (python demo/main_job.py).')
    return load_log_records(json_log)


def make_report(work_dir: str, data_root: str) -> str:
    """Draw ``<work_dir>/report.png`` from the newest run's scalar log, the test predictions
    and the test images of ``data_root``; return its path. Re-run it on a finished run with
    ``python demo/main_job.py --report-only``."""
    from mmcls_convnext.datasets.categories import FASHIONMNIST_CATEGORIES
    from mmcls_convnext.visualization.report import read_predictions, write_report
    records = _records(work_dir)
    info_file = osp.join(work_dir, REPORT_INFO)
    info = dict(title='Fashion-MNIST quickstart', subtitle='')
    if osp.isfile(info_file):
        with open(info_file) as f:
            info.update(json.load(f))
    images, _ = test_images(data_root)
    # the predictions name test images by their index in the test split (sample_idx)
    return write_report(osp.join(work_dir, 'report.png'), records,
                        read_predictions(osp.join(work_dir, PREDICTIONS)),
                        FASHIONMNIST_CATEGORIES, info['title'], info['subtitle'],
                        read_image=lambda index: images[int(index)])


def first_test_image(data_root: str) -> 'tuple':
    """The first test image (28x28 grey array) and its true class name."""
    from mmcls_convnext.datasets.categories import FASHIONMNIST_CATEGORIES
    images, labels = test_images(data_root)
    return images[0], FASHIONMNIST_CATEGORIES[int(labels[0])]


def test_checkpoint(py: str, checkpoint: str, work_dir: str, data_opts: List[str],
                    env: dict, images: str = '10,000') -> dict:
    """Steps 2 and 3: ``tools/test.py`` on the 10k test images, once as trained (the headline
    figure) and once with flip test-time augmentation (``--tta``, reported apart)."""
    run_step(f'2/5 test the checkpoint on the {images} test images',
             [py, 'tools/test.py', CONFIG, checkpoint, '--work-dir', work_dir, '--out',
              osp.join(work_dir, PREDICTIONS), '--cfg-options', *data_opts],
             osp.join(work_dir, 'test.log'), env)
    run_step('3/5 test again, averaging each image with its mirror image (--tta)',
             [py, 'tools/test.py', CONFIG, checkpoint, '--work-dir', work_dir, '--tta', '--out',
              osp.join(work_dir, TTA_PREDICTIONS), '--cfg-options', *data_opts],
             osp.join(work_dir, 'test_flip_tta.log'), env)
    return save_test_metrics(work_dir)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(REPO)
    if args.report_only:
        print(f'report: {make_report(osp.abspath(args.work_dir), args.data_root)}')
        return 0
    check_data_root(args.data_root)
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    py = sys.executable
    t0 = time.time()
    busy = busy_cores()
    env = omp_env(load=busy)
    policy = env.get('OMP_WAIT_POLICY')
    print(f'OpenMP wait policy: {policy or "spin, then sleep (the default)"} ({busy:.2f} cores '
          f'busy over the last second, load average {os.getloadavg()[0]:.2f}; PASSIVE unless '
          f'fewer than {IDLE_LOAD} cores are busy, or set by you)', flush=True)

    data_root = osp.abspath(args.data_root)
    data_opts = [f'{loader}.dataset.data_root={data_root}'
                 for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    if args.subset is not None:
        data_opts += [f'{loader}.dataset.indices={args.subset}'
                      for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    train_opts = list(data_opts)
    if args.epochs is not None:
        train_opts.append(f'train_cfg.max_epochs={args.epochs}')
    load_before = os.getloadavg()[0]
    train_start = time.time()
    run_step('1/5 train the quickstart ConvNeXt',
             [py, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options', *train_opts],
             osp.join(work_dir, 'train.log'), env)
    train_seconds = time.time() - train_start
    load_after = os.getloadavg()[0]
    checkpoint = last_checkpoint(work_dir)
    metrics = test_checkpoint(py, checkpoint, work_dir, data_opts, env,
                              f'first {args.subset:,}' if args.subset else '10,000')

    print('\n==> 4/5 classify one test image with inference_model', flush=True)
    from mmcls_convnext.apis import get_model, inference_model
    model = get_model(CONFIG, pretrained=checkpoint)
    img, true_class = first_test_image(data_root)
    result = inference_model(model, img)
    print(f'    test image 0: predicted {result["pred_class"]!r} ({result["pred_score"]:.3f}), '
          f'true class {true_class!r}', flush=True)

    print('\n==> 5/5 write the report', flush=True)
    save_report_info(work_dir, data_root, train_seconds, model, args.subset)
    report = make_report(work_dir, data_root)

    top1 = metrics['accuracy/top1']
    print('\n' + '=' * 72)
    print(f'Fashion-MNIST test top-1: {top1:.2f} %  (top-5 {metrics["accuracy/top5"]:.2f} %; one '
          'view per image)')
    print(f'  with flip test-time augmentation (image + mirror image averaged, --tta): '
          f'{metrics["accuracy/top1_flip_tta"]:.2f} %')
    print(f'training:   {train_seconds:.1f} s (1-minute load average {load_before:.2f} before, '
          f'{load_after:.2f} after; the CPU is {os.cpu_count()} cores)')
    print(f'report:     {report}   <- open this first')
    print(f'checkpoint: {checkpoint}')
    json_log = newest_json_log(work_dir)
    print(f'logs:       {work_dir}/*.log' + (f', scalars {json_log}' if json_log else ''))
    print(f'total time: {time.time() - t0:.0f} s')
    print('=' * 72)
    return 0


if __name__ == '__main__':
    sys.exit(main())
