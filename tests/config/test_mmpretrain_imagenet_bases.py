"""MMPretrain 1.2's ImageNet-family dataset bases under a ConvNeXt model, as a user combines them.

``compat_configs/mmpretrain/_base_/datasets/`` holds the bases as a user's MMPretrain 1.2 tree
has them (1.2 writes some with ``split=``, others with ``ann_file`` / ``data_prefix``; some
use OpenCV resizing, some Pillow, some bicubic; RandAugment, AutoAugment and RandomErasing in
timm's or MMPretrain's policies). Two checks:

* the sweep (in-process, every base): the leaf ``_base_ = [that base, ConvNeXt-T, AdamW
  schedule, runtime]`` is read by ``load_config`` (names translated and checked), its train
  and val loaders are built through our registries on a test-made ImageNet tree, and one batch
  of each goes through the model's data preprocessor (batch shape = the base's crop size,
  normalised, labels one-hot after Mixup/CutMix) and the model (a finite loss; 1000 scores).
* around it, in-process: ImageNet's published val layout (flat files, labels in
  ``meta/val.txt``), a class-folder tree without meta files, the samplers of the user leaves,
  and pipeline pieces users copy from other MMPretrain configs (``Albumentations``,
  ``Lighting``, ``ColorJitter``, the EfficientNet crops).
* the tools (one subprocess per phase, ``tests/tool_batch.py``): five user leaves in the tree
  train for one epoch through ``tools/train.py`` (only ``num_workers=0`` set, the bases'
  ``persistent_workers`` kept), the swin-384 one is tested with ``--tta`` using the TTA pieces
  MMPretrain's documentation has users write (``tta_model``, ``tta_pipeline`` with
  ``TestTimeAug``), and a 4-class fine-tune from an ImageNet base trains, or stops with one
  line when it left ``data_preprocessor.num_classes`` at 1000.
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from made_datasets import make_cub  # noqa: E402
from tool_runs import REPO, WNIDS, make_tiny_imagenet, tool_env  # noqa: E402

TREE = Path(__file__).resolve().parent / 'compat_configs' / 'mmpretrain'
BASES_DIR = TREE / '_base_' / 'datasets'
MODEL = TREE.parent / 'common' / 'convnext_tiny.py'
SCHEDULE = TREE.parent / 'common' / 'adamw_swin.py'
RUNTIME = TREE / '_base_' / 'default_runtime.py'

#: base -> (train crop, val crop): the sizes its pipelines produce
BASES = {
    'imagenet_bs32': (224, 224),
    'imagenet_bs64': (224, 224),
    'imagenet_bs32_pil_resize': (224, 224),
    'imagenet_bs64_pil_resize': (224, 224),
    'imagenet_bs32_pil_bicubic': (224, 224),
    'imagenet_bs64_autoaug': (224, 224),
    'imagenet_bs64_pil_resize_autoaug': (224, 224),
    'imagenet_bs64_swin_224': (224, 224),
    'imagenet_bs64_swin_256': (256, 256),
    'imagenet_bs64_swin_384': (384, 384),
    'imagenet_bs64_t2t_224': (224, 224),
    'imagenet_bs64_deit3_224': (224, 224),
    'imagenet_bs64_deit3_384': (384, 384),
    'imagenet_bs8_pil_bicubic_320': (320, 320),
    'imagenet_bs16_eva_196': (196, 196),
    'imagenet_bs256_rsb_a12': (224, 224),
    'imagenet_bs256_rsb_a3': (224, 224),
    'imagenet_bs128_mbv3': (224, 224),
    'cub_bs8_384': (384, 384),
}
#: the user leaves in the tree that run through the tools: leaf -> (base, train sampler)
LEAVES = {
    'convnext-tiny_8xb64-pil-resize_in1k.py': ('imagenet_bs64_pil_resize', 'DefaultSampler'),
    'convnext-tiny_8xb64-autoaug_in1k.py': ('imagenet_bs64_autoaug', 'DefaultSampler'),
    'convnext-tiny_8xb256-rsb-a12_in1k.py': ('imagenet_bs256_rsb_a12', 'RepeatAugSampler'),
    'convnext-tiny_8xb64-deit3_in1k.py': ('imagenet_bs64_deit3_224', 'RepeatAugSampler'),
    'convnext-tiny_8xb64-swin-384_in1k.py': ('imagenet_bs64_swin_384', 'DefaultSampler'),
}

SHRINK = '''
model = dict(
    backbone=dict(arch=dict(_delete_=True, depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(in_channels=64{head}))
train_dataloader = dict(batch_size=2, num_workers=0,{persist}
                        dataset=dict(data_root={data!r}))
val_dataloader = dict(batch_size=2, num_workers=0,{persist}
                      dataset=dict(data_root={data!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1)
param_scheduler = [dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=1,
                        convert_to_iter_based=True)]
'''


def _shrink(data: Path, head: str = '', persist: bool = False) -> str:
    """The changes a user makes to run a leaf here: a small ConvNeXt, the data root, 2 images per
    batch, no worker processes, one epoch. ``persist``: as a user who only sets
    ``num_workers=0`` and keeps the base's ``persistent_workers`` (the tools drop it then;
    torch's DataLoader, built directly, refuses it)."""
    persist = '' if persist else ' persistent_workers=False,'
    return SHRINK.format(data=str(data), head=head, persist=persist)


