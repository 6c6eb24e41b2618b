"""DataSample setters: the input types MMPretrain accepts, and clear errors for the rest."""
import numpy as np
import pytest
import torch

from mmcls_convnext.structures import DataSample, DataSampleError

SETTERS = ['gt_label', 'pred_label']


@pytest.mark.parametrize('key', SETTERS)
@pytest.mark.parametrize('value, expected', [
    (3, [3]),
    (np.int64(4), [4]),
    (torch.tensor(2), [2]),
    (np.array(5), [5]),
    (torch.tensor([1, 2, 3], dtype=torch.int32), [1, 2, 3]),
    (np.array([1, 2, 3], dtype=np.uint8), [1, 2, 3]),
    ([1, 2, 3], [1, 2, 3]),
    ((7,), [7]),
], ids=['int', 'np-int', '0d-tensor', '0d-array', 'tensor', 'array', 'list', 'tuple'])
def test_labels_become_1d_long_tensors(key, value, expected):
    sample = DataSample()
    assert getattr(sample, f'set_{key}')(value) is sample  # setters chain
    label = getattr(sample, key)
    assert isinstance(label, torch.LongTensor)
    assert label.tolist() == expected


@pytest.mark.parametrize('key', SETTERS)
def test_label_type_errors_name_the_type(key):
    setter = getattr(DataSample(), f'set_{key}')
    with pytest.raises(TypeError, match=r"Type <class 'str'> is not a valid label type"):
        setter('hi')
    with pytest.raises(TypeError, match=r'must hold integers; got dtype torch.float32.*'
                                        r'set_gt_score'):
        setter(torch.tensor([0.5]))
    with pytest.raises(TypeError, match=r"Type <class 'bool'> is not a valid label type"):
        setter(True)


@pytest.mark.parametrize('key', ['gt_score', 'pred_score'])
def test_scores_accept_lists_arrays_tensors(key):
    for value in ([0.1, 0.9], np.array([0.1, 0.9]), torch.tensor([0.1, 0.9])):
        sample = getattr(DataSample(), f'set_{key}')(value)
        score = getattr(sample, key)
        assert score.is_floating_point() and score.shape == (2,)
        torch.testing.assert_close(score.double(), torch.tensor([0.1, 0.9], dtype=torch.float64))
        assert sample.num_classes == 2
    ints = getattr(DataSample(), f'set_{key}')([0, 1])
    assert getattr(ints, key).dtype == torch.float32


@pytest.mark.parametrize('key', ['gt_score', 'pred_score'])
def test_score_errors_are_value_and_assertion_errors(key):
    sample = DataSample()
    setter = getattr(sample, f'set_{key}')
    with pytest.raises(DataSampleError, match=r'must be 1-D \(num_classes,\), but got 2 dims'):
        setter(torch.ones(1, 5))
    setter(torch.ones(5))
    # gt and pred scores of one sample must agree on the number of classes
    for other in ('set_gt_score', 'set_pred_score'):
        with pytest.raises(ValueError, match=r'\(2\) should be equal to the num_classes of the '
                                             r'sample \(5\)'):
            getattr(sample, other)([1., 2.])
    assert issubclass(DataSampleError, AssertionError)  # MMPretrain asserts these
    with pytest.raises(TypeError, match=r"Type <class 'str'> is not a valid score type"):
        setter('0.5')
