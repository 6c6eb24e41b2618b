"""ClsDataPreprocessor and batch augments."""
import numpy as np
import pytest
import torch

from mmcls_convnext.models import ClsDataPreprocessor, CutMix, Mixup, RandomBatchAugment
from mmcls_convnext.structures import DataSample


def test_normalises_and_flips_bgr_to_rgb():
    pre = ClsDataPreprocessor(mean=[10., 20., 30.], std=[2., 4., 5.], to_rgb=True)
    img = torch.stack([torch.full((2, 2), v, dtype=torch.uint8) for v in (70, 80, 90)])  # BGR
    out = pre(dict(inputs=[img]))['inputs']
    # after BGR->RGB the channels are 90, 80, 70
    expected = torch.tensor([(90 - 10) / 2, (80 - 20) / 4, (70 - 30) / 5])
    torch.testing.assert_close(out[0, :, 0, 0], expected)
    assert out.dtype == torch.float32 and out.shape == (1, 3, 2, 2)


@pytest.mark.parametrize('dtype,to_rgb', [(torch.uint8, True), (torch.float32, False),
                                          (torch.float32, True)])
def test_batch_normalisation_exact_and_input_untouched(dtype, to_rgb):
    mean, std = [123.675, 116.28, 103.53], [58.395, 57.12, 57.375]
    pre = ClsDataPreprocessor(mean=mean, std=std, to_rgb=to_rgb)
    batch = torch.randint(0, 256, (4, 3, 8, 9)).to(dtype)
    before = batch.clone()
    out = pre(dict(inputs=batch))['inputs']
    rgb = batch.flip(1) if to_rgb else batch
    expected = (rgb.float() - torch.tensor(mean).view(3, 1, 1)) / torch.tensor(std).view(3, 1, 1)
    assert torch.equal(out, expected)  # bit for bit, though computed in place
    assert torch.equal(batch, before)


def test_pads_to_divisor_when_stacking_different_sizes():
    pre = ClsDataPreprocessor(pad_size_divisor=8, pad_value=-1)
    imgs = [torch.zeros(3, 5, 6, dtype=torch.uint8), torch.zeros(3, 7, 3, dtype=torch.uint8)]
    out = pre(dict(inputs=imgs))['inputs']
    assert out.shape == (2, 3, 8, 8)
    assert out[0, 0, 5:, :].eq(-1).all() and out[1, 0, :, 3:].eq(-1).all()


def test_onehot_in_training_only():
    pre = ClsDataPreprocessor(to_onehot=True, num_classes=3)
    data = dict(inputs=[torch.zeros(3, 2, 2, dtype=torch.uint8)] * 2,
                data_samples=[DataSample().set_gt_label(2), DataSample().set_gt_label(0)])
    out = pre(data, training=True)
    torch.testing.assert_close(torch.stack([s.gt_score for s in out['data_samples']]),
                               torch.tensor([[0., 0., 1.], [1., 0., 0.]]))
    fresh = dict(inputs=data['inputs'], data_samples=[DataSample().set_gt_label(1)] * 2)
    assert 'gt_score' not in pre(fresh, training=False)['data_samples'][0]


def test_onehot_needs_num_classes():
    pre = ClsDataPreprocessor(to_onehot=True)
    data = dict(inputs=[torch.zeros(3, 2, 2, dtype=torch.uint8)],
                data_samples=[DataSample().set_gt_label(0)])
    with pytest.raises(ValueError, match=r'need num_classes'):
        pre(data, training=True)


def test_label_out_of_range_is_an_error():
    pre = ClsDataPreprocessor(to_onehot=True, num_classes=3)
    data = dict(inputs=[torch.zeros(3, 2, 2, dtype=torch.uint8)],
                data_samples=[DataSample().set_gt_label(3)])
    with pytest.raises(ValueError, match=r'Labels must be in 0..2 \(num_classes=3\); got labels'):
        pre(data, training=True)


def test_mean_std_must_come_together():
    with pytest.raises(ValueError, match='needs both mean and std'):
        ClsDataPreprocessor(mean=[1, 2, 3])