def _leaf(base: str) -> str:
    """The leaf a user writes: the dataset base with ConvNeXt-T, a schedule and the runtime.
    A base whose data_preprocessor has no num_classes (imagenet_bs8_pil_bicubic_320.py, made
    for models without batch augments) gets it from the leaf: ConvNeXt-T's Mixup / CutMix
    need it (MMPretrain's preprocessor too)."""
    parts = [str(BASES_DIR / f'{base}.py'), str(MODEL), str(SCHEDULE), str(RUNTIME)]
    leaf = f'_base_ = {parts!r}\n'
    from mmengine.config import Config
    if 'num_classes' not in Config.fromfile(str(BASES_DIR / f'{base}.py')).data_preprocessor:
        leaf += 'data_preprocessor = dict(num_classes=1000)\n'
    return leaf


def _head(base: str) -> str:
    return ', num_classes=200' if base.startswith('cub') else ''


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('imagenet_bases')
    # 2 train images per class: a RepeatAugSampler epoch still has 2 batches of 2
    return dict(root=root, imagenet=make_tiny_imagenet(root / 'imagenet', train_per_class=2),
                cub=make_cub(root / 'CUB_200_2011', classes=2, train_per_class=2))


def _load(path: Path):
    from mmcls_convnext.config import load_config
    return load_config(str(path))


def _build(cfg):
    """The model and the train / val loaders as ClsRunner builds them."""
    from mmengine.registry import DefaultScope

    from mmcls_convnext.engine import ClsRunner
    from mmcls_convnext.registry import MODELS
    from mmcls_convnext.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        model_cfg = dict(cfg.model)
        model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
        model = MODELS.build(model_cfg)
        train = ClsRunner.build_dataloader(cfg.train_dataloader, seed=0)
        val = ClsRunner.build_dataloader(cfg.val_dataloader, seed=0)
    return model, train, val


@pytest.mark.parametrize('base', list(BASES))
def test_base_builds_loaders_and_batches(data, base, tmp_path):
    is_cub = base.startswith('cub')
    root = data['cub'] if is_cub else data['imagenet']
    child = tmp_path / f'{base}_leaf.py'
    child.write_text(_leaf(base) + _shrink(root, _head(base)))
    cfg = _load(child)
    assert cfg.default_scope == 'mmcls_convnext'
    torch.manual_seed(0)
    model, train, val = _build(cfg)
    train_size, val_size = BASES[base]
    num_classes = 200 if is_cub else 1000
    # the whole split, with its labels (ImageNet: meta/<split>.txt; CUB: its id lists)
    if is_cub:
        assert len(train.dataset) == 4 and len(val.dataset) == 2
    else:
        assert len(train.dataset) == 2 * len(WNIDS) and len(val.dataset) == len(WNIDS)
        assert sorted(val.dataset.get_gt_labels().tolist()) == list(range(len(WNIDS)))
    assert type(train.sampler).__name__ == 'DefaultSampler'

    batch = model.data_preprocessor(next(iter(train)), True)
    assert batch['inputs'].shape == (2, 3, train_size, train_size)
    assert batch['inputs'].dtype == torch.float32
    # normalised by the base's mean / std: the test images' pixels (0..255) land in about +-3
    assert -3.0 < float(batch['inputs'].min()) and float(batch['inputs'].max()) < 3.0
    # ConvNeXt-T's Mixup / CutMix: one-hot targets over the base's num_classes, mixed
    scores = torch.stack([s.gt_score for s in batch['data_samples']])
    assert scores.shape == (2, num_classes)
    torch.testing.assert_close(scores.sum(dim=1), torch.ones(2))
    losses = model(**batch, mode='loss')
    assert torch.isfinite(losses['loss'])

    vbatch = model.data_preprocessor(next(iter(val)), False)
    assert vbatch['inputs'].shape == (2, 3, val_size, val_size)
    with torch.no_grad():
        preds = model(**vbatch, mode='predict')
    assert [p.pred_score.shape for p in preds] == [(num_classes, )] * 2


