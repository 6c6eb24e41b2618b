"""Issue 5 row 9: bad files stop the run by default, or are skipped, logged once and counted."""

import pytest
import torch

from mmcls_convnext.datasets import CustomDataset, ImageDecodeError, TooManyBadImagesError

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


@pytest.fixture
def tree(tmp_path, image_writer):
    """20 images in 2 classes; a/00.png is zero bytes, b/05.png is not an image."""
    for i in range(20):
        cls = 'a' if i < 10 else 'b'
        image_writer(str(tmp_path / cls / f'{i:02d}.png'), seed=i)
    (tmp_path / 'a' / '00.png').write_bytes(b'')
    (tmp_path / 'b' / '15.png').write_text('hello')
    return tmp_path


def test_default_error_names_the_file(tree):
    ds = CustomDataset(data_root=str(tree), pipeline=PIPELINE)
    with pytest.raises(ImageDecodeError, match=r'a/00\.png".*empty'):
        ds[0]
    with pytest.raises(ImageDecodeError, match=r'b/15\.png".*corrupt, truncated or not an image'):
        ds[15]
    assert ds[1]['inputs'].shape == (3, 12, 16)


def test_missing_file_is_a_bad_image_too(tree):
    ds = CustomDataset(data_root=str(tree), pipeline=PIPELINE)
    (tree / 'a' / '03.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'a/03\.png" does not exist'):
        ds[3]


def test_skip_logs_once_and_counts(tree, log_records, image_writer):
    image_writer(str(tree / 'b' / '15.png'))  # only a/00.png is bad for now
    ds = CustomDataset(data_root=str(tree), pipeline=PIPELINE, skip_bad_images=True,
                       max_bad_fraction=0.2)
    for _ in range(3):
        item = ds[0]  # replaced by another, loadable sample
        assert not item['data_samples'].img_path.endswith('a/00.png')
    assert ds.num_bad_images == 1
    (tree / 'b' / '15.png').write_text('hello')
    ds[15]
    assert ds.num_bad_images == 2
    messages = [r.getMessage() for r in log_records if 'Skipping bad image' in r.getMessage()]
    assert len(messages) == 2 and '00.png' in messages[0] and '15.png' in messages[1]
    assert ds.bad_image_summary().startswith('2 of 20 images')


def test_test_mode_takes_the_next_sample(tree):
    ds = CustomDataset(data_root=str(tree), pipeline=PIPELINE, skip_bad_images=True,
                       max_bad_fraction=0.2, test_mode=True)
    assert ds[0]['data_samples'].img_path.endswith('a/01.png')
    assert ds[15]['data_samples'].img_path.endswith('b/16.png')


def test_too_many_bad_images_fails(tree):
    ds = CustomDataset(data_root=str(tree), pipeline=PIPELINE, skip_bad_images=True,
                       max_bad_fraction=0.05)  # 1 of 20 allowed
    ds[0]
    with pytest.raises(TooManyBadImagesError, match=r'2 of 20 images \(10.00%\).*more than '
                                                     r'max_bad_fraction=0.05'):
        ds[15]


def test_counts_are_shared_by_dataloader_workers(tree):
    ds = CustomDataset(data_root=str(tree), pipeline=PIPELINE, skip_bad_images=True,
                       max_bad_fraction=0.5, test_mode=True)
    loader = torch.utils.data.DataLoader(ds, batch_size=4, num_workers=2,
                                         collate_fn=lambda batch: batch)
    assert sum(len(batch) for batch in loader) == 20
    assert ds.num_bad_images == 2  # counted in the workers, visible here


def test_bad_fraction_argument():
    with pytest.raises(ValueError, match='max_bad_fraction must be in \\[0, 1\\]'):
        CustomDataset(data_root='x', max_bad_fraction=2, lazy_init=True)
