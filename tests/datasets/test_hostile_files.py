"""Issue 20, findings 4-5: small files that would take gigabytes to decode, files that never end
or block, and folder trees that loop are refused or handled before anything is read/decoded."""
import os
import struct
import threading
import zlib

import pytest

from mmcls_convnext.datasets import CustomDataset, ImageDecodeError
from mmcls_convnext.datasets.transforms import LoadImageFromFile
from mmcls_convnext.datasets.transforms.image_budget import DEFAULT_MAX_PIXELS

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack('>I', len(data)) + kind + data + struct.pack(
        '>I', zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png(width: int, height: int) -> bytes:
    """A PNG whose header declares ``width x height`` RGB pixels; only its first rows are
    stored (the decoder allocates the whole image before it finds the data short)."""
    rows = zlib.compress(b'\0' * (1 + 3 * width) * 4, 9)
    return (b'\x89PNG\r\n\x1a\n' + _chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2,
                                                               0, 0, 0))
            + _chunk(b'IDAT', rows) + _chunk(b'IEND', b''))


def _in_thread(func, seconds=60):
    """Run ``func`` in a daemon thread: (finished, result or exception)."""
    out = {}

    def run():
        try:
            out['value'] = func()
        except BaseException as exc:  # noqa: BLE001
            out['value'] = exc
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return not thread.is_alive(), out.get('value')


@pytest.mark.parametrize('lazy', [False, True])
@pytest.mark.parametrize('side', [30000, 15000])
def test_an_image_above_the_pixel_budget_is_refused_from_its_header(tmp_path, lazy, side):
    path = tmp_path / 'bomb.png'
    path.write_bytes(huge_png(side, side))
    assert path.stat().st_size < 10_000
    with pytest.raises(ImageDecodeError, match=rf'Cannot decode image "{path}": its header '
                       rf'declares ({side} x {side} = )?{side * side} pixels, more than the budget '
                       rf'of {DEFAULT_MAX_PIXELS} .*raise MMCLS_CONVNEXT_MAX_IMAGE_PIXELS'):
        LoadImageFromFile(lazy_decode=lazy)(dict(img_path=str(path)))


def test_the_pixel_budget_is_configurable(tmp_path, image_writer, monkeypatch):
    path = str(tmp_path / 'small.png')
    image_writer(path)  # 16 x 12
    monkeypatch.setenv('MMCLS_CONVNEXT_MAX_IMAGE_PIXELS', '100')
    with pytest.raises(ImageDecodeError, match=r'declares 16 x 12 = 192 pixels, more than the '
                       r'budget of 100'):
        LoadImageFromFile()(dict(img_path=path))
    monkeypatch.setenv('MMCLS_CONVNEXT_MAX_IMAGE_PIXELS', '192')
    assert LoadImageFromFile()(dict(img_path=path))['img'].shape == (12, 16, 3)
    monkeypatch.setenv('MMCLS_CONVNEXT_MAX_IMAGE_PIXELS', 'lots')
    with pytest.raises(ValueError, match=r"MMCLS_CONVNEXT_MAX_IMAGE_PIXELS must be a whole "
                       r"number of pixels \(0: no limit\); got 'lots'"):
        LoadImageFromFile()(dict(img_path=path))


def test_skip_bad_images_skips_a_pixel_bomb(tmp_path, image_writer):
    for i in range(4):
        image_writer(str(tmp_path / 'a' / f'{i}.png'), seed=i)
    (tmp_path / 'a' / '0.png').write_bytes(huge_png(15000, 15000))
    pipeline = [dict(type='LoadImageFromFile', lazy_decode=True), dict(type='PackInputs')]
    ds = CustomDataset(data_root=str(tmp_path), pipeline=pipeline, skip_bad_images=True,
                       max_bad_fraction=0.5, test_mode=True)
    assert ds[0]['data_samples'].img_path.endswith('a/1.png')
    assert ds.num_bad_images == 1


def test_a_fifo_is_refused_unopened(tmp_path):
    fifo = tmp_path / 'x.png'
    os.mkfifo(fifo)
    finished, value = _in_thread(lambda: LoadImageFromFile()(dict(img_path=str(fifo))))
    if not finished:  # unblock the reader stuck in open(): open the write end, then close it
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert finished, 'reading a FIFO blocked'
    assert isinstance(value, ImageDecodeError), value
    assert 'it is a FIFO (named pipe), not a regular file' in str(value) and str(fifo) in str(value)
    assert LoadImageFromFile(ignore_empty=True)(dict(img_path=str(fifo))) is None


def test_a_symlink_to_a_device_is_refused_unopened(tmp_path):
    link = tmp_path / 'zero.png'
    os.symlink('/dev/zero', link)
    with pytest.raises(ImageDecodeError, match=r'zero\.png": it is a device \(a symlink to '
                       r'/dev/zero\), not a regular file'):
        LoadImageFromFile()(dict(img_path=str(link)))