def test_class_folder_tree_without_meta_files(tmp_path):
    """``split='train'`` with no ``meta/train.txt``: the wnid folders are scanned. A subset of
    ImageNet's 1000 classes needs its ``classes`` (as in MMPretrain, whose ImageNet also
    refuses 4 folders for 1000 names); given them, each folder gets its class by name."""
    from mmcls_convnext.datasets.errors import DatasetMismatchError
    root = make_tiny_imagenet(tmp_path / 'imagenet')
    for split in ('train', 'val'):
        (root / 'meta' / f'{split}.txt').unlink()
    child = tmp_path / 'leaf.py'
    child.write_text(_leaf('imagenet_bs64_swin_224') + _shrink(root))
    with pytest.raises(DatasetMismatchError, match=r'\(4\) doesn.t match .* classes \(1000\)'):
        _build(_load(child))
    subset = list(reversed(WNIDS))  # names, not positions, decide the labels
    named = tmp_path / 'named.py'
    named.write_text(f'_base_ = [{str(child)!r}]\n'
                     f'train_dataloader = dict(dataset=dict(classes={subset!r}))\n'
                     f'val_dataloader = dict(dataset=dict(classes={subset!r}))\n')
    _, train, val = _build(_load(named))
    for loader in (train, val):
        assert loader.dataset.ann_file == ''
        labels = {Path(info['img_path']).parent.name: info['gt_label']
                  for info in (loader.dataset.get_data_info(i)
                               for i in range(len(loader.dataset)))}
        assert labels == {wnid: subset.index(wnid) for wnid in WNIDS}


@pytest.mark.parametrize('base', ['imagenet_bs32', 'imagenet_bs256_rsb_a12'])
def test_published_val_layout(base, tmp_path):
    """ImageNet's val split as published: flat ``val/ILSVRC2012_val_*.JPEG`` files, labels only
    in ``meta/val.txt``; read by ``split='val'`` and by ``ann_file`` / ``data_prefix``."""
    import shutil
    root = make_tiny_imagenet(tmp_path / 'imagenet')
    lines = []
    for i, line in enumerate((root / 'meta' / 'val.txt').read_text().split()[::2]):
        name = f'ILSVRC2012_val_{i + 1:08d}.JPEG'
        shutil.move(str(root / 'val' / line), str(root / 'val' / name))
        (root / 'val' / line.split('/')[0]).rmdir()
        lines.append(f'{name} {i}')
    (root / 'meta' / 'val.txt').write_text('\n'.join(lines) + '\n')
    child = tmp_path / 'leaf.py'
    child.write_text(_leaf(base) + _shrink(root))
    model, _, val = _build(_load(child))
    assert val.dataset.get_gt_labels().tolist() == list(range(len(WNIDS)))
    assert Path(val.dataset.get_data_info(3)['img_path']) == root / 'val' / lines[3].split()[0]
    batch = model.data_preprocessor(next(iter(val)), False)
    assert batch['inputs'].shape == (2, 3, 224, 224)
    assert [int(s.gt_label) for s in batch['data_samples']] == [0, 1]


