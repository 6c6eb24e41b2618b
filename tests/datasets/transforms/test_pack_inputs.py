"""PackInputs: uint8 CHW tensor + DataSample with label and metainfo."""
import numpy as np
import pytest
import torch
from PIL import Image

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


def test_without_image_only_the_sample_is_packed():
    packed = PackInputs()(dict(gt_label=1, img_path='x.png'))
    assert 'inputs' not in packed
    assert packed['data_samples'].gt_label.tolist() == [1]
    assert packed['data_samples'].img_path == 'x.png'


@pytest.mark.parametrize('mode', ['RGB', 'RGBA', 'P'])
def test_pil_images_pack_like_decoded_arrays(mode):
    rgb = np.random.default_rng(2).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    pil = Image.fromarray(rgb).convert(mode)
    expected = np.asarray(pil.convert('RGB'))[..., ::-1].transpose(2, 0, 1)  # BGR, CHW
    inputs = PackInputs()(dict(img=pil))['inputs']
    assert inputs.dtype == torch.uint8 and inputs.is_contiguous()
    np.testing.assert_array_equal(inputs.numpy(), expected)


def test_grey_pil_image_and_other_ranks():
    grey = Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4))
    np.testing.assert_array_equal(PackInputs()(dict(img=grey))['inputs'].numpy(),
                                  np.arange(12).reshape(1, 3, 4))
    clip = np.zeros((2, 3, 1, 4, 4), np.uint8)  # a video clip stays as it is
    assert PackInputs()(dict(img=clip))['inputs'].shape == clip.shape
    views = PackInputs()(dict(img=[np.zeros((2, 3, 3), np.uint8)] * 2))['inputs']
    assert [v.shape for v in views] == [(3, 2, 3)] * 2
    with pytest.raises(TypeError, match='numpy array, PIL image or tensor; got str'):
        PackInputs()(dict(img='a.png'))


def test_algorithm_keys_and_repr():
    t = PackInputs(algorithm_keys=['extra'], meta_keys=['flip', 'img_shape'])
    packed = t(dict(img=np.zeros((2, 2, 3), np.uint8), extra=torch.tensor([1, 2]), flip=True))
    assert packed['data_samples'].extra.tolist() == [1, 2]
    assert packed['data_samples'].metainfo_keys() == ['flip']
    assert repr(t) == ("PackInputs(input_key='img', algorithm_keys=['extra'], "
                       "meta_keys=['flip', 'img_shape'])")
    with pytest.raises(TypeError, match='meta_keys must be a list or tuple'):
        PackInputs(meta_keys='flip')


def test_metainfo_immutable_values_shared_mutable_values_copied():
    img = np.zeros((4, 4, 3), np.uint8)
    crop = [1, 2, 3, 4]
    results = dict(img=img, img_path='a.png', ori_shape=(4, 4), flip=False, scale_factor=(1.0, 1.0),
                   sample_idx=np.int64(7), crop_bbox=crop)
    sample = PackInputs(meta_keys=('img_path', 'ori_shape', 'flip', 'scale_factor', 'sample_idx',
                                   'crop_bbox'))(results)['data_samples']
    assert sample.img_path == 'a.png' and sample.ori_shape == (4, 4) and sample.flip is False
    assert sample.scale_factor == (1.0, 1.0) and sample.sample_idx == 7
    assert set(sample.metainfo_keys()) == {'img_path', 'ori_shape', 'flip', 'scale_factor',
                                           'sample_idx', 'crop_bbox'}
    assert sample.crop_bbox == [1, 2, 3, 4] and sample.crop_bbox is not crop
    crop.append(5)  # a pipeline reusing its list must not change the packed sample
    assert sample.crop_bbox == [1, 2, 3, 4]
