"""Plot the learning-rate (and momentum / Adam beta1) schedule of a config without training.

Example::

    python tools/visualization/vis_scheduler.py configs/convnext/convnext-tiny_32xb128_in1k.py \\
        --dataset-size 1281167 --ngpus 32 --save-path work_dirs/lr.png --not-show

MMPretrain's options are accepted with their meaning: ``-p/--parameter lr|momentum|wd`` (the
curve to draw; default: lr, with momentum/beta1 in a second panel), ``-d/--dataset-size``,
``-n/--ngpus``, ``-s/--save-path`` (the picture; default here: ``--out-dir``/<config
stem>_schedule.png, so a picture is always written), ``--not-show`` (no window; a window opens
only when matplotlib has an interactive backend), ``--title``, ``--style`` (seaborn style, when
seaborn is installed), ``--window-size W*H`` (inches), ``--log-level`` and ``--cfg-options``.

The config's optimizer is built on a one-layer dummy model, its ``param_scheduler`` list is
built exactly as the Runner builds it (default ``end``, ``convert_to_iter_based``) and stepped
as ``ParamSchedulerHook`` steps it: iteration-based schedulers after every iteration,
epoch-based ones after every epoch. The curve is the *base* learning rate: parameter-group
multipliers (``paramwise_cfg``, layer-wise lr decay) scale it per group.
"""
import argparse
import copy
import math
import os
import os.path as osp
import warnings
from typing import Dict, List, Optional

import torch.nn as nn
from mmengine.config import Config, DictAction
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

from mmcls_convnext.config import load_config_file
from mmcls_convnext.registry import DATASETS, PARAM_SCHEDULERS, SCOPE

IMAGENET_TRAIN_SIZE = 1281167


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Plot the lr/momentum schedule of a config.')
    parser.add_argument('config', help='config file')
    parser.add_argument('-p', '--parameter', choices=('lr', 'momentum', 'wd'), default=None,
                        help='the parameter to draw: lr, momentum or wd (weight decay) '
                        '(default: lr, and momentum / beta1 in a second panel)')
    parser.add_argument('-d', '--dataset-size', type=int, default=None,
                        help='training images per epoch (default: build the training dataset '
                        f'and count; ImageNet-1k has {IMAGENET_TRAIN_SIZE})')
    parser.add_argument('-n', '--ngpus', type=int, default=1,
                        help='number of processes: iterations per epoch = '
                        'ceil(dataset size / (batch size x ngpus)) (default: 1)')
    parser.add_argument('--out-dir', default='.',
                        help='folder for <config stem>_schedule.png (default: .)')
    parser.add_argument('-s', '--save-path', default=None,
                        help='the picture to write (default: --out-dir/<config stem>_schedule.png)')
    parser.add_argument('--not-show', action='store_true',
                        help='do not open a window (none opens without an interactive '
                        'matplotlib backend anyway)')
    parser.add_argument('--title', default=None, help='plot title (default: the config name)')
    parser.add_argument('--style', default='whitegrid',
                        help='seaborn style of the figure (used when seaborn is installed)')
    parser.add_argument('--window-size', default=None,
                        help='figure size "W*H" in inches (default: 8 x 3.2 per panel)')
    parser.add_argument('--log-level', default='WARNING',
                        help='level of the log lines while the schedule is built')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config keys, e.g. train_cfg.max_epochs=10')
    return parser.parse_args(argv)


def _dataset_size(cfg: Config, given: Optional[int]) -> int:
    if given is not None:
        if given < 1:
            raise ValueError(f'--dataset-size must be >= 1; got {given}.')
        return given
    dataset_cfg = cfg.get('train_dataloader', {}).get('dataset')
    if dataset_cfg is None:
        raise ValueError(f'{cfg.filename} has no train_dataloader.dataset; pass --dataset-size N.')
    try:
        import mmcls_convnext.datasets  # noqa: F401 - registers the dataset classes
        with DefaultScope.overwrite_default_scope(SCOPE):
            return len(DATASETS.build(copy.deepcopy(dataset_cfg)))
    except Exception as err:  # noqa: BLE001 - any failure means: no data here
        raise ValueError(
            f'Could not build the training dataset of {cfg.filename} to count its images '
            f'({type(err).__name__}: {err}). Pass --dataset-size N instead (ImageNet-1k: '
            f'--dataset-size {IMAGENET_TRAIN_SIZE}).') from err