#: pipeline pieces MMPretrain 1.2 users copy into their leaves: the ``Albumentations`` example
#: of MMPretrain's documentation, RegNet's PCA lighting, ShuffleNet's colour jitter,
#: EfficientNet's crops
USER_PIPELINES = """
EIGVAL = [0.2175, 0.0188, 0.0045]
EIGVEC = [[-0.5836, -0.6948, 0.4203], [-0.5808, -0.0045, -0.8140],
          [-0.5675, 0.7192, 0.4009]]
albu_transforms = [
    dict(type='ShiftScaleRotate', shift_limit=0.0625, scale_limit=0.0, rotate_limit=0,
         interpolation=1, p=0.5),
    dict(type='RandomBrightnessContrast', brightness_limit=[0.1, 0.3],
         contrast_limit=[0.1, 0.3], p=0.2),
    dict(type='ChannelShuffle', p=0.1),
    dict(type='OneOf', transforms=[dict(type='Blur', blur_limit=3, p=1.0),
                                   dict(type='MedianBlur', blur_limit=3, p=1.0)], p=0.1),
]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Albumentations', transforms=albu_transforms),
    dict(type='EfficientNetRandomCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='Lighting', eigval=EIGVAL, eigvec=EIGVEC, alphastd=25.5, to_rgb=False),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='EfficientNetCenterCrop', crop_size=224),
    dict(type='PackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
"""


def test_user_pipeline_pieces_on_a_base(data, tmp_path):
    pytest.importorskip('albumentations')
    leaf = tmp_path / 'leaf.py'
    leaf.write_text(_leaf('imagenet_bs32') + USER_PIPELINES)
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{str(leaf)!r}]\n' +
                     _shrink(data['imagenet']))
    cfg = _load(child)
    assert cfg.train_dataloader.dataset.pipeline[1].transforms[3].type == 'OneOf'
    model, train, val = _build(cfg)
    assert [type(t).__name__ for t in train.dataset.pipeline.transforms][1:] == [
        'Albumentations', 'EfficientNetRandomCrop', 'RandomFlip', 'ColorJitter', 'Lighting',
        'PackInputs']
    batch = model.data_preprocessor(next(iter(train)), True)
    assert batch['inputs'].shape == (2, 3, 224, 224)
    assert torch.isfinite(model(**batch, mode='loss')['loss'])
    assert model.data_preprocessor(next(iter(val)), False)['inputs'].shape == (2, 3, 224, 224)


@pytest.mark.parametrize('leaf', list(LEAVES))
def test_user_leaf_builds_its_sampler(data, leaf, tmp_path):
    base, sampler = LEAVES[leaf]
    child = tmp_path / 'child.py'
    child.write_text(f'_base_ = [{str(TREE / leaf)!r}]\n' +
                     _shrink(data['imagenet']))
    cfg = _load(child)
    model, train, _ = _build(cfg)
    assert type(train.sampler).__name__ == sampler
    if sampler == 'RepeatAugSampler':  # each image 3 times per epoch, the epoch's length kept
        assert train.sampler.num_repeats == 3 and len(train.sampler) == len(train.dataset)
        order = list(iter(train.sampler))
        assert len(order) == len(train.dataset) and len(set(order)) < len(order)


# ------------------------------------------------------------------------------------------
# through the tools


