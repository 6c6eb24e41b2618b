"""The main job (``make demo``): the Fashion-MNIST CPU quickstart from raw files to a prediction.

Steps, each with the project's own tools (nothing is installed here; ``make demo`` makes sure
Debian's ``dataset-fashion-mnist`` package is present):

1. export the idx files to class folders   tools/dataset_converters/fashion_mnist.py
2. train the quickstart config             tools/train.py
3. evaluate the checkpoint on 10k images   tools/test.py
4. classify one test image                 mmcls_convnext.apis.inference_model
5. plot the loss / accuracy curves         tools/analysis_tools/analyze_logs.py

Usage: python demo/main_job.py [--epochs N] [--work-dir DIR] [--data-root DIR] [--src DIR]
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


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--epochs', type=int, default=None,
                        help='training epochs (default: the config, 3)')
    parser.add_argument('--work-dir', default='work_dirs/quickstart',
                        help='where checkpoints, logs and plots go')
    parser.add_argument('--data-root', default='data/fashion_mnist',
                        help='where the exported class folders go')
    parser.add_argument('--src', default=DEFAULT_SRC,
                        help='folder holding the four Fashion-MNIST idx files (.gz or not)')
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 1:
        parser.error(f'--epochs must be at least 1; got {args.epochs}.')
    return args


#: 1-minute load average below which the machine counts as idle (nothing else is running)
IDLE_LOAD = 0.5


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
        load = os.getloadavg()[0] if load is None else load
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


def first_test_image(data_root: str) -> 'tuple[str, str]':
    """The first image listed in ``meta/val.txt`` and its true class name."""
    with open(osp.join(data_root, 'meta', 'val.txt')) as f:
        rel = f.readline().split()[0]
    return osp.join(data_root, 'val', rel), rel.split('/')[0]


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    os.chdir(REPO)
    if not osp.isdir(args.src):
        raise SystemExit(f'main job: no Fashion-MNIST idx files in {args.src}. Install them with '
                         '`apt-get install -y dataset-fashion-mnist` (what `make demo` does) or '
                         'pass --src DIR holding train-images-idx3-ubyte(.gz) and friends.')
    work_dir = osp.abspath(args.work_dir)
    os.makedirs(work_dir, exist_ok=True)
    py = sys.executable
    t0 = time.time()
    env = omp_env()
    policy = env.get('OMP_WAIT_POLICY')
    print(f'OpenMP wait policy: {policy or "spin, then sleep (the default)"} (load average '
          f'{os.getloadavg()[0]:.2f}; PASSIVE unless below {IDLE_LOAD} or set by you)',
          flush=True)

    run_step('1/5 export Fashion-MNIST to class folders',
             [py, 'tools/dataset_converters/fashion_mnist.py', args.data_root, '--src', args.src,
              '--size', '32'], osp.join(work_dir, 'export.log'), env)

    data_opts = [f'{loader}.dataset.data_root={args.data_root}'
                 for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    train_opts = list(data_opts)
    if args.epochs is not None:
        train_opts.append(f'train_cfg.max_epochs={args.epochs}')
    run_step('2/5 train the quickstart ConvNeXt',
             [py, 'tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options', *train_opts],
             osp.join(work_dir, 'train.log'), env)
    checkpoint = last_checkpoint(work_dir)

    metrics_file = osp.join(work_dir, 'test_metrics.json')
    run_step('3/5 test the checkpoint on the 10,000 test images',
             [py, 'tools/test.py', CONFIG, checkpoint, '--work-dir', work_dir, '--out',
              metrics_file, '--out-item', 'metrics', '--cfg-options', *data_opts],
             osp.join(work_dir, 'test.log'), env)
    with open(metrics_file) as f:
        metrics = json.load(f)

    print('\n==> 4/5 classify one test image with inference_model', flush=True)
    from mmcls_convnext.apis import get_model, inference_model
    model = get_model(CONFIG, pretrained=checkpoint)
    img, true_class = first_test_image(args.data_root)
    result = inference_model(model, img)
    print(f'    {img}: predicted {result["pred_class"]!r} ({result["pred_score"]:.3f}), '
          f'true class {true_class!r}', flush=True)

    plots = []
    json_log = newest_json_log(work_dir)
    plot_tool = 'tools/analysis_tools/analyze_logs.py'
    if json_log and osp.isfile(plot_tool):
        for key, name in (('loss', 'loss'), ('accuracy/top1', 'accuracy')):
            out = osp.join(work_dir, f'{name}.png')
            run_step(f'5/5 plot {key}', [py, plot_tool, 'plot_curve', json_log, '--keys', key,
                                        '--out', out], osp.join(work_dir, f'plot_{name}.log'))
            plots.append(out)
    else:
        print(f'\n==> 5/5 plots skipped: {plot_tool} or the JSON log is missing', flush=True)

    top1 = metrics['accuracy/top1']
    print('\n' + '=' * 72)
    print(f'Fashion-MNIST test top-1: {top1:.2f} %  (top-5 {metrics["accuracy/top5"]:.2f} %)')
    print(f'checkpoint: {checkpoint}')
    print(f'logs:       {work_dir}/*.log' + (f', scalars {json_log}' if json_log else ''))
    if plots:
        print('plots:      ' + ', '.join(plots))
    print(f'total time: {time.time() - t0:.0f} s')
    print('=' * 72)
    return 0


if __name__ == '__main__':
    sys.exit(main())
