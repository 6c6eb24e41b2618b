"""get_flops / analyze_logs / confusion_matrix / print_config (in-process, tiny inputs)."""
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / 'tests' / 'engine'))
from tiny_run import build_runner, make_image_folder, write_config  # noqa: E402

sys.path.insert(0, str(REPO / 'tests'))
from tool_runs import load_tool  # noqa: E402

torch.set_num_threads(1)


def _expected_macs(depths, channels, size, num_classes):
    """Conv + linear multiply-adds plus 5 per LayerNorm element, written out by hand."""
    macs, hw = 0, size // 4
    macs += 3 * 16 * channels[0] * hw * hw  # stem 4x4 conv
    ln = channels[0] * hw * hw  # stem LN
    for i, (depth, c) in enumerate(zip(depths, channels)):
        if i > 0:
            ln += channels[i - 1] * hw * hw  # downsample LN (before the resolution halves)
            hw //= 2
            macs += channels[i - 1] * 4 * c * hw * hw  # 2x2 conv
        macs += depth * (c * 49 * hw * hw + 2 * c * 4 * c * hw * hw)  # dw 7x7 + 2 pointwise
        ln += depth * c * hw * hw
    ln += channels[-1]  # final norm after global pooling
    return macs + channels[-1] * num_classes + 5 * ln


def test_get_flops_matches_hand_count(tmp_path, capsys):
    cfg = write_config(tmp_path / 'tiny.py', tmp_path)
    assert load_tool('analysis_tools/get_flops.py').main([str(cfg), '--shape', '32']) == 0
    out = capsys.readouterr().out
    expected = _expected_macs([1, 1, 1, 1], [8, 16, 32, 64], 32, 3)
    assert f'({expected:,};' in out
    params = sum(p.numel() for p in build_runner(tmp_path).model.parameters())
    assert f'({params:,})' in out


def test_analyze_logs_plot_and_time(tmp_path, capsys):
    runner = build_runner(tmp_path, max_epochs=2)
    runner.train()
    tool = load_tool('analysis_tools/analyze_logs.py')
    out = tmp_path / 'curves.png'
    assert tool.main(['plot_curve', str(tmp_path / 'run'), '--keys', 'loss', 'lr',
                      'accuracy/top1', '--out', str(out), '--window-size', '12*7']) == 0
    with Image.open(out) as image:
        assert image.size == (1200, 700)  # --window-size in inches at 100 dpi
    assert tool.main(['cal_train_time', str(tmp_path / 'run')]) == 0
    # 3 iterations per epoch, all logged; the first of each epoch is left out by default
    assert '(4 logged iterations' in capsys.readouterr().out
    assert tool.main(['cal_train_time', str(tmp_path / 'run'), '--include-outliers']) == 0
    assert '(6 logged iterations' in capsys.readouterr().out
    with pytest.raises(KeyError, match=r'run: No record holds "accuracy/top5"; available keys: '):
        tool.main(['plot_curve', str(tmp_path / 'run'), '--keys', 'accuracy/top5', '--out',
                   str(out)])
    with pytest.raises(FileNotFoundError, match='No \\*/vis_data/scalars.json under'):
        tool.main(['cal_train_time', str(tmp_path)])


def test_confusion_matrix_png(tmp_path, capsys):
    runner = build_runner(tmp_path)
    runner.train()
    cfg = tmp_path / 'run.py'
    out = tmp_path / 'cm.png'
    tool = load_tool('analysis_tools/confusion_matrix.py')
    assert tool.main([str(cfg), str(tmp_path / 'run' / 'epoch_1.pth'), '--out', str(out),
                      '--work-dir', str(tmp_path / 'cm')]) == 0
    assert out.read_bytes()[:4] == b'\x89PNG'
    assert 'Confusion matrix of 3 classes, 12 images' in capsys.readouterr().out


def test_print_config(tmp_path, capsys):
    cfg = write_config(tmp_path / 'tiny.py', make_image_folder(tmp_path / 'd', per_class=1))
    tool = load_tool('misc/print_config.py')
    assert tool.main([str(cfg), '--cfg-options', 'train_cfg.max_epochs=7']) == 0
    assert 'max_epochs=7' in capsys.readouterr().out


def test_confusion_matrix_from_predictions_pkl(tmp_path, capsys):
    from mmengine.fileio import dump
    cfg = write_config(tmp_path / 'tiny.py', make_image_folder(tmp_path / 'd', per_class=1))
    scores = torch.tensor([[.8, .1, .1], [.2, .7, .1], [.6, .3, .1], [.1, .1, .8]])
    records = [dict(pred_score=s, gt_label=torch.tensor([g])) for s, g in zip(scores, [0, 1, 1, 2])]
    dump(records, str(tmp_path / 'preds.pkl'))  # as tools/test.py --out writes
    tool = load_tool('analysis_tools/confusion_matrix.py')
    assert tool.main([str(cfg), str(tmp_path / 'preds.pkl'), '--out', str(tmp_path / 'cm.png'),
                      '--include-values']) == 0
    assert 'Confusion matrix of 3 classes, 4 images' in capsys.readouterr().out
    (tmp_path / 'cut.pkl').write_bytes((tmp_path / 'preds.pkl').read_bytes()[:40])
    with pytest.raises(ValueError, match=r'cut\.pkl \(40 bytes\) as a results pickle'):
        tool.main([str(cfg), str(tmp_path / 'cut.pkl')])
