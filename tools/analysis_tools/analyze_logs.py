"""Plot training curves or compute iteration time from mmengine json logs (MMPretrain's flags).

Usage:
  python tools/analysis_tools/analyze_logs.py plot_curve LOG [LOG ...] \
      [--keys loss accuracy/top1] [--legend NAME ...] [--title T] [--style whitegrid] \
      [--window-size 12*7] [--smooth N] [--backend BACKEND] [--out curves.png]
  python tools/analysis_tools/analyze_logs.py cal_train_time LOG [LOG ...] [--include-outliers]
LOG is a ``vis_data/scalars.json`` file or a training work_dir (all its runs, resumes included).
Without ``--out`` the figure opens in a window when there is a display, else it is saved to
``curves.png``.
"""
import argparse
import sys

from mmcls_convnext.engine.entrypoints.common import run_cli
from mmcls_convnext.visualization.logs import load_log_records, train_time_stats, unique_run_names


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Analyse training logs')
    sub = parser.add_subparsers(dest='task', required=True)
    plot = sub.add_parser('plot_curve', help='plot curves of several logs and keys')
    plot.add_argument('json_logs', nargs='+', help='json log files or work_dirs')
    plot.add_argument('--keys', nargs='+', default=['loss'],
                      help='record keys to plot (default: loss), e.g. loss lr accuracy/top1')
    plot.add_argument('--legend', nargs='+', default=None,
                      help='one name per log, or one per log x key (default: run name + key)')
    plot.add_argument('--title', help='figure title (default: the run names)')
    plot.add_argument('--style', default='whitegrid',
                      help='seaborn style name (whitegrid, darkgrid, white, dark, ticks) or a '
                      'matplotlib style sheet (default: whitegrid)')
    plot.add_argument('--window-size', default=None,
                      help='figure size "W*H" in inches (default: 6 x 4.2 per panel)')
    plot.add_argument('--smooth', type=int, default=1,
                      help='moving average over N logged points for training keys (default 1)')
    plot.add_argument('--backend', default=None, help='matplotlib backend to show the figure')
    plot.add_argument('--out', default=None, help='output image (.png, .jpg, .pdf, .svg)')
    timing = sub.add_parser('cal_train_time', help='seconds per iteration')
    timing.add_argument('json_logs', nargs='+', help='json log files or work_dirs')
    timing.add_argument('--include-outliers', action='store_true',
                        help='keep the first logged iteration of every epoch in the average')
    return parser.parse_args(argv)


def _interactive_backends() -> set:
    try:  # matplotlib >= 3.9
        from matplotlib.backends import BackendFilter, backend_registry
        names = backend_registry.list_builtin(BackendFilter.INTERACTIVE)
    except ImportError:
        from matplotlib.rcsetup import interactive_bk as names
    return {name.lower() for name in names}


def _can_show(backend) -> bool:
    """Switch to ``backend`` if given; True when the backend in use can open a window."""
    import matplotlib
    import matplotlib.pyplot as plt
    if backend is not None:
        plt.switch_backend(backend)
    return matplotlib.get_backend().lower() in _interactive_backends()


def plot_curve(args: argparse.Namespace) -> None:
    from mmcls_convnext.visualization.curves import parse_window_size, plot_curves
    names = unique_run_names(args.json_logs)
    logs = {name: load_log_records(path) for name, path in zip(names, args.json_logs)}
    for path in args.json_logs:  # MMPretrain's lines: which log, which key
        for key in args.keys:
            print(f'plot curve of {path}, metric is {key}')
    size = parse_window_size(args.window_size) if args.window_size else None
    options = dict(title=args.title, legend=args.legend, style=args.style, figsize=size,
                   smooth_window=args.smooth)
    out = args.out
    if out is None and _can_show(args.backend):
        import matplotlib.pyplot as plt
        plot_curves(logs, args.keys, figure=plt.figure(), **options)
        plt.show()
        return
    if out is None:
        out = 'curves.png'
        print('No --out and no display to show the figure on: saving it instead.')
    plot_curves(logs, args.keys, **options).savefig(out, dpi=100)
    print(f'save curve to: {out}')


def cal_train_time(args: argparse.Namespace) -> None:
    for path in args.json_logs:
        stats = train_time_stats(load_log_records(path), args.include_outliers)
        print(f'-----Analyze train time of {path}-----')
        if 'slowest_epoch' in stats:
            # MMPretrain's lines, word for word (seconds per iteration)
            print(f'slowest epoch {stats["slowest_epoch"]}, average time is '
                  f'{stats["slowest_epoch_time"]:.4f}')
            print(f'fastest epoch {stats["fastest_epoch"]}, average time is '
                  f'{stats["fastest_epoch_time"]:.4f}')
            print(f'time std over epochs is {stats["epoch_std"]:.4f}')
        print(f'average iter time: {stats["mean"]:.4f} s/iter')
        print(f'({stats["iters"]} logged iterations; slowest {stats["max"]:.4f}, fastest '
              f'{stats["min"]:.4f}, std {stats["std"]:.4f} s/iter)')
        print()


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.task == 'plot_curve':
        plot_curve(args)
    else:
        cal_train_time(args)
    return 0


if __name__ == '__main__':
    sys.exit(run_cli(main))
