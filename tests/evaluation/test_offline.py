"""--metric parsing and offline evaluation of saved predictions (eval_metric.py's logic)."""
import sys
from pathlib import Path

import pytest
import torch
from mmengine.fileio import dump

from mmcls_convnext.config.compat import ConfigCompatError
from mmcls_convnext.engine.entrypoints.cli_errors import run_cli
from mmcls_convnext.evaluation.offline import (
    build_metrics,
    evaluate_results,
    format_metrics,
    parse_metric_options,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tool_runs import load_tool  # noqa: E402


def test_values_are_parsed():
    configs = parse_metric_options([
        ['type=Accuracy', 'topk=1,5', 'thrs=0.5'],
        ['type=mmpretrain.ConfusionMatrix', 'num_classes=3', 'x=[1,2]', 'y=None', 'z=a,b']])
    assert configs == [dict(type='Accuracy', topk=(1, 5), thrs=0.5),
                       dict(type='ConfusionMatrix', num_classes=3, x=[1, 2], y=None,
                            z=('a', 'b'))]


@pytest.mark.parametrize('options, error, message', [
    (None, ValueError, r'Give at least one --metric, e\.g\. --metric type=Accuracy topk=1,5'),
    ([['Accuracy']], ValueError, r"--metric takes key=value pairs, .*; got 'Accuracy'"),
    ([['type=Accuracy', '=3']], ValueError, "got '=3'"),
    ([['type=Accuracy', 'topk=1', 'topk=2']], ValueError, "sets 'topk' twice"),
    ([['topk=1']], ValueError, r'--metric topk=1 has no type=NAME'),
    ([['type=Acuracy']], ConfigCompatError,
     r"--metric type='Acuracy' is not a metric registered in mmcls_convnext or mmengine; "
     r"did you mean 'Accuracy'\?"),
    ([['type=SingleLabelMetrix']], ConfigCompatError, r"did you mean 'SingleLabelMetric'"),
])
def test_bad_options(options, error, message):
    with pytest.raises(error, match=message):
        parse_metric_options(options)


def test_metric_arguments_are_checked():
    with pytest.raises(TypeError, match=r"--metric type=Accuracy topks=1: .*unexpected keyword "
                       r"argument 'topks'"):
        build_metrics([dict(type='Accuracy', topks=1)])


def _records():
    scores = torch.tensor([[.6, .3, .1], [.5, .4, .1], [.1, .2, .7], [.3, .2, .5]])
    return [dict(pred_score=s, gt_label=torch.tensor([g])) for s, g in zip(scores, [0, 1, 2, 1])]


def test_metrics_against_a_hand_count():
    metrics = evaluate_results(_records(), [dict(type='Accuracy', topk=(1, 2)),
                                            dict(type='ConfusionMatrix')])
    # top-1 right: images 0 and 2; top-2 adds image 1 (class 1 second); image 3 is 3rd
    assert metrics['accuracy/top1'] == pytest.approx(50.0)
    assert metrics['accuracy/top2'] == pytest.approx(75.0)
    assert metrics['confusion_matrix/result'].tolist() == [[1, 0, 0], [1, 0, 1], [0, 0, 1]]
    text = format_metrics(metrics)
    assert 'accuracy/top1: 50.0000\naccuracy/top2: 75.0000\nconfusion_matrix/result:\n' in text


def test_tool_error_lines(tmp_path, capsys):
    main = load_tool('analysis_tools/eval_metric.py').main
    dump({'accuracy/top1': 50.0}, str(tmp_path / 'metrics.pkl'))  # --out-item metrics
    (tmp_path / 'garbage.pkl').write_bytes(b'\x00\x01 not a pickle')
    cases = [
        ([str(tmp_path / 'missing.pkl'), '--metric', 'type=Accuracy'],
         'ERROR (FileNotFoundError): Results file ', 'missing.pkl does not exist'),
        ([str(tmp_path / 'garbage.pkl'), '--metric', 'type=Accuracy'],
         'ERROR (ResultsFileError): Cannot read ', 'as a results pickle'),
        ([str(tmp_path / 'metrics.pkl'), '--metric', 'type=Accuracy'],
         'ERROR (ResultsFileError): ', 'written with --out-item metrics'),
        ([str(tmp_path / 'metrics.pkl'), '--metric', 'Accuracy'],
         'ERROR (ValueError): --metric takes key=value pairs', "got 'Accuracy'"),
    ]
    for argv, start, part in cases:
        assert run_cli(main, argv) == 1
        line = capsys.readouterr().err.strip()
        assert line.startswith(start) and part in line and '\n' not in line, line
