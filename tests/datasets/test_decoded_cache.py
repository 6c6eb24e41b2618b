"""CachedCustomDataset: the decoded-image cache gives what decoding every time gives."""
import numpy as np
import pytest
import torch
from mmcv.transforms import BaseTransform

from mmcls_convnext.datasets import CachedCustomDataset, CustomDataset, ImageDecodeError
from mmcls_convnext.registry import TRANSFORMS

TEST_PIPELINE = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(8, 8)),
                 dict(type='PackInputs')]


@TRANSFORMS.register_module(force=True)
class _ZeroInPlace(BaseTransform):
    """A transform that overwrites the image in place (the cache must not see it)."""

    def transform(self, results: dict) -> dict:
        results['img'][...] = 0
        return results


@pytest.fixture
def tree(tmp_path, image_writer):
    """12 images in 3 classes, of different sizes."""
    for i in range(12):
        image_writer(str(tmp_path / 'data' / 'abc'[i % 3] / f'{i:02d}.png'), height=10 + i,
                     width=12, seed=i)
    return tmp_path / 'data'


def _pair(root, pipeline, **kwargs):
    return (CustomDataset(data_root=str(root), pipeline=pipeline, **kwargs),
            CachedCustomDataset(data_root=str(root), pipeline=pipeline, **kwargs))


def test_cached_samples_equal_decoded_samples(tree):
    plain, cached = _pair(tree, TEST_PIPELINE)
    assert cached.cache_summary() == (12, 12 * 8 * 8 * 3)
    assert cached._images.shape == (12, 8, 8, 3)  # fixed size after Resize: one view
    for i in range(len(plain)):
        a, b = plain[i], cached[i]
        assert torch.equal(a['inputs'], b['inputs'])
        assert a['data_samples'].gt_label == b['data_samples'].gt_label
        for key in ('img_path', 'ori_shape', 'img_shape', 'scale_factor', 'sample_idx'):
            assert a['data_samples'].metainfo[key] == b['data_samples'].metainfo[key], key


def test_ragged_images_keep_their_own_shapes(tree):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
    plain, cached = _pair(tree, pipeline)
    assert cached._images is None
    for i in range(len(plain)):
        assert torch.equal(plain[i]['inputs'], cached[i]['inputs'])
        assert cached[i]['data_samples'].ori_shape == plain[i]['data_samples'].ori_shape


def test_only_the_random_tail_runs_per_sample(tree):
    pipeline = [dict(type='LoadImageFromFile'), dict(type='Resize', scale=(8, 8)),
                dict(type='RandomFlip', prob=1.0, direction='horizontal'),
                dict(type='PackInputs')]
    plain, cached = _pair(tree, pipeline)
    assert [type(t).__name__ for t in cached._tail.transforms] == ['RandomFlip', 'PackInputs']
    for i in range(len(plain)):
        assert torch.equal(plain[i]['inputs'], cached[i]['inputs'])
        assert torch.equal(cached[i]['inputs'], torch.from_numpy(
            np.ascontiguousarray(cached.cached_image(i)[:, ::-1].transpose(2, 0, 1))))


def test_in_place_transforms_cannot_change_the_cache(tree):
    pipeline = TEST_PIPELINE[:2] + [dict(type='_ZeroInPlace'), dict(type='PackInputs')]
    cached = CachedCustomDataset(data_root=str(tree), pipeline=pipeline)
    before = cached.cached_image(3).copy()
    assert cached[3]['inputs'].sum() == 0
    assert np.array_equal(cached.cached_image(3), before) and before.sum() > 0
    with pytest.raises(ValueError, match='read-only'):
        cached.cached_image(3)[0, 0, 0] = 1


def test_cache_steps_are_validated(tree):
    flip_first = [dict(type='LoadImageFromFile'), dict(type='RandomFlip', prob=0.5),
                  dict(type='PackInputs')]
    with pytest.raises(ValueError, match=r"cache_steps=2 would cache the random transform\(s\) "
                       r"\['RandomFlip'\]"):
        CachedCustomDataset(data_root=str(tree), pipeline=flip_first, cache_steps=2)
    with pytest.raises(ValueError, match='cache_steps=9 is out of range for the 3-step'):
        CachedCustomDataset(data_root=str(tree), pipeline=flip_first, cache_steps=9)
    with pytest.raises(ValueError, match=r"does not start with one of \('LoadImageFromFile'"):
        CachedCustomDataset(data_root=str(tree), pipeline=[dict(type='PackInputs')])
    explicit = CachedCustomDataset(data_root=str(tree), pipeline=TEST_PIPELINE, cache_steps=1)
    assert [type(t).__name__ for t in explicit._tail.transforms] == ['Resize', 'PackInputs']


def test_memory_bound_is_enforced_before_decoding_everything(tree):
    with pytest.raises(ValueError, match=r'need about 0\.00 GiB for 12 images \(estimated from '
                       r'the first image\), more than max_cache_bytes=1000 .*Raise '
                       'max_cache_bytes or use CustomDataset'):
        CachedCustomDataset(data_root=str(tree), pipeline=TEST_PIPELINE, max_cache_bytes=1000)
    with pytest.raises(ValueError, match='max_cache_bytes must be a positive int'):
        CachedCustomDataset(data_root=str(tree), pipeline=TEST_PIPELINE, max_cache_bytes=0)


def test_bad_images_fail_at_fill_time_or_are_skipped(tree):
    (tree / 'b' / '04.png').write_bytes(b'')
    with pytest.raises(ImageDecodeError, match=r'b/04\.png".*empty'):
        CachedCustomDataset(data_root=str(tree), pipeline=TEST_PIPELINE)
    cached = CachedCustomDataset(data_root=str(tree), pipeline=TEST_PIPELINE,
                                 skip_bad_images=True, max_bad_fraction=0.5)
    assert cached.num_bad_images == 1 and cached.cache_summary()[0] == 11
    bad = next(i for i in range(len(cached)) if cached.get_data_info(i)['img_path'].endswith(
        '04.png'))
    assert cached[bad]['data_samples'].img_path != cached.get_data_info(bad)['img_path']


def test_lazy_init_fills_on_first_use(tree):
    cached = CachedCustomDataset(data_root=str(tree), pipeline=TEST_PIPELINE, lazy_init=True)
    assert cached.cache_nbytes == 0
    assert cached[0]['inputs'].shape == (3, 8, 8) and cached.cache_nbytes == 12 * 192


def test_worker_processes_read_the_same_cache(tree):
    from mmengine.dataset import default_collate
    cached = CachedCustomDataset(data_root=str(tree), pipeline=TEST_PIPELINE)
    loader = torch.utils.data.DataLoader(cached, batch_size=4, num_workers=1,
                                         collate_fn=default_collate)
    batches = torch.cat([b['inputs'] for b in loader])
    assert torch.equal(batches, torch.stack([cached[i]['inputs'] for i in range(len(cached))]))
