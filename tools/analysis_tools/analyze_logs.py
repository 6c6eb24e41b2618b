"""Plot training curves or compute iteration time from mmengine json logs.

Usage:
  python tools/analysis_tools/analyze_logs.py plot_curve LOG [LOG ...] \
      [--keys loss lr accuracy/top1] [--legend A B] [--title T] [--out curves.png]
  python tools/analysis_tools/analyze_logs.py cal_train_time LOG [LOG ...]
LOG is a ``vis_data/scalars.json`` file or a training work_dir (all its runs, resumes included).
"""
import argparse
import sys

from mmcls_convnext.engine.analysis import load_log_records, plot_curves, train_time_stats
from mmcls_convnext.engine.entrypoints.common import run_cli


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description='Analyse training logs')
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves to a PNG')
    plot.add_argument('logs', nargs='+', help='json log files or work_dirs')
    plot.add_argument('--keys', nargs='+', default=['loss', 'lr', 'accuracy/top1'])
    plot.add_argument('--legend', nargs='+', help='one name per log (default: the paths)')
    plot.add_argument('--title')
    plot.add_argument('--out', default='curves.png', help='output PNG')
    timing = sub.add_parser('cal_train_time', help='seconds per iteration')
    timing.add_argument('logs', nargs='+', help='json log files or work_dirs')
    args = parser.parse_args(argv)

    if args.task == 'plot_curve':
        legends = args.legend or args.logs
        if len(legends) != len(args.logs):
            raise ValueError(f'--legend has {len(legends)} names for {len(args.logs)} logs.')
        logs = {name: load_log_records(path) for name, path in zip(legends, args.logs)}
        print(f'Saved {plot_curves(logs, args.keys, args.out, args.title)}')
    else:
        for path in args.logs:
            stats = train_time_stats(load_log_records(path))
            print(f'{path}: {stats["iters"]} iterations, {stats["mean"]:.4f} s/iter on average '
                  f'(slowest {stats["max"]:.4f}, fastest {stats["min"]:.4f}, '
                  f'std {stats["std"]:.4f})')
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
