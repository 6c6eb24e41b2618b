"""The toolbox rows of benchmark.py's data section: each pair times the same work on both
sides (checked here against the reference library), and a missing library is a skipped row."""
import os.path as osp
import sys

import numpy as np
import pytest
import torch

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
from benchmarking import toolbox  # noqa: E402


def test_fashion_mnist_pair_reads_the_same_images_as_torchvision(tmp_path):
    import torchvision

    from mmcls_convnext.datasets import FashionMNIST
    ours_fn, ref_fn, work = toolbox.fashion_mnist_pair(str(tmp_path), count=12)
    assert work == 12
    ours_fn(), ref_fn()  # both run over every image
    raw = tmp_path / 'FashionMNIST' / 'raw'
    ours = FashionMNIST(data_root=str(raw), split='train', pipeline=[dict(type='PackInputs')])
    ref = torchvision.datasets.FashionMNIST(str(tmp_path), train=True, download=False)
    for i in (0, 5, 11):
        image, label = ref[i]
        packed = ours[i]
        # ours packs 3 channels (the quickstart's grey images as BGR); each equals the idx pixels
        assert torch.equal(packed['inputs'][0], torch.from_numpy(np.array(image)))
        assert int(packed['data_samples'].gt_label) == label


def test_map_and_head_pairs_check_equal_results_first():
    # the constructors compare ours with scikit-learn / F.binary_cross_entropy_with_logits and
    # raise when they differ; here they return runnable pairs
    for make in (toolbox.multi_label_map_pair, toolbox.multi_label_head_pair):
        ours, ref, work = make()
        ours(), ref()
        assert work > 0


def test_map_pair_refuses_a_disagreeing_metric(monkeypatch):
    from mmcls_convnext.evaluation.metrics.multi_label import AveragePrecision
    monkeypatch.setattr(AveragePrecision, 'calculate',
                        staticmethod(lambda pred, target: torch.tensor(1.0)))
    with pytest.raises(RuntimeError, match='multi_label_map: ours 1.00000 != scikit-learn'):
        toolbox.multi_label_map_pair()


def test_missing_reference_library_is_a_skipped_row(tmp_path, monkeypatch):
    def missing():
        raise ImportError("No module named 'albumentations'")
    monkeypatch.setattr(toolbox, 'PAIRS', {'albumentations': missing,
                                           'multi_label_map': toolbox.multi_label_map_pair})
    out = toolbox.bench_toolbox(str(tmp_path), rounds=1)
    assert out['albumentations'] == {'skipped': "ImportError: No module named 'albumentations'"}
    row = out['multi_label_map']
    assert row['ours']['unit'] == 'items/s' and len(row['ours']['samples']) == 1
    assert row['ours_over_reference'] == round(
        row['ours']['cpu_median'] / row['reference']['cpu_median'], 3)
    assert torch.get_num_threads() >= 1  # restored after the per-core run