def _train_length(cfg: Config, epoch_length: int) -> Dict[str, int]:
    train_cfg = cfg.get('train_cfg')
    if not train_cfg:
        raise ValueError(f'{cfg.filename} has no train_cfg; it needs max_epochs or max_iters.')
    by_epoch = train_cfg.get('by_epoch', 'max_epochs' in train_cfg)
    if by_epoch:
        if 'max_epochs' not in train_cfg:
            raise ValueError(f'train_cfg={dict(train_cfg)} is epoch-based but has no max_epochs.')
        return dict(by_epoch=True, max_epochs=int(train_cfg['max_epochs']),
                    total_iters=int(train_cfg['max_epochs']) * epoch_length)
    if 'max_iters' not in train_cfg:
        raise ValueError(f'train_cfg={dict(train_cfg)} is iteration-based but has no max_iters.')
    return dict(by_epoch=False, max_epochs=0, total_iters=int(train_cfg['max_iters']))


def simulate_schedule(cfg: Config, dataset_size: Optional[int] = None,
                      ngpus: int = 1) -> Dict[str, object]:
    """Step the config's schedulers and record the lr and momentum of every iteration.

    Returns:
        ``dict(lr=[...], momentum=[...] or None, epoch_length=int, by_epoch=bool)``; entry ``i``
        is the value used by training iteration ``i``.
    """
    if ngpus < 1:
        raise ValueError(f'--ngpus must be >= 1; got {ngpus}.')
    if 'optim_wrapper' not in cfg or 'param_scheduler' not in cfg:
        raise ValueError(f'{cfg.filename} needs optim_wrapper and param_scheduler to plot a '
                         'schedule.')
    batch_size = cfg.get('train_dataloader', {}).get('batch_size')
    if not batch_size:
        raise ValueError(f'{cfg.filename} has no train_dataloader.batch_size.')
    size = _dataset_size(cfg, dataset_size)
    epoch_length = math.ceil(size / (batch_size * ngpus))
    length = _train_length(cfg, epoch_length)

    wrapper_cfg = copy.deepcopy(dict(cfg.optim_wrapper))
    # only the base lr/momentum matter here: plain wrapper, default constructor, no group rules
    wrapper_cfg.pop('constructor', None)
    wrapper_cfg.pop('paramwise_cfg', None)
    wrapper_cfg['type'] = 'OptimWrapper'
    wrapper_cfg.pop('dtype', None)
    wrapper_cfg.pop('loss_scale', None)
    with DefaultScope.overwrite_default_scope(SCOPE):
        wrapper = build_optim_wrapper(nn.Linear(1, 1), wrapper_cfg)
        schedulers = []
        cfgs = cfg.param_scheduler
        for sched_cfg in (cfgs if isinstance(cfgs, (list, tuple)) else [cfgs]):
            sched_cfg = copy.deepcopy(dict(sched_cfg))
            default_end = (length['max_epochs'] if sched_cfg.get('by_epoch', True)
                           else length['total_iters'])
            sched_cfg.setdefault('end', default_end)
            schedulers.append(PARAM_SCHEDULERS.build(
                sched_cfg, default_args=dict(optimizer=wrapper, epoch_length=epoch_length)))

    has_momentum = bool(wrapper.get_momentum().get('momentum'))
    lrs: List[float] = []
    momenta: List[float] = []
    decays: List[float] = []
    with warnings.catch_warnings():
        # no optimizer.step() happens here: the scheduler's "step order" warning does not apply
        warnings.filterwarnings('ignore', message='Detected call of `scheduler.step')
        _step_all(schedulers, wrapper, length, epoch_length, lrs,
                  momenta if has_momentum else None, decays)
    return dict(lr=lrs, momentum=momenta if has_momentum else None, wd=decays,
                epoch_length=epoch_length, by_epoch=length['by_epoch'],
                dataset_size=size, batch_size=batch_size)


def _step_all(schedulers, wrapper, length, epoch_length, lrs, momenta, decays) -> None:
    for it in range(length['total_iters']):
        lrs.append(wrapper.get_lr()['lr'][0])
        decays.append(float(wrapper.param_groups[0].get('weight_decay', 0.0)))
        if momenta is not None:
            momenta.append(wrapper.get_momentum()['momentum'][0])
        for sched in schedulers:  # ParamSchedulerHook.after_train_iter
            if not sched.by_epoch:
                sched.step()
        if length['by_epoch'] and (it + 1) % epoch_length == 0:  # after_train_epoch
            for sched in schedulers:
                if sched.by_epoch:
                    sched.step()


