"""PackInputs: uint8 CHW tensor + DataSample with label and metainfo."""
import numpy as np
import pytest
import torch

from mmcls_convnext.datasets.transforms import PackInputs
from mmcls_convnext.structures import DataSample


def test_pack_image_label_and_meta():
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    results = dict(img=img, gt_label=3, img_path='a/b.png', ori_shape=(10, 14),
                   img_shape=(5, 7), sample_idx=4, unrelated='x')
    packed = PackInputs()(results)
    inputs = packed['inputs']
    assert inputs.dtype == torch.uint8 and inputs.shape == (3, 5, 7)
    assert inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.numpy(), img.transpose(2, 0, 1))
    sample = packed['data_samples']
    assert isinstance(sample, DataSample)
    assert sample.gt_label.tolist() == [3]
    assert sample.img_path == 'a/b.png' and sample.ori_shape == (10, 14)
    assert sample.img_shape == (5, 7) and sample.sample_idx == 4
    assert 'unrelated' not in sample.metainfo_keys()


def test_pack_grey_and_non_contiguous():
    grey = np.arange(12, dtype=np.uint8).reshape(3, 4)
    assert PackInputs()(dict(img=grey))['inputs'].shape == (1, 3, 4)
    flipped = np.random.default_rng(1).integers(0, 256, (4, 6, 3), dtype=np.uint8)[:, ::-1]
    out = PackInputs()(dict(img=flipped))['inputs']
    np.testing.assert_array_equal(out.numpy(), flipped.transpose(2, 0, 1))


def test_pack_gt_score_and_no_label():
    packed = PackInputs()(dict(img=np.zeros((2, 2, 3), np.uint8), gt_score=[0.2, 0.8]))
    assert packed['data_samples'].gt_score.tolist() == pytest.approx([0.2, 0.8])
    packed = PackInputs()(dict(img=np.zeros((2, 2, 3), np.uint8)))
    assert 'gt_label' not in packed['data_samples']


def test_missing_image_key():
    with pytest.raises(KeyError, match="no 'img' in the pipeline results.*LoadImageFromFile"):
        PackInputs()(dict(gt_label=1))
