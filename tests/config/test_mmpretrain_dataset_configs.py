"""MMPretrain's dataset base configs with a ConvNeXt model, through tools/train.py and
tools/test.py, on tiny datasets written in the publishers' formats.

The configs under ``compat_configs/mmpretrain`` are a user's MMPretrain 1.2 tree: the dataset
bases as MMPretrain ships them (``cifar10_bs16.py``, ``cifar100_bs16.py``, ``cub_bs8_448.py``,
``imagenet21k_bs128.py``, ``voc_bs16.py``, ``inshop_bs32_448.py``) and one leaf each adding
ConvNeXt-T (a multi-label head on VOC; on In-shop, MMPretrain's ArcFace retrieval recipe with
the gallery loader as the retriever's prototype via ``{{_base_.gallery_dataloader}}``). The
child written here changes only what a user changes to run it elsewhere: data roots, the model
size, batch size / workers and the number of epochs. All runs of a phase share one interpreter
(``tests/tool_batch.py``).
"""
import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from made_datasets import cifar_md5_env, make_cifar, make_cub, make_inshop  # noqa: E402
from tool_runs import REPO, make_tiny_imagenet, tool_env  # noqa: E402

TREE = Path(__file__).resolve().parent / 'compat_configs' / 'mmpretrain'


def _make_voc_tree(root: Path, **kwargs) -> dict:
    """The VOC2007 tree writer of tests/tools/test_multi_label_voc.py (loaded by path)."""
    import importlib.util
    path = Path(__file__).resolve().parents[1] / 'tools' / 'test_multi_label_voc.py'
    spec = importlib.util.spec_from_file_location('multi_label_voc', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_voc_tree(root, **kwargs)
# leaf, number of val/test samples, topk of the base's evaluator (None: VOC's metrics;
# 'retrieval': In-shop's Recall@1 over the query split)
CASES = {
    'cifar10': ('convnext-tiny_8xb16_cifar10.py', 1 * 2, (1, )),
    'cifar100': ('convnext-tiny_8xb16_cifar100.py', 1 * 2, (1, )),
    'cub': ('convnext-tiny_8xb8_cub.py', 3, (1, )),
    'in21k': ('convnext-tiny_8xb128_in21k.py', 4, (1, 5)),
    'voc': ('convnext-tiny_8xb16_voc.py', 20, None),
    'inshop': ('convnext-tiny_8xb32_inshop.py', 10, 'retrieval'),
}
#: what voc_bs16.py's evaluator reports: VOCMultiLabelMetric (macro, then micro) + mAP
VOC_KEYS = {f'multi-label/{k}{s}' for k in ('precision', 'recall', 'f1-score')
            for s in ('', '_micro')} | {'multi-label/mAP'}

CHILD = '''_base_ = [{leaf!r}]
{imports}
model = dict(
    backbone=dict(arch=dict(_delete_=True, depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(in_channels=64))
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                        dataset=dict(data_root={data!r}))
val_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={data!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1)
param_scheduler = [dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=1,
                        convert_to_iter_based=True)]
'''
CIFAR_IMPORTS = "custom_imports = dict(imports=['tests.made_cifar_md5'])"
#: the retrieval leaf: the encoder list is replaced whole (a smaller ConvNeXt, no download), the
#: ArcFace head gets the number of training items, the prototype (gallery) loader its data root
INSHOP_CHILD = '''_base_ = [{leaf!r}]
model = dict(
    image_encoder=[dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64]),
                        gap_before_final_norm=False),
                   dict(type='GlobalAveragePooling')],
    head=dict(in_channels=64, num_classes={items}),
    prototype=dict(batch_size=2, num_workers=0, dataset=dict(data_root={data!r})))
train_dataloader = dict(batch_size=2, num_workers=0, dataset=dict(data_root={data!r}))
val_dataloader = dict(batch_size=2, num_workers=0, dataset=dict(data_root={data!r}))
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1)
param_scheduler = [dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=1,
                        convert_to_iter_based=True)]
'''
#: inshop_bs32_448.py's test evaluator ranks mAP@10: at least 10 gallery items
INSHOP_ITEMS = 10


def _batch(name: str, entries: list, folder: Path, env: dict) -> dict:
    plan, results = folder / f'{name}.json', folder / f'{name}_results.json'
    plan.write_text(json.dumps(entries))
    proc = subprocess.run([sys.executable, str(REPO / 'tests' / 'tool_batch.py'), str(plan),
                           str(results)], cwd=str(REPO), env=tool_env(env),
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(results.read_text())


@pytest.fixture(scope='module')
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp('mmpretrain_data')
    md5s = {'CIFAR10': make_cifar(base / 'cifar10', 'CIFAR10'),
            'CIFAR100': make_cifar(base / 'cifar100', 'CIFAR100')}
    roots = {'cifar10': base / 'cifar10', 'cifar100': base / 'cifar100',
             'cub': make_cub(base / 'CUB_200_2011'),
             'in21k': make_tiny_imagenet(base / 'imagenet21k'), 'voc': base / 'VOC2007',
             'inshop': make_inshop(base / 'inshop', items=INSHOP_ITEMS)}
    _make_voc_tree(roots['voc'], n_train=8, n_test=20)  # voc_bs16.py trains on 'trainval'
    (roots['voc'] / 'ImageSets' / 'Main' / 'trainval.txt').write_text(
        (roots['voc'] / 'ImageSets' / 'Main' / 'train.txt').read_text())
    train, test, info = [], [], {}
    for key, (leaf, _, _) in CASES.items():
        child = base / f'{key}_child.py'
        imports = CIFAR_IMPORTS if key.startswith('cifar') else ''
        template = INSHOP_CHILD if key == 'inshop' else CHILD
        child.write_text(template.format(leaf=str(TREE / leaf), data=str(roots[key]),
                                         imports=imports, items=INSHOP_ITEMS))
        work, metrics = base / f'{key}_run', base / f'{key}_metrics.json'
        info[key] = dict(work=work, metrics=metrics, logs={})
        for phase, argv in (('train', [str(child), '--work-dir', str(work)]),
                            ('test', [str(child), str(work / 'epoch_1.pth'), '--work-dir',
                                      str(work), '--out', str(metrics), '--out-item',
                                      'metrics'])):
            log = str(base / f'{key}_{phase}.log')
            info[key]['logs'][phase] = log
            (train if phase == 'train' else test).append(
                dict(id=key, tool=f'{phase}.py', argv=argv, log=log))
    env = cifar_md5_env(md5s)
    for key, result in _batch('train', train, base, env).items():
        info[key]['train'] = result['rc']
    for key, result in _batch('test', test, base, env).items():
        info[key]['test'] = result['rc']
    return info


@pytest.mark.parametrize('key', list(CASES))
def test_mmpretrain_dataset_base_trains_and_tests(runs, key):
    record = runs[key]
    for phase in ('train', 'test'):
        log = Path(record['logs'][phase]).read_text()
        assert record[phase] == 0, f'{phase}:\n{log[-5000:]}'
    train_log = Path(record['logs']['train']).read_text()
    assert "'mmpretrain' -> 'mmcls_convnext' (default_scope)" in train_log
    ckpt = torch.load(record['work'] / 'epoch_1.pth', weights_only=True)
    assert ckpt['meta']['epoch'] == 1
    _, num_val, topk = CASES[key]
    metrics = json.loads(record['metrics'].read_text())
    if topk is None:  # VOC: precision / recall / F1 (macro and micro) and mAP, in percent
        assert VOC_KEYS <= set(metrics), sorted(metrics)
        assert all(0 <= metrics[k] <= 100 for k in VOC_KEYS if not k.endswith('support'))
        return
    if topk == 'retrieval':  # each query against the whole gallery, as a percentage
        assert set(metrics) == {'retrieval/Recall@1', 'retrieval/mAP@10'}
        assert 0 <= metrics['retrieval/mAP@10'] <= 100
        top1 = metrics['retrieval/Recall@1']
        assert abs(top1 * num_val / 100 - round(top1 * num_val / 100)) < 1e-6
        best = sorted(p.name for p in record['work'].glob('best_*.pth'))
        assert best == ['best_retrieval_Recall@1_epoch_1.pth'], best  # save_best='auto'
        return
    assert set(metrics) == {f'accuracy/top{k}' for k in topk}
    # accuracy is a multiple of 1 / (number of test samples): the whole test split was read
    top1 = metrics['accuracy/top1']
    assert abs(top1 * num_val / 100 - round(top1 * num_val / 100)) < 1e-6
