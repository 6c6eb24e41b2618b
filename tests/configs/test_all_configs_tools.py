"""Every config under configs/ through the real tools: train, test the checkpoint, resume.

Each config runs with only the model shrunk (a 4-stage ConvNeXt of width 8-64, head to match)
and the data pointed at one shared tiny folder in its dataset's format (the ImageNet layout;
CIFAR-100 batches, the CUB tree, Fashion-MNIST idx files: ``tests/made_datasets.py``), with 2
images per batch and no worker processes (``tests/tool_runs.py: shrink_options``). Everything
else is the config's own: its hooks (EMA), schedulers (warmup + cosine), optimizer wrapper and
constructor (layer-wise lr decay, no decay on norms), batch augments (Mixup/CutMix), pipelines
and resolution.

- **train**: ``tools/train.py`` for 2 iterations (one epoch of 4 images). The recipes' schedules
  are hundreds of epochs long and a shorter ``max_epochs`` would end before their warmup, so
  the run keeps its schedule and is stopped after the first validation by mmengine's
  ``EarlyStoppingHook``, added from the command line as one more default hook.
- **test**: ``tools/test.py`` on the saved ``epoch_1.pth``, into the same ``--work-dir``: the
  training run's files must be unchanged and the test's output in its own folder.
- **resume**: ``tools/train.py --resume``: continues at epoch 1 / iteration 2 and saves epoch 2.

The three phases run one after the other, each as two parallel subprocesses that run their
half of the configs (``tests/tool_batch.py``), so the 29 configs x 3 runs cost ~6 interpreter
starts instead of ~90.
"""
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from made_datasets import cifar_md5_env, make_cifar, make_cub, make_mnist  # noqa: E402
from tool_runs import (  # noqa: E402
    ALL_CONFIGS,
    REPO,
    TINY_CHANNELS,
    TINY_DEPTHS,
    cfg_args,
    config_id,
    shrink_options,
    tool_env,
)

WORKERS = 2
# shrink_options shrinks model.backbone / model.head of a classifier; the retrieval recipe
# (model.image_encoder, query/gallery folders) runs end to end in tests/tools/test_retrieval_e2e.py
CLASSIFIER_CONFIGS = [c for c in ALL_CONFIGS if 'retrieval' not in c.stem]
STOP_AFTER_FIRST_VAL = ['default_hooks.stop.type=EarlyStoppingHook',
                        'default_hooks.stop.monitor=accuracy/top1',
                        'default_hooks.stop.stopping_threshold=-1']


def _write_tiny_backbone(path: Path, v2: bool = False) -> Path:
    """A local 'pretrained' file for configs whose init_cfg downloads ImageNet weights (a V2
    one, GRN and no layer scale, for the ConvNeXt V2 configs that fine-tune FCMAE weights)."""
    from mmcls_convnext.registry import MODELS
    v2_args = dict(use_grn=True, layer_scale_init_value=0.) if v2 else {}
    model = MODELS.build(dict(type='ConvNeXt', arch=dict(depths=TINY_DEPTHS,
                                                         channels=TINY_CHANNELS), **v2_args))
    torch.save({'state_dict': {f'backbone.{k}': v for k, v in model.state_dict().items()},
                'meta': {}}, path)
    return path


def _options(config: Path, data_roots: dict, backbone: Path, backbone_v2: Path) -> list:
    cfg = Config.fromfile(str(config))
    dataset_type = cfg.train_dataloader.dataset.type
    options = shrink_options(data_roots.get(dataset_type, data_roots['ImageNet']))
    options += STOP_AFTER_FIRST_VAL
    if dataset_type == 'CIFAR100':  # test-made batches: their own md5s (made_datasets.py)
        options.append('custom_imports.imports=[tests.made_cifar_md5]')
    backbone_cfg = cfg.model.backbone
    init_cfg = backbone_cfg.get('init_cfg') or {}
    if init_cfg.get('type') == 'Pretrained':  # offline: the local file, as docs/finetune.md says
        local = backbone_v2 if backbone_cfg.get('use_grn') else backbone
        options.append(f'model.backbone.init_cfg.checkpoint={local}')
    return options


