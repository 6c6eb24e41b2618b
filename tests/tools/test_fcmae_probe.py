"""tools/analysis_tools/fcmae_probe.py end to end on tiny idx files (the real run is documented
in docs/self_supervised.md): every figure is written and within its range."""
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_dataset_converters import make_source  # noqa: E402

spec = importlib.util.spec_from_file_location(
    'fcmae_probe', ROOT / 'tools' / 'analysis_tools' / 'fcmae_probe.py')
probe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(probe)


def test_probe_writes_every_figure(tmp_path):
    make_source(tmp_path / 'src', n_train=80, n_val=40)
    out = tmp_path / 'out'
    assert probe.main([str(out), '--src', str(tmp_path / 'src'), '--pretrain-images', '64',
                       '--pretrain-epochs', '1', '--batch', '16', '--knn-bank', '60',
                       '--test-images', '40', '--finetune-images', '32',
                       '--finetune-epochs', '1', '--seeds', '0', '--decoder-dims', '16']) == 0
    result = json.loads((out / 'fcmae_probe.json').read_text())
    assert [r['step'] for r in result['loss_curve']] == [4]  # 64 / 16 steps, logged at the end
    assert np.isfinite(result['loss_last']) and result['loss_last'] > 0
    for value in list(result['knn_top1'].values()) + sum(result['finetune_top1'].values(), []):
        assert 0 <= value <= 1
    assert len(result['finetune_top1']['fcmae']) == len(result['finetune_top1']['scratch']) == 1
    assert result['mask_patch'] == 8
    for name in ('loss_curve.png', 'reconstructions.png', 'fcmae_probe.pth'):
        assert (out / name).stat().st_size > 0
