"""Training curves worth keeping: several runs and keys on one figure, short legends, epoch ticks.

Keys that share a prefix (``accuracy/top1``, ``accuracy/top5``) share a panel; every other key
gets its own. In by-epoch runs the x axis is the epoch for every key (training records sit at
fractional epochs, validation records at the end of their epoch) with whole-number ticks.
Legends name the run and the key (``quickstart: loss``) and sit under their panel, never over
a curve.
"""
import math
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mmcls_convnext.suggestions import close_matches

from .logs import Curve, curve

#: seaborn's style names (MMPretrain's ``--style``), drawn with matplotlib's copies of them
SEABORN_STYLES = ('darkgrid', 'whitegrid', 'dark', 'white', 'ticks')


def resolve_style(style: str) -> str:
    """A matplotlib style sheet for ``style``: a seaborn name (``whitegrid``) or any sheet name.

    Raises:
        ValueError: unknown style, with the closest names.
    """
    import matplotlib.style
    if style in SEABORN_STYLES:
        return f'seaborn-v0_8-{style}'
    if style in matplotlib.style.available or style == 'default':
        return style
    choices = sorted(set(SEABORN_STYLES) | set(matplotlib.style.available))
    close = close_matches(style, choices, n=3)
    hint = f' Did you mean {", ".join(close)}?' if close else ''
    raise ValueError(f'Unknown plot style "{style}".{hint} Choose one of {choices}.')


def parse_window_size(text: str) -> Tuple[float, float]:
    """``'12*7'`` -> ``(12.0, 7.0)``: a figure size in inches (MMPretrain's ``--window-size``)."""
    parts = str(text).lower().replace('x', '*').split('*')
    try:
        width, height = (float(p) for p in parts)
    except ValueError:
        width = height = -1.0
    if width <= 0 or height <= 0:
        raise ValueError(f'--window-size must be "W*H" in inches, e.g. "12*7"; got "{text}".')
    return width, height


def smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average over ``window`` points (shorter at the start); same length."""
    if window <= 1 or values.size == 0:
        return values
    sums = np.cumsum(np.insert(values.astype(float), 0, 0.0))
    idx = np.arange(1, values.size + 1)
    start = np.maximum(idx - window, 0)
    return (sums[idx] - sums[start]) / (idx - start)


def group_keys(keys: Sequence[str]) -> List[List[str]]:
    """Panels: keys with the same ``prefix/`` together, in first-seen order."""
    panels: Dict[str, List[str]] = {}
    for key in keys:
        panels.setdefault(key.split('/')[0] if '/' in key else key, []).append(key)
    return list(panels.values())


def legend_labels(runs: Sequence[str], keys: Sequence[str],
                  legend: Optional[Sequence[str]] = None) -> Dict[Tuple[str, str], str]:
    """``{(run, key): label}``; ``legend`` has one name per run or one per run x key.

    Labels default to ``'<run>: <key>'``. With one name per run the key is appended the same
    way; with one per run x key they are used as given, run-major (run 1's keys first), as in
    MMPretrain.
    """
    pairs = [(run, key) for run in runs for key in keys]
    if legend is None:
        return {(r, k): f'{r}: {k}' for r, k in pairs}
    legend = list(legend)
    if len(legend) == len(pairs):
        return dict(zip(pairs, legend))
    if len(legend) == len(runs):
        names = dict(zip(runs, legend))
        return {(r, k): f'{names[r]}: {k}' for r, k in pairs}
    raise ValueError(f'--legend has {len(legend)} names; give one per log ({len(runs)}) or '
                     f'one per log and key ({len(runs)} x {len(keys)} = {len(pairs)}).')


def _x_axis(curves: List[Curve]) -> str:
    if all(c.epoch is not None for c in curves):
        return 'epoch'
    if all(c.iteration is not None for c in curves):
        return 'iteration'
    raise ValueError('Cannot put these logs on one x axis: some are iteration-based and the '
                     'epoch length of the others is unknown. Plot them separately.')


_LINESTYLES = ('-', '--', ':', '-.')
_MARKERS = ('o', 's', '^', 'D')


def _draw_panel(ax, curves: Dict[Tuple[str, str], Curve], labels: Dict[Tuple[str, str], str],
                runs: List[str], window: int, annotate_last: bool = False,
                legend_loc: Optional[str] = 'below') -> None:
    """One panel: a colour per run (the same in every panel), a line style per key."""
    axis = _x_axis(list(curves.values()))
    panel_keys = list(dict.fromkeys(key for _, key in curves))
    palette = [f'C{i % 10}' for i in range(len(runs))]
    for (run, key), c in curves.items():
        x = c.epoch if axis == 'epoch' else c.iteration
        k = panel_keys.index(key)
        style = dict(color=palette[runs.index(run)], linestyle=_LINESTYLES[k % 4])
        label = labels[(run, key)]
        if c.phase == 'val' or x.size < 30:
            ax.plot(x, c.y, marker=_MARKERS[k % 4], markersize=4, label=label, **style)
        elif window > 1:
            ax.plot(x, c.y, alpha=0.25, linewidth=1, **style)
            ax.plot(x, smooth(c.y, window), linewidth=1.8,
                    label=f'{label} (mean of {window})', **style)
        else:
            ax.plot(x, c.y, linewidth=1.2, label=label, **style)
        if annotate_last and x.size:
            ax.annotate(f'{c.y[-1]:.2f}', (x[-1], c.y[-1]), xytext=(-4, 6),
                        textcoords='offset points', ha='right', fontsize='small',
                        color=style['color'])
    keys = sorted({key for _, key in curves})
    ax.set_xlabel(axis)
    ax.set_ylabel(keys[0] if len(keys) == 1 else keys[0].split('/')[0])
    if axis == 'epoch':
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlim(left=0)
    if legend_loc == 'below':  # under the panel: never over a curve
        ax.legend(loc='upper center', bbox_to_anchor=(0.5, -0.18), ncol=min(2, len(curves)),
                  fontsize='small', frameon=False)
    elif legend_loc is not None:
        ax.legend(loc=legend_loc, fontsize='small')


def _curves(logs: Dict[str, List[dict]], keys: Sequence[str]) -> Dict[Tuple[str, str], Curve]:
    if not keys:
        raise ValueError('Give at least one key to plot, e.g. --keys loss accuracy/top1.')
    found = {}
    for run, records in logs.items():
        for key in keys:
            try:
                found[(run, key)] = curve(records, key)
            except KeyError as exc:
                raise KeyError(f'{run}: {exc.args[0]}') from None
    return found


def draw_curves(ax, logs: Dict[str, List[dict]], keys: Sequence[str],
                legend: Optional[Sequence[str]] = None, smooth_window: int = 1,
                annotate_last: bool = False, legend_loc: Optional[str] = 'below') -> None:
    """Draw ``keys`` of every log into one matplotlib axes (a panel of :func:`plot_curves`).

    Args:
        ax: the axes.
        logs, keys, legend, smooth_window: as for :func:`plot_curves`.
        annotate_last: write the last value of each curve next to its end point.
        legend_loc: ``'below'`` the axes, a matplotlib ``loc`` inside it, or None (no legend).
    """
    _draw_panel(ax, _curves(logs, keys), legend_labels(list(logs), keys, legend), list(logs),
                smooth_window, annotate_last, legend_loc)


def plot_curves(logs: Dict[str, List[dict]],
                keys: Sequence[str],
                title: Optional[str] = None,
                legend: Optional[Sequence[str]] = None,
                style: str = 'whitegrid',
                figsize: Optional[Tuple[float, float]] = None,
                smooth_window: int = 1,
                figure: Optional[Figure] = None) -> Figure:
    """Draw ``keys`` of every log: one panel per key group, one line per log x key.

    Args:
        logs: ``{run name: records}`` (records from
            :func:`~mmcls_convnext.visualization.logs.load_log_records`).
        keys: record keys, e.g. ``['loss', 'accuracy/top1']``.
        title: figure title; default: the run names.
        legend: one name per run, or one per run x key (see :func:`legend_labels`).
        style: a seaborn style name (``whitegrid``) or a matplotlib style sheet.
        figsize: ``(width, height)`` in inches; default 6 x 4.2 per panel, 3 panels a row.
        smooth_window: draw training curves of many points as a moving average over this
            many logged points, over the raw curve drawn faintly (1: no smoothing).
        figure: draw into this (empty) figure, e.g. one from ``pyplot.figure()`` to show it.

    Returns:
        The matplotlib ``Figure`` (save it with ``fig.savefig(path)``).

    Raises:
        KeyError: a key no record of a log holds (the message names the log and its keys).
    """
    import matplotlib.style
    if not isinstance(smooth_window, int) or smooth_window < 1:
        raise ValueError(f'smooth window must be an int >= 1; got {smooth_window!r}.')
    curves = _curves(logs, keys)
    labels = legend_labels(list(logs), keys, legend)
    panels = group_keys(keys)
    cols = min(3, len(panels))
    rows = math.ceil(len(panels) / cols)
    with matplotlib.style.context(resolve_style(style)):
        if figure is None:
            figure = Figure()
            FigureCanvasAgg(figure)  # a canvas that renders to pixels (savefig, text extents)
        fig = figure
        fig.set_size_inches(*(figsize or (6.0 * cols, 4.2 * rows + 0.4)))
        fig.set_layout_engine('constrained')
        for index, panel in enumerate(panels):
            ax = fig.add_subplot(rows, cols, index + 1)
            _draw_panel(ax, {(r, k): c for (r, k), c in curves.items() if k in panel}, labels,
                        list(logs), smooth_window)
        fig.suptitle(title or ' vs '.join(logs), fontweight='bold')
    return fig
