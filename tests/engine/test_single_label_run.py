"""tools/train.py with MMPretrain's fine-tuning evaluators: Accuracy + SingleLabelMetric."""
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from tiny_run import make_image_folder, run_tool, scalars, write_config  # noqa: E402

# As MMPretrain fine-tuning configs write them (scoped type, items as a list); a third metric
# whose micro recall without threshold must equal top-1 accuracy; best checkpoint by F1.
EVALUATORS = '''
val_evaluator = [
    dict(type='Accuracy', topk=(1, 2)),
    dict(type='mmpretrain.SingleLabelMetric',
         items=['precision', 'recall', 'f1-score', 'support']),
    dict(type='SingleLabelMetric', items=['recall'], average='micro', thrs=None, prefix='all'),
]
test_evaluator = val_evaluator
default_hooks.update(checkpoint=dict(type='CheckpointHook', interval=1,
                                     save_best='single-label/f1-score', rule='greater'))
'''


def test_train_logs_single_label_metrics(tmp_path):
    data = make_image_folder(tmp_path / 'data', per_class=4)
    val = make_image_folder(tmp_path / 'val', per_class=4, seed=1)
    # lr 1e-6: the nearly untrained model's predictions are mixed, so values are not all 100
    cfg = write_config(tmp_path / 'tiny.py', data, val, lr=1e-6, extra=EVALUATORS)
    work = tmp_path / 'work'
    proc = run_tool('train.py', str(cfg), '--work-dir', str(work))
    assert proc.returncode == 0, proc.stderr[-3000:]
    log = proc.stdout + proc.stderr
    assert re.search(r'single-label/precision: [\d.]+  single-label/recall: [\d.]+  '
                     r'single-label/f1-score: [\d.]+  single-label/support: 12', log), log[-3000:]
    val_records = [r for r in scalars(work) if 'accuracy/top1' in r]
    assert len(val_records) == 1
    record = val_records[0]
    assert record['single-label/support'] == 12
    assert record['all/recall_micro'] == pytest.approx(record['accuracy/top1'], rel=1e-5)
    for key in ('single-label/precision', 'single-label/recall', 'single-label/f1-score'):
        assert 0 <= record[key] <= 100
    assert list(work.glob('best_single-label_f1-score_epoch_1.pth'))