def one_hot_batch(n=6, c=4):
    labels = torch.arange(n) % c
    return torch.rand(n, 3, 16, 16), torch.eye(c)[labels]


def test_mixup_is_convex_combination_with_unit_mass():
    x, y = one_hot_batch()
    np.random.seed(0)
    torch.manual_seed(0)
    mixed, target = Mixup(alpha=0.8)(x, y)
    torch.testing.assert_close(target.sum(1), torch.ones(6))
    np.random.seed(0)
    torch.manual_seed(0)
    lam = float(np.random.beta(0.8, 0.8))
    perm = torch.randperm(6)
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x[perm])
    torch.testing.assert_close(target, lam * y + (1 - lam) * y[perm])


@pytest.mark.parametrize('seed', range(5))
def test_cutmix_target_matches_pasted_area(seed):
    n = 4
    x = torch.arange(n, dtype=torch.float32).view(n, 1, 1, 1).expand(n, 3, 20, 16).clone()
    y = torch.eye(n)  # sample i has class i and pixel value i
    np.random.seed(seed)
    torch.manual_seed(seed)
    mixed, target = CutMix(alpha=1.0)(x, y)
    torch.testing.assert_close(target.sum(1), torch.ones(n))
    for i in range(n):
        # independent: the target must equal the fraction of pixels that came from each sample
        values, counts = mixed[i, 0].unique(return_counts=True)
        expected = torch.zeros(n)
        for v, c in zip(values, counts):
            expected[int(v)] += c.item() / (20 * 16)
        torch.testing.assert_close(target[i], expected)


def test_random_batch_augment_probabilities_and_identity():
    aug = RandomBatchAugment([dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.0)],
                             probs=[0.0, 0.0])
    x, y = one_hot_batch()
    out_x, out_y = aug(x, y)
    assert out_x is x and out_y is y
    with pytest.raises(ValueError, match='sum to at most 1'):
        RandomBatchAugment([dict(type='Mixup', alpha=0.8)], probs=[1.5])
    with pytest.raises(ValueError, match='Got 2 vs 1: 2 augments but 1 probs'):
        RandomBatchAugment([dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.)],
                           probs=[0.5])
    with pytest.raises(AssertionError, match=r'got \[0.5, 0.6\], whose total 1.1 exceeds 1'):
        RandomBatchAugment([dict(type='Mixup', alpha=0.8), dict(type='CutMix', alpha=1.)],
                           probs=[0.5, 0.6])


def test_random_batch_augment_remainder_is_a_none_choice(monkeypatch):
    mixup, cutmix = Mixup(alpha=1.), CutMix(alpha=1.)
    aug = RandomBatchAugment([mixup, cutmix], probs=[0.5, 0.3])
    assert aug.augments[:2] == [mixup, cutmix] and aug.augments[2] is None
    np.testing.assert_allclose(aug.probs, [0.5, 0.3, 0.2])
    uniform = RandomBatchAugment([mixup, cutmix])
    assert uniform.probs is None and len(uniform.augments) == 2
    # the choice follows probs: count picks over many batches with recording augments
    picks = []
    aug.augments[:2] = [lambda x, y, i=i: picks.append(i) or (x, y) for i in range(2)]
    np.random.seed(0)
    x, y = torch.zeros(2, 1, 2, 2), torch.eye(2)
    for _ in range(4000):
        out = aug(x, y)
        assert out[0] is x and out[1] is y
    freq = [picks.count(0) / 4000, picks.count(1) / 4000, 1 - len(picks) / 4000]
    np.testing.assert_allclose(freq, [0.5, 0.3, 0.2], atol=0.03)


def test_alpha_must_be_positive():
    with pytest.raises(ValueError, match='Mixup alpha must be > 0; got 0'):
        Mixup(alpha=0)
    with pytest.raises(TypeError, match="CutMix alpha must be a number > 0; got 'unknown'"):
        CutMix(alpha='unknown')
    with pytest.raises(AssertionError, match='alpha must be'):  # what MMPretrain raises
        Mixup(alpha='unknown')