def _fingerprint(work: Path) -> dict:
    """sha256 of every file of a training run (test runs must not touch any of them)."""
    return {str(p.relative_to(work)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(work.rglob('*')) if p.is_file() and 'test' not in p.parts}


def _run_phase(name: str, entries: list, folder: Path, env: dict) -> dict:
    """Run ``entries`` split over ``WORKERS`` parallel batch processes; returns the results."""
    procs, result_files = [], []
    for w in range(WORKERS):
        plan, results = folder / f'{name}_{w}.json', folder / f'{name}_{w}_results.json'
        plan.write_text(json.dumps(entries[w::WORKERS]))
        result_files.append(results)
        procs.append(subprocess.Popen([sys.executable, str(REPO / 'tests' / 'tool_batch.py'),
                                       str(plan), str(results)], cwd=str(REPO),
                                      env=tool_env(env), stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))
    merged = {}
    for proc, results in zip(procs, result_files):
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, err[-3000:]
        merged.update(json.loads(results.read_text()))
    return merged


@pytest.fixture(scope='module')
def runs(tiny_imagenet, tmp_path_factory):
    """Train, test and resume every config; returns what the checks need per config."""
    base = tmp_path_factory.mktemp('all_configs')
    backbone = _write_tiny_backbone(base / 'tiny_backbone.pth')
    # 4 training images each, as the tiny ImageNet folder: 2 iterations per epoch
    env = cifar_md5_env({'CIFAR100': make_cifar(base / 'cifar100', 'CIFAR100', per_file=4)})
    data_roots = {'ImageNet': tiny_imagenet, 'CIFAR100': base / 'cifar100',
                  'CUB': make_cub(base / 'CUB_200_2011', classes=4),
                  'FashionMNIST': make_mnist(base / 'fashion-mnist')}
    backbone_v2 = _write_tiny_backbone(base / 'tiny_backbone_v2.pth', v2=True)
    info, phases = {}, {'train': [], 'test': [], 'resume': []}
    for config in CLASSIFIER_CONFIGS:
        cid, work = config_id(config), base / config.stem
        options = _options(config, data_roots, backbone, backbone_v2)
        info[cid] = dict(work=work, metrics=base / f'{config.stem}_metrics.json')
        common = ['--work-dir', str(work), *cfg_args(options)]
        logs = {phase: str(base / f'{config.stem}_{phase}.log') for phase in phases}
        phases['train'].append(dict(id=cid, tool='train.py', log=logs['train'],
                                    argv=[str(config), *common]))
        phases['test'].append(dict(id=cid, tool='test.py', log=logs['test'],
                                   argv=[str(config), str(work / 'epoch_1.pth'), *common,
                                         '--out', str(info[cid]['metrics']),
                                         '--out-item', 'metrics']))
        phases['resume'].append(dict(id=cid, tool='train.py', log=logs['resume'],
                                     argv=[str(config), '--resume', *common]))
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for name, entries in phases.items():
        results = _run_phase(name, entries, base, env)
        for entry in entries:
            record = info[entry['id']]
            record[name] = dict(results.get(entry['id'], dict(rc=None)), log=entry['log'])
            if name == 'train':
                record['fingerprint'] = _fingerprint(record['work'])
            elif name == 'test':
                record['fingerprint_after_test'] = _fingerprint(record['work'])
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (cpu.ru_utime + cpu.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    print(f'\n{len(CLASSIFIER_CONFIGS)} configs x (train, test, resume): '
          f'{time.perf_counter() - started:.1f} s wall, {cpu_s:.1f} s CPU, load average '
          f'{os.getloadavg()[0]:.1f}')
    return info


def _log(record: dict, phase: str) -> str:
    return Path(record[phase]['log']).read_text()


def _ok(record: dict, phase: str) -> str:
    log = _log(record, phase)
    assert record[phase]['rc'] == 0, f'{phase} exit {record[phase]["rc"]}:\n{log[-6000:]}'
    return log


@pytest.mark.parametrize('config', CLASSIFIER_CONFIGS, ids=config_id)
def test_train_test_resume(runs, config):
    record = runs[config_id(config)]
    cfg = Config.fromfile(str(config))
    work = record['work']

    _ok(record, 'train')
    ckpt = torch.load(work / 'epoch_1.pth', weights_only=True)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (1, 2)  # 2 iterations trained
    ema_hooks = [h for h in cfg.get('custom_hooks', []) if h['type'] == 'EMAHook']
    assert ('ema_state_dict' in ckpt) == bool(ema_hooks)
    assert len(ckpt['param_schedulers']) == len(cfg.param_scheduler)
    groups = ckpt['optimizer']['param_groups']
    paramwise = cfg.optim_wrapper.get('paramwise_cfg', {})
    if paramwise.get('norm_decay_mult') == 0:  # the recipes' "no decay on norms and biases"
        assert {g['weight_decay'] for g in groups} == {0.0, cfg.optim_wrapper.optimizer
                                                       .weight_decay}
    if cfg.optim_wrapper.get('constructor') == 'LearningRateDecayOptimWrapperConstructor':
        assert len({g['lr'] for g in groups}) > 2  # layer-wise lr decay

    _ok(record, 'test')
    metrics = json.loads(record['metrics'].read_text())
    assert set(metrics) == {f'accuracy/top{k}' for k in cfg.test_evaluator.topk}
    assert record['fingerprint_after_test'] == record['fingerprint'], (
        'tools/test.py changed files of the training run')
    test_runs = list((work / 'test').iterdir())
    assert len(test_runs) == 1 and (test_runs[0] / config.name).is_file()
    assert (test_runs[0] / f'{test_runs[0].name}.log').is_file()
    if ema_hooks:  # the hook table is in the run's log file (the console stays brief)
        assert 'EMAHook' in (test_runs[0] / f'{test_runs[0].name}.log').read_text()

    resume_log = _ok(record, 'resume')
    assert 'resumed epoch: 1, iter: 2' in resume_log
    ckpt = torch.load(work / 'epoch_2.pth', weights_only=True)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (2, 4)
    assert (work / 'last_checkpoint').read_text().strip() == str(work / 'epoch_2.pth')
    assert os.path.isfile(work / f'{config.name}')