def _batch(name: str, entries: list, folder: Path) -> dict:
    plan, results = folder / f'{name}.json', folder / f'{name}_results.json'
    plan.write_text(json.dumps(entries))
    proc = subprocess.run([sys.executable, str(REPO / 'tests' / 'tool_batch.py'), str(plan),
                           str(results)], cwd=str(REPO), env=tool_env(),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(results.read_text())


#: a fine-tune on 4 ImageNet classes from an MMPretrain ImageNet base: the user sets the classes
#: and the head; the base's data_preprocessor.num_classes (1000, the width of the Mixup / CutMix
#: targets) and top-5 evaluator must follow, which ``{fixes}`` does or not
FINETUNE = '''_base_ = [{leaf!r}]
model = dict(head=dict(num_classes=4))
train_dataloader = dict(dataset=dict(classes={classes!r}))
val_dataloader = dict(dataset=dict(classes={classes!r}))
test_dataloader = val_dataloader
{fixes}
'''
FINETUNE_FIXES = """data_preprocessor = dict(num_classes=4)
val_evaluator = dict(topk=(1, ))
test_evaluator = val_evaluator
"""


@pytest.fixture(scope='module')
def runs(data):
    base = data['root']
    train, info = [], {}
    for leaf in LEAVES:
        key = Path(leaf).stem
        child = base / f'{key}_child.py'
        child.write_text(f'_base_ = [{str(TREE / leaf)!r}]\n' +
                         _shrink(data['imagenet'], persist=True))
        work = base / f'{key}_run'
        log = str(base / f'{key}_train.log')
        info[key] = dict(child=child, work=work, log=log)
        train.append(dict(id=key, tool='train.py', argv=[str(child), '--work-dir', str(work)],
                          log=log))
    # the 4-class fine-tune, with and without setting the preprocessor's num_classes
    leaf = base / 'finetune_leaf.py'
    leaf.write_text(_leaf('imagenet_bs64_swin_224') +
                    _shrink(data['imagenet']))
    forgot = FINETUNE_FIXES.replace('data_preprocessor = dict(num_classes=4)\n', '')
    for key, fixes in (('finetune', FINETUNE_FIXES), ('finetune_forgot', forgot)):
        child = base / f'{key}.py'
        child.write_text(FINETUNE.format(leaf=str(leaf), classes=list(WNIDS), fixes=fixes))
        work, log = base / f'{key}_run', str(base / f'{key}_train.log')
        info[key] = dict(child=child, work=work, log=log)
        train.append(dict(id=key, tool='train.py', argv=[str(child), '--work-dir', str(work)],
                          log=log))
    for key, result in _batch('train', train, base).items():
        info[key]['rc'] = result['rc']
    key = 'convnext-tiny_8xb64-swin-384_in1k'
    record = info[key]
    record['metrics'] = base / 'tta_metrics.json'
    record['tta_log'] = str(base / 'tta_test.log')
    test = [dict(id=key, tool='test.py', log=record['tta_log'],
                 argv=[str(record['child']), str(record['work'] / 'epoch_1.pth'), '--tta',
                       '--work-dir', str(record['work']), '--out', str(record['metrics']),
                       '--out-item', 'metrics'])]
    record['tta_rc'] = _batch('test', test, base)[key]['rc']
    return info


@pytest.mark.parametrize('leaf', list(LEAVES))
def test_user_leaf_trains_through_the_tool(runs, leaf):
    record = runs[Path(leaf).stem]
    log = Path(record['log']).read_text()
    assert record['rc'] == 0, log[-5000:]
    assert "'mmpretrain' -> 'mmcls_convnext' (default_scope)" in log
    ckpt = torch.load(record['work'] / 'epoch_1.pth', weights_only=True)
    assert ckpt['meta']['epoch'] == 1
    assert ckpt['meta']['iter'] == 4  # 8 train images, batches of 2, whatever the sampler
    assert 'accuracy/top1' in log  # the base's evaluator ran after the epoch
    # MMPretrain 1.2's bases set no persistent_workers, so nothing is turned off for
    # num_workers=0 here (that case: tests/engine/test_newcomer_runs.py)
    assert 'persistent_workers=True set to False' not in log


def test_fine_tune_on_four_classes_from_an_imagenet_base(runs):
    record = runs['finetune']
    log = Path(record['log']).read_text()
    assert record['rc'] == 0, log[-5000:]
    ckpt = torch.load(record['work'] / 'epoch_1.pth', weights_only=True)
    assert ckpt['state_dict']['head.fc.weight'].shape == (4, 64)
    assert list(ckpt['meta']['dataset_meta']['classes']) == list(WNIDS)
    # the base's data_preprocessor.num_classes left at 1000: named before the first iteration
    record = runs['finetune_forgot']
    log = Path(record['log']).read_text()
    assert record['rc'] == 1
    assert ('ERROR (ModelConfigError): data_preprocessor.num_classes=1000, but model.head.'
            'num_classes=4' in log and 'Set data_preprocessor = dict(num_classes=4)' in log and
            'Traceback' not in log), log[-3000:]
    assert 'Epoch(train)' not in log


def test_tta_pieces_of_a_user_leaf(runs):
    """``tools/test.py --tta`` with the leaf's own ``tta_model`` / ``tta_pipeline``."""
    record = runs['convnext-tiny_8xb64-swin-384_in1k']
    log = Path(record['tta_log']).read_text()
    assert record['tta_rc'] == 0, log[-5000:]
    metrics = json.loads(record['metrics'].read_text())
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}
    top1 = metrics['accuracy/top1'] * len(WNIDS) / 100  # whole images: 4 of them
    assert abs(top1 - round(top1)) < 1e-6
