"""Training curves and log reading on hand-written scalar logs: legends, ticks, layout, timing."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from mmcls_convnext.visualization.curves import (
    legend_labels,
    parse_window_size,
    plot_curves,
    resolve_style,
    smooth,
)
from mmcls_convnext.visualization.logs import (
    curve,
    iters_per_epoch,
    load_log_records,
    run_name,
    train_time_stats,
    unique_run_names,
)

REPO = Path(__file__).resolve().parents[2]


def write_run(root: Path, name: str, epochs: int = 3, per_epoch: int = 469, interval: int = 50,
              stamp: str = '20261201_090000', times=None) -> Path:
    """``root/name/<stamp>/vis_data/scalars.json`` as mmengine writes it for a by-epoch run.

    LoggerHook(ignore_last=True) logs every ``interval`` iterations of each epoch, not the
    epoch's last iteration; validation records have ``step`` = epoch.
    """
    folder = root / name / stamp / 'vis_data'
    folder.mkdir(parents=True)
    lines, it = [], 0
    for epoch in range(1, epochs + 1):
        for inner in range(interval, per_epoch + 1, interval):
            it = (epoch - 1) * per_epoch + inner
            time = times[epoch - 1][len([x for x in lines if x.get('epoch') == epoch])] \
                if times else 0.1
            lines.append(dict(lr=1e-3, loss=2.0 / (1 + it / 100), time=time, data_time=0.01,
                              epoch=epoch, iter=it, step=it))
        lines.append({'accuracy/top1': 60.0 + 10 * epoch, 'accuracy/top5': 95.0 + epoch,
                      'time': 0.05, 'data_time': 0.02, 'step': epoch})
    (folder / 'scalars.json').write_text(''.join(json.dumps(x) + '\n' for x in lines))
    return root / name


def _texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_run_names_are_the_work_dir_names(tmp_path):
    work_dir = write_run(tmp_path, 'quickstart')
    scalars = next(work_dir.glob('*/vis_data/scalars.json'))
    assert run_name(str(work_dir)) == run_name(str(scalars)) == 'quickstart'
    assert run_name(str(tmp_path / 'my_log.json')) == 'my_log'
    assert unique_run_names([str(work_dir), str(scalars), str(tmp_path / 'b')]) == [
        'quickstart #1', 'quickstart #2', 'b']


def test_iters_per_epoch_from_logs_that_skip_the_last_iteration(tmp_path):
    records = load_log_records(str(write_run(tmp_path, 'r')))
    assert iters_per_epoch(records) == 469
    loss = curve(records, 'loss')
    assert loss.phase == 'train' and loss.epoch[0] == pytest.approx(50 / 469)
    top1 = curve(records, 'accuracy/top1')
    assert top1.phase == 'val' and top1.epoch.tolist() == [1, 2, 3]
    assert top1.iteration.tolist() == [469, 938, 1407]
    assert curve(records, 'time').phase == 'train'  # in both kinds: the training one


def test_short_legends_integer_epoch_ticks_and_title(tmp_path):
    runs = {name: load_log_records(str(write_run(tmp_path, name, epochs=epochs)))
            for name, epochs in (('baseline', 3), ('longer', 5))}
    fig = plot_curves(runs, ['loss', 'accuracy/top1', 'accuracy/top5'])
    fig.canvas.draw()
    loss_ax, acc_ax = fig.axes  # accuracy/top1 and /top5 share a panel
    assert _texts(loss_ax) == ['baseline: loss', 'longer: loss']
    assert _texts(acc_ax) == ['baseline: accuracy/top1', 'baseline: accuracy/top5',
                              'longer: accuracy/top1', 'longer: accuracy/top5']
    assert fig._suptitle.get_text() == 'baseline vs longer'
    for ax in fig.axes:
        assert ax.get_xlabel() == 'epoch'
        labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
        assert labels and all(label.isdigit() for label in labels), labels
    # one colour per run in every panel
    colors = {line.get_label(): line.get_color() for ax in fig.axes for line in ax.lines}
    assert colors['baseline: loss'] == colors['baseline: accuracy/top1']
    assert colors['baseline: loss'] != colors['longer: loss']


def test_nothing_is_clipped_and_legends_stay_off_the_curves(tmp_path):
    runs = {'a_rather_long_run_name': load_log_records(str(write_run(tmp_path, 'a')))}
    fig = plot_curves(runs, ['loss', 'lr', 'accuracy/top1'], title='A title')
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    # everything drawn (titles, labels, tick labels in view, legends) lies inside the figure
    drawn, page = fig.get_tightbbox(renderer), fig.bbox_inches
    assert (drawn.x0 >= page.x0 and drawn.y0 >= page.y0 and drawn.x1 <= page.x1
            and drawn.y1 <= page.y1), (drawn, page)
    texts = [fig._suptitle] + [t for ax in fig.axes for t in ax.get_legend().get_texts()]
    for text in texts:
        extent = text.get_window_extent(renderer)
        assert fig.bbox.x0 <= extent.x0 and extent.x1 <= fig.bbox.x1, text.get_text()
        assert fig.bbox.y0 <= extent.y0 and extent.y1 <= fig.bbox.y1, text.get_text()
    for ax in fig.axes:
        legend = ax.get_legend().get_window_extent(renderer)
        assert legend.y1 <= ax.get_window_extent(renderer).y0  # under the panel


def test_legend_names_per_log_or_per_log_and_key():
    assert legend_labels(['a', 'b'], ['loss', 'lr'], ['base', 'new']) == {
        ('a', 'loss'): 'base: loss', ('a', 'lr'): 'base: lr', ('b', 'loss'): 'new: loss',
        ('b', 'lr'): 'new: lr'}
    assert legend_labels(['a'], ['loss', 'lr'], ['L', 'R']) == {
        ('a', 'loss'): 'L', ('a', 'lr'): 'R'}  # run-major, as MMPretrain
    with pytest.raises(ValueError, match=r'--legend has 3 names; give one per log \(2\) or '
                       r'one per log and key \(2 x 2 = 4\)'):
        legend_labels(['a', 'b'], ['loss', 'lr'], ['x', 'y', 'z'])


def test_smoothing_is_a_trailing_moving_average(tmp_path):
    values = np.array([1., 3., 5., 7., 9.])
    assert smooth(values, 2).tolist() == [1., 2., 4., 6., 8.]
    assert smooth(values, 1) is values
    runs = {'r': load_log_records(str(write_run(tmp_path, 'r', epochs=4, interval=10)))}
    fig = plot_curves(runs, ['loss'], smooth_window=5)
    raw, smoothed = fig.axes[0].lines
    y = raw.get_ydata()
    expected = [np.mean(y[max(0, i - 4):i + 1]) for i in range(len(y))]
    np.testing.assert_allclose(smoothed.get_ydata(), expected)
    assert smoothed.get_label() == 'r: loss (mean of 5)' and raw.get_alpha() == 0.25


def test_iteration_based_logs_use_iterations(tmp_path):
    folder = tmp_path / 'iters' / '20261201_000000' / 'vis_data'
    folder.mkdir(parents=True)
    lines = [dict(lr=0.1, loss=1.0 / i, time=0.1, iter=i, step=i) for i in range(10, 101, 10)]
    lines.append({'accuracy/top1': 50.0, 'step': 100})
    (folder / 'scalars.json').write_text(''.join(json.dumps(x) + '\n' for x in lines))
    fig = plot_curves({'iters': load_log_records(str(tmp_path / 'iters'))},
                      ['loss', 'accuracy/top1'])
    assert [ax.get_xlabel() for ax in fig.axes] == ['iteration', 'iteration']
    assert fig.axes[1].lines[0].get_xdata().tolist() == [100]


@pytest.mark.parametrize('style, sheet', [('whitegrid', 'seaborn-v0_8-whitegrid'),
                                          ('ggplot', 'ggplot'), ('default', 'default')])
def test_styles_seaborn_names_and_matplotlib_sheets(style, sheet):
    assert resolve_style(style) == sheet


def test_unknown_style_and_bad_window_size_are_explained():
    with pytest.raises(ValueError, match='Unknown plot style "whitegird". Did you mean '
                       'whitegrid'):
        resolve_style('whitegird')
    assert parse_window_size('12*7') == (12.0, 7.0)
    with pytest.raises(ValueError, match='--window-size must be "W\\*H" in inches'):
        parse_window_size('12')


def test_train_time_leaves_out_the_first_record_of_each_epoch(tmp_path):
    times = [[5.0, 1.0, 1.0], [4.0, 2.0, 2.0]]
    records = load_log_records(str(write_run(tmp_path, 't', epochs=2, per_epoch=30,
                                             interval=10, times=times)))
    stats = train_time_stats(records)
    assert (stats['slowest_epoch'], stats['fastest_epoch']) == (2, 1)
    assert stats['mean'] == pytest.approx(1.5) and stats['iters'] == 4
    assert stats['epoch_std'] == pytest.approx(0.5)
    stats = train_time_stats(records, include_outliers=True)
    assert stats['mean'] == pytest.approx(15 / 6) and stats['iters'] == 6
    assert stats['slowest_epoch_time'] == pytest.approx(8 / 3)


def test_tool_without_out_or_display_saves_curves_png(tmp_path, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location(
        'analyze_logs', REPO / 'tools' / 'analysis_tools' / 'analyze_logs.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    write_run(tmp_path, 'r')
    monkeypatch.chdir(tmp_path)
    assert tool.main(['plot_curve', 'r', '--keys', 'loss', '--backend', 'agg']) == 0
    assert 'no display' in capsys.readouterr().out
    assert (tmp_path / 'curves.png').read_bytes()[:4] == b'\x89PNG'
