"""ImageNet / ImageNet21k layouts: split folders, meta/{split}.txt, test split, class names."""
import pytest
from mmengine.logging import MMLogger
from torchvision.models import ConvNeXt_Tiny_Weights

from mmcls_convnext.datasets import ImageNet, ImageNet21k, imagenet_categories
from mmcls_convnext.registry import DATASETS

WNIDS = ['n01440764', 'n01443537', 'n01484850']


@pytest.fixture
def imagenet_root(tmp_path, image_writer):
    root = tmp_path / 'imagenet'
    for i, wnid in enumerate(WNIDS):
        image_writer(str(root / 'train' / wnid / f'{wnid}_{i}.JPEG'), seed=i)
    for i in range(3):
        image_writer(str(root / 'val' / f'ILSVRC2012_val_{i:08d}.JPEG'), seed=10 + i)
        image_writer(str(root / 'test' / f'ILSVRC2012_test_{i:08d}.JPEG'), seed=20 + i)
    (root / 'meta').mkdir()
    (root / 'meta' / 'val.txt').write_text(
        'ILSVRC2012_val_00000000.JPEG 65\nILSVRC2012_val_00000001.JPEG 970\n'
        'ILSVRC2012_val_00000002.JPEG 230\n')
    return root


def test_categories_are_torchvisions():
    names = imagenet_categories()
    assert len(names) == 1000 and names[0] == 'tench'
    assert list(names) == ConvNeXt_Tiny_Weights.IMAGENET1K_V1.meta['categories']


def test_val_from_meta_file(imagenet_root):
    ds = ImageNet(data_root=str(imagenet_root), split='val')
    assert ds.get_gt_labels().tolist() == [65, 970, 230]
    assert ds.get_data_info(1)['img_path'].endswith('val/ILSVRC2012_val_00000001.JPEG')
    assert len(ds.metainfo['classes']) == 1000
    assert ds.metainfo['classes'][65] == 'sea snake'


def logged(monkeypatch, level):
    messages = []
    monkeypatch.setattr(MMLogger.get_current_instance(), level, messages.append)
    return messages


def test_test_split_has_no_labels(imagenet_root, monkeypatch):
    infos = logged(monkeypatch, 'info')
    ds = ImageNet(data_root=str(imagenet_root), split='test')
    assert len(ds) == 3 and 'gt_label' not in ds.get_data_info(0)
    assert ds.split == 'test' and not ds.with_label
    assert infos == ['Since the ImageNet1k test set does not provide label annotations, '
                     '`with_label` is set to False.']
    with pytest.raises(ValueError, match='test split has no labels'):
        ImageNet(data_root=str(imagenet_root), split='test', with_label=True)


def test_train_folders_map_by_position_to_given_names(imagenet_root):
    # a subset of wnid folders needs its own names (1000 names need 1000 folders)
    with pytest.raises(ValueError, match=r"\(3\) doesn't match the number of given classes "
                                         r'\(1000\)'):
        ImageNet(data_root=str(imagenet_root), split='train')
    ds = ImageNet(data_root=str(imagenet_root), split='train', classes=['a', 'b', 'c'])
    assert ds.get_gt_labels().tolist() == [0, 1, 2]


def test_bad_split(imagenet_root):
    with pytest.raises(ValueError, match="split must be one of \\('train', 'val', 'test'\\)"):
        ImageNet(data_root=str(imagenet_root), split='validation')
    with pytest.raises(AssertionError, match='The split must be'):  # MMPretrain's type too
        ImageNet(data_root=str(imagenet_root), split='validation')


def test_repr_names_the_root(imagenet_root):
    ds = ImageNet(data_root=str(imagenet_root), split='val', lazy_init=True)
    assert repr(ds).splitlines() == [
        'Dataset ImageNet', "    Haven't been initialized", '    Number of categories: \t1000',
        f'    Root of dataset: \t{imagenet_root}',
        f'    Annotation file: \t{imagenet_root}/meta/val.txt',
        f'    Prefix of images: \t{imagenet_root}/val']


def test_imagenet21k_uses_folder_names(imagenet_root, monkeypatch):
    assert DATASETS.get('ImageNet21k') is ImageNet21k
    warnings = logged(monkeypatch, 'warning')
    ds = ImageNet21k(data_root=str(imagenet_root), split='train')
    assert ds.metainfo['classes'] == tuple(WNIDS) and ds.split == 'train'
    assert len(warnings) == 1 and 'specify the `ann_file`' in warnings[0]  # 21k folders: slow
    with pytest.raises(NotImplementedError, match=r'multi_label=True\) is not supported'):
        ImageNet21k(data_root=str(imagenet_root), split='train', multi_label=True)


def test_imagenet21k_without_class_names_warns(imagenet_root, monkeypatch):
    (imagenet_root / 'meta' / 'train.txt').write_text(
        '\n'.join(f'{w}/{w}_{i}.JPEG {i}' for i, w in enumerate(WNIDS)))
    warnings = logged(monkeypatch, 'warning')
    ds = ImageNet21k(data_root=str(imagenet_root), split='train')
    assert ds.CLASSES is None and ds.get_gt_labels().tolist() == [0, 1, 2]
    assert len(warnings) == 1 and 'specify the `classes` argument' in warnings[0]
    named = ImageNet21k(data_root=str(imagenet_root), split='train', classes=['a', 'b', 'c'],
                        metainfo=dict(classes=['x', 'y', 'z']))
    assert named.CLASSES == ('x', 'y', 'z')  # metainfo wins, as in MMPretrain
