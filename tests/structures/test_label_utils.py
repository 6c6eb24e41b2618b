"""Label utilities and MultiTaskDataSample."""
import numpy as np
import pytest
import torch

from mmcls_convnext.structures import (
    DataSample,
    DataSampleError,
    MultiTaskDataSample,
    batch_label_to_onehot,
    cat_batch_labels,
    label_to_onehot,
    tensor_split,
)


def test_batch_round_trip_matches_numpy():
    rng = np.random.default_rng(0)
    lists = [sorted(rng.choice(7, rng.integers(0, 4), replace=False).tolist())
             for _ in range(9)]
    flat, splits = cat_batch_labels([torch.tensor(x, dtype=torch.long) for x in lists])
    assert [p.tolist() for p in tensor_split(flat, splits)] == lists
    expected = np.zeros((9, 7), dtype=np.int64)
    for i, x in enumerate(lists):
        expected[i, x] = 1
    np.testing.assert_array_equal(batch_label_to_onehot(flat, splits, 7).numpy(), expected)
    for i, x in enumerate(lists):
        np.testing.assert_array_equal(label_to_onehot(x, 7).numpy(), expected[i])


def test_out_of_range_label_is_one_line():
    with pytest.raises(DataSampleError, match=r'\[9\] out of range for num_classes=7') as info:
        label_to_onehot([1, 9], 7)
    assert '\n' not in str(info.value)
    flat, splits = cat_batch_labels([torch.tensor([1]), torch.tensor([-1])])
    with pytest.raises(DataSampleError, match=r'\[-1\] out of range'):
        batch_label_to_onehot(flat, splits, 7)


def test_multi_task_sample_lists_its_tasks():
    sample = MultiTaskDataSample()
    sample.set_field(DataSample().set_gt_label(1), 'colour')
    sample.set_field(MultiTaskDataSample(), 'shape')
    assert sample.tasks == ['colour', 'shape']


def test_num_classes_given_as_a_field_checks_scores():
    sample = DataSample(num_classes=4).set_pred_score(torch.rand(4))
    with pytest.raises(DataSampleError, match='should be equal to'):
        sample.set_gt_score(torch.rand(3))