def test_symlink_loops_end_and_count_each_file_once(tmp_path, image_writer):
    for cls in 'ab':
        for i in range(4):
            image_writer(str(tmp_path / cls / f'{i}.png'), seed=i)
    os.symlink('.', tmp_path / 'a' / 'self')  # a loop
    os.symlink('..', tmp_path / 'a' / 'up')  # a second loop, through the root
    os.symlink(tmp_path / 'a' / '0.png', tmp_path / 'a' / 'again.png')  # one file, two names
    finished, ds = _in_thread(lambda: CustomDataset(data_root=str(tmp_path), pipeline=PIPELINE))
    assert finished, 'the folder scan did not end'
    assert not isinstance(ds, BaseException), ds
    labels = [ds.get_data_info(i)['gt_label'] for i in range(len(ds))]
    assert labels.count(0) == 4 and labels.count(1) == 4


def test_one_symlink_loop_does_not_multiply_samples(tmp_path, image_writer):
    for i in range(4):
        image_writer(str(tmp_path / 'a' / f'{i}.png'), seed=i)
    os.symlink('.', tmp_path / 'a' / 'self')
    ds = CustomDataset(data_root=str(tmp_path), pipeline=PIPELINE)
    assert len(ds) == 4


def test_an_annotation_line_naming_a_directory_is_one_clear_error(tmp_path, image_writer):
    image_writer(str(tmp_path / 'img' / 'a.png'))
    (tmp_path / 'img' / 'sub').mkdir()
    (tmp_path / 'ann.txt').write_text('a.png 0\nsub 1\n')
    ds = CustomDataset(data_root=str(tmp_path), data_prefix='img', ann_file='ann.txt',
                       pipeline=PIPELINE)
    with pytest.raises(ImageDecodeError, match=r'img/sub": it is a directory, not an image file'):
        ds[1]


def test_a_non_utf8_annotation_file_names_file_and_line(tmp_path):
    from mmcls_convnext.datasets import DatasetError
    (tmp_path / 'ann.txt').write_bytes(b'a.png 0\nb\xe9b\xe9.png 1\n')  # Latin-1
    with pytest.raises(DatasetError, match=r'ann\.txt, line 2: not UTF-8 text \(byte 0xe9 at '
                       r'column 2\)\. Save the annotation file as UTF-8'):
        CustomDataset(data_root=str(tmp_path), ann_file='ann.txt', pipeline=PIPELINE)


@pytest.mark.parametrize('line', ['../../etc/passwd 0', '/etc/passwd 0', 'ok/../../x.png 0'])
def test_annotation_paths_outside_the_image_folder_are_refused(tmp_path, line):
    from mmcls_convnext.datasets.errors import DataConfigError
    (tmp_path / 'ann.txt').write_text(f'a.png 0\n{line}\n')
    path = line.rsplit(' ', 1)[0]
    with pytest.raises(DataConfigError, match=rf'ann\.txt" lists {path!r}, which is outside the '
                       r'image folder .*allow_paths_outside_root=True'):
        CustomDataset(data_root=str(tmp_path), data_prefix='img', ann_file='ann.txt',
                      pipeline=PIPELINE)
    ds = CustomDataset(data_root=str(tmp_path), data_prefix='img', ann_file='ann.txt',
                       pipeline=PIPELINE, allow_paths_outside_root=True)
    assert ds.get_data_info(1)['img_path'] == os.path.join(str(tmp_path), 'img', path)


def test_images_read_again_for_drawing_get_the_loaders_checks(tmp_path, image_writer):
    """The visualization hook, the retrieval visualizer and the report re-read image files by
    path after the pipeline: the same pixel budget and regular-file check apply there."""
    import mmcv

    from mmcls_convnext.datasets.transforms.image_budget import read_image
    good = str(tmp_path / 'good.png')
    image_writer(good)
    assert (read_image(good) == mmcv.imread(good)).all()
    assert (read_image(good, channel_order='rgb') == mmcv.imread(good, channel_order='rgb')).all()
    bomb = tmp_path / 'bomb.png'
    bomb.write_bytes(huge_png(30000, 30000))
    with pytest.raises(ImageDecodeError, match=rf'bomb\.png": its header declares .*more than '
                       rf'the budget of {DEFAULT_MAX_PIXELS}'):
        read_image(str(bomb))
    fifo = tmp_path / 'pipe.png'
    os.mkfifo(fifo)
    finished, value = _in_thread(lambda: read_image(str(fifo)))
    if not finished:
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
    assert finished and isinstance(value, ImageDecodeError), value
    with pytest.raises(FileNotFoundError, match='missing.png'):
        read_image(str(tmp_path / 'missing.png'))


def test_the_drawing_paths_read_through_the_checked_reader():
    """Each re-read site calls read_image (a regression guard against a plain mmcv.imread)."""
    import inspect

    from mmcls_convnext.engine.hooks import visualization_hook
    from mmcls_convnext.visualization import report, universal_visualizer
    for module in (visualization_hook, report, universal_visualizer):
        source = inspect.getsource(module)
        assert 'read_image(' in source and 'mmcv.imread(' not in source, module.__name__