PARAMETER_NAMES = {'lr': 'Learning Rate', 'momentum': 'Momentum', 'wd': 'Weight Decay'}


def plot_schedule(schedule: Dict[str, object], out_file: str, title: str,
                  parameter: Optional[str] = None, figsize=None, style: Optional[str] = None,
                  show: bool = False) -> str:
    """Draw the lr (and momentum) curves against iterations (epochs on the top axis);
    ``parameter`` ('lr', 'momentum' or 'wd') draws that curve alone."""
    import matplotlib
    if not show:
        matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    if style:
        try:
            import seaborn as sns
            sns.set_style(style)
        except ImportError:
            pass

    if parameter is None:
        panels = [('learning rate', schedule['lr'])]
        if schedule['momentum'] is not None:
            panels.append(('momentum / beta1', schedule['momentum']))
    elif parameter == 'momentum' and schedule['momentum'] is None:
        raise ValueError('-p momentum: the optimizer of this config has no momentum or betas.')
    else:
        panels = [(PARAMETER_NAMES[parameter], schedule[parameter])]
    fig, axes = plt.subplots(len(panels), 1, figsize=figsize or (8, 3.2 * len(panels)),
                             squeeze=False)
    epoch_length = schedule['epoch_length']
    for ax, (label, values) in zip(axes[:, 0], panels):
        ax.plot(range(len(values)), values, linewidth=1.5)
        ax.set_xlabel('iteration')
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
        if schedule['by_epoch']:
            top = ax.secondary_xaxis('top', functions=(lambda x: x / epoch_length,
                                                       lambda e: e * epoch_length))
            top.set_xlabel('epoch')
    axes[0, 0].set_title(title)
    fig.tight_layout()
    os.makedirs(osp.dirname(osp.abspath(out_file)), exist_ok=True)
    fig.savefig(out_file, dpi=100)
    if show:
        plt.show()
    plt.close(fig)
    return out_file


def _can_show() -> bool:
    """True when matplotlib's backend can open a window (never under MPLBACKEND=Agg)."""
    import matplotlib
    try:  # matplotlib >= 3.9
        from matplotlib.backends import BackendFilter, backend_registry
        names = backend_registry.list_builtin(BackendFilter.INTERACTIVE)
    except ImportError:
        from matplotlib.rcsetup import interactive_bk as names
    return matplotlib.get_backend().lower() in {n.lower() for n in names}


def main(argv: Optional[List[str]] = None) -> Dict[str, object]:
    args = parse_args(argv)
    if not osp.isfile(args.config):
        raise FileNotFoundError(f'Config file {args.config} does not exist.')
    # read only: the schedule keys matter, the rest of the config may be a sketch (no checks)
    cfg = load_config_file(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel(args.log_level)
    figsize = None
    if args.window_size:
        from mmcls_convnext.visualization.curves import parse_window_size
        figsize = parse_window_size(args.window_size)
    schedule = simulate_schedule(cfg, args.dataset_size, args.ngpus)
    print(f'Dataset infos:\n - Dataset size: {schedule["dataset_size"]}\n'
          f' - Batch size per GPU: {schedule["batch_size"]}\n - Number of GPUs: {args.ngpus}\n'
          f' - Total batch size: {schedule["batch_size"] * args.ngpus}\n'
          f' - Iterations per epoch: {schedule["epoch_length"]}')
    stem = osp.splitext(osp.basename(args.config))[0]
    out_file = args.save_path or osp.join(args.out_dir, f'{stem}_schedule.png')
    show = not args.not_show and _can_show()
    out_file = plot_schedule(schedule, out_file, args.title or stem, args.parameter, figsize,
                             args.style, show)
    lrs = schedule['lr']
    print(f'{len(lrs)} iterations ({schedule["epoch_length"]} per epoch): lr starts at '
          f'{lrs[0]:.3g}, peaks at {max(lrs):.3g}, ends at {lrs[-1]:.3g}.')
    print(f'The {PARAMETER_NAMES[args.parameter or "lr"]} graph is saved at {out_file}')
    return dict(schedule, out_file=out_file)


if __name__ == '__main__':
    main()
