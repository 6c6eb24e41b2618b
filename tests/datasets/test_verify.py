"""verify_dataset's logic: the listing-only dataset config, the loading step, the checks."""
import numpy as np
import pytest
from PIL import Image

from mmcls_convnext.datasets import verify
from mmcls_convnext.datasets.verify import (
    BrokenFile,
    build_listing,
    dataset_paths,
    loading_only,
    loading_step,
    verify_images,
)


def _folder(root, per_class=2):
    for name in ('a', 'b'):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            Image.fromarray(np.full((8, 8, 3), 40 * i, np.uint8)).save(root / name / f'{i}.png')
    return root


def test_loading_step_keeps_the_configs_loader_but_decodes_fully():
    pipeline = [dict(type='mmpretrain.LoadImageFromFile', lazy_decode=True,
                     imdecode_backend='pillow'), dict(type='PackInputs')]
    assert loading_step(pipeline) == dict(type='LoadImageFromFile', imdecode_backend='pillow')
    assert loading_step([dict(type='PackInputs')]) == dict(type='LoadImageFromFile')
    assert loading_step(None) == dict(type='LoadImageFromFile')


def test_loading_only_lists_without_loading():
    cached = dict(type='CachedCustomDataset', data_root='d', cache_steps=2, skip_bad_images=True,
                  pipeline=[dict(type='LoadImageFromFile'), dict(type='PackInputs')])
    wrapped = dict(type='RepeatDataset', times=2, dataset=cached)
    out = loading_only(wrapped)
    assert out == dict(type='RepeatDataset', times=2, dataset=dict(
        type='CustomDataset', data_root='d', skip_bad_images=False, pipeline=[]))
    assert cached['pipeline'][0] == dict(type='LoadImageFromFile')  # input untouched
    concat = loading_only(dict(type='ConcatDataset', datasets=[cached, cached]))
    assert [d['type'] for d in concat['datasets']] == ['CustomDataset'] * 2


def test_paths_once_each_in_dataset_order(tmp_path):
    root = _folder(tmp_path / 'd')
    listing = build_listing(dict(type='RepeatDataset', times=3, dataset=dict(
        type='CachedCustomDataset', data_root=str(root),
        pipeline=[dict(type='LoadImageFromFile')])))
    assert len(listing) == 12
    assert dataset_paths(listing) == [str(root / c / f'{i}.png') for c in 'ab' for i in (0, 1)]


def test_verify_reports_each_failure_with_its_reason(tmp_path, monkeypatch):
    root = _folder(tmp_path / 'd')
    (root / 'b' / '1.png').write_bytes(b'')
    paths = [str(p) for p in sorted(root.rglob('*.png'))] + [str(root / 'gone.png')]
    monkeypatch.setattr(verify, 'PROGRESS_EVERY_S', 0.0)  # a progress line per image
    lines = []
    broken = verify_images(paths, dict(type='LoadImageFromFile'), log=lines.append)
    assert [b.path for b in broken] == [str(root / 'b' / '1.png'), str(root / 'gone.png')]
    assert broken[0].reason.startswith('ImageDecodeError: Cannot decode image')
    assert 'empty (0 bytes)' in broken[0].reason
    assert broken[1].reason.startswith('FileNotFoundError: Image file')
    assert lines[-1].startswith('checked 5/5 images, 2 broken')
    ignored = verify_images(paths[:4], dict(type='LoadImageFromFile', ignore_empty=True))
    assert ignored == [BrokenFile(str(root / 'b' / '1.png'),
                                  'the loader skipped it (ignore_empty=True)')]


@pytest.mark.parametrize('num_process', [0, 1.5])
def test_bad_num_process(num_process):
    with pytest.raises(ValueError, match='--num-process must be a positive int'):
        verify_images([], dict(type='LoadImageFromFile'), num_process)
