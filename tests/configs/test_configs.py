"""Every config builds what its file name says, and every ``type=`` in it resolves.

File names encode the recipe: ``convnext[-v2]-<arch>_<gpus>xb<batch>_<data>[-<px>px].py``.
The expected architectures are the arch table of docs/architecture.md typed in here, not read
from the backbone.
Models are built on the meta device, so even ConvNeXt-Huge costs no memory or init time.
"""
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmcls_convnext import registry as R
from mmcls_convnext.utils import register_all_modules

ROOT = Path(__file__).resolve().parents[2]
CONFIG_DIR = ROOT / 'configs'
LEAVES = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)
BASES = sorted((CONFIG_DIR / '_base_').rglob('*.py'))

# depths, channels (the papers' arch table)
ARCHS = {
    'atto': ([2, 2, 6, 2], [40, 80, 160, 320]),
    'femto': ([2, 2, 6, 2], [48, 96, 192, 384]),
    'pico': ([2, 2, 6, 2], [64, 128, 256, 512]),
    'nano': ([2, 2, 8, 2], [80, 160, 320, 640]),
    'tiny': ([3, 3, 9, 3], [96, 192, 384, 768]),
    'small': ([3, 3, 27, 3], [96, 192, 384, 768]),
    'base': ([3, 3, 27, 3], [128, 256, 512, 1024]),
    'large': ([3, 3, 27, 3], [192, 384, 768, 1536]),
    'xlarge': ([3, 3, 27, 3], [256, 512, 1024, 2048]),
    'huge': ([3, 3, 27, 3], [352, 704, 1408, 2816]),
}
# exact V1 parameter counts with a 1000-class head
V1_PARAMS = {'tiny': 28_589_128, 'small': 50_223_688, 'base': 88_591_464,
             'large': 197_767_336, 'xlarge': 350_196_968}
# drop-path rate of the V1 ImageNet-1k recipe (the ConvNeXt paper's training settings)
V1_DROP_PATH = {'tiny': 0.1, 'small': 0.4, 'base': 0.5, 'large': 0.5, 'xlarge': 0.5}
NUM_CLASSES = {'in1k': 1000, 'in21k': 21841}
NAME_RE = re.compile(r'^convnext(?P<v2>-v2)?-(?P<arch>[a-z]+)_(?P<gpus>\d+)xb(?P<batch>\d+)_'
                     r'(?P<data>in1k|in21k)(?:-(?P<px>\d+)px)?$')
RECIPE_LEAVES = [p for p in LEAVES if NAME_RE.match(p.stem)]
# fine-tunes, MMPretrain's naming: convnext-<arch>_<pretraining data>-pre_<gpus>xb<batch>_<data>
FINETUNE_RE = re.compile(r'^convnext-(?P<arch>[a-z]+)_(?P<pre>in1k|in21k)-pre_(?P<gpus>\d+)xb'
                         r'(?P<batch>\d+)_(?P<data>cifar100|cub)$')
FINETUNE_LEAVES = [p for p in LEAVES if FINETUNE_RE.match(p.stem)]
# classes, dataset type, input of the pipeline (CIFAR: the 32x32 RGB array of a sample; CUB: a
# photo), the training resolution (the pretraining 224 for upsampled CIFAR, CUB's 448)
FINETUNE_DATA = {'cifar100': (100, 'CIFAR100', (32, 32), 224),
                 'cub': (200, 'CUB', (300, 400), 448)}

# which registry a dict's ``type`` belongs to, by the key that holds the dict
ROLE = {
    'model': R.MODELS, 'backbone': R.MODELS, 'neck': R.MODELS, 'head': R.MODELS,
    'loss': R.MODELS, 'data_preprocessor': R.MODELS, 'norm_cfg': R.MODELS, 'act_cfg': R.MODELS,
    'augments': R.BATCH_AUGMENTS, 'init_cfg': R.WEIGHT_INITIALIZERS,
    'train_pipeline': R.TRANSFORMS, 'test_pipeline': R.TRANSFORMS, 'pipeline': R.TRANSFORMS,
    'dataset': R.DATASETS, 'sampler': R.DATA_SAMPLERS, 'collate_fn': R.FUNCTIONS,
    'query': R.DATASETS, 'gallery': R.DATASETS,  # RetrievalQueryDataset's two datasets
    'prototype': None,  # a retriever's gallery dataloader (its keys have their own roles)
    'val_evaluator': R.METRICS, 'test_evaluator': R.METRICS,
    'optim_wrapper': R.OPTIM_WRAPPERS, 'optimizer': R.OPTIMIZERS,
    'param_scheduler': R.PARAM_SCHEDULERS, 'default_hooks': R.HOOKS, 'custom_hooks': R.HOOKS,
    'visualizer': R.VISUALIZERS, 'vis_backends': R.VISBACKENDS,
    'log_processor': R.LOG_PROCESSORS,
}


@pytest.fixture(scope='module', autouse=True)
def _registered():
    register_all_modules()


def _load(path: Path) -> Config:
    return Config.fromfile(str(path))


def _build_model(cfg: Config):
    model_cfg = dict(cfg.model)
    model_cfg.setdefault('data_preprocessor', cfg.get('data_preprocessor'))
    with torch.device('meta'):
        return R.MODELS.build(model_cfg)


def _unresolved(obj, registry, path='cfg'):
    """Yield ``(path, type name, registry name)`` of every type that ``registry`` cannot find."""
    if isinstance(obj, dict):
        type_name = obj.get('type')
        if isinstance(type_name, str) and registry is not None and registry.get(type_name) is None:
            yield path, type_name, registry.name
        for key, value in obj.items():
            if key == 'constructor' and isinstance(value, str):
                if R.OPTIM_WRAPPER_CONSTRUCTORS.get(value) is None:
                    yield f'{path}.constructor', value, R.OPTIM_WRAPPER_CONSTRUCTORS.name
                continue
            # inside default_hooks the keys are hook names ('param_scheduler', 'checkpoint')
            inner = registry if registry is R.HOOKS else ROLE.get(key, registry)
            yield from _unresolved(value, inner, f'{path}.{key}')
    elif isinstance(obj, (list, tuple)):
        for i, value in enumerate(obj):
            yield from _unresolved(value, registry, f'{path}[{i}]')


def _run_pipeline(pipeline_cfg, size_hw=(300, 400)):
    """Run a pipeline minus its loading step on a random BGR image; return the packed inputs."""
    steps = [R.TRANSFORMS.build(dict(step)) for step in pipeline_cfg
             if step['type'] != 'LoadImageFromFile']
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, size=(*size_hw, 3), dtype=np.uint8)
    results = dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], gt_label=0,
                   img_path='synthetic.png', sample_idx=0)
    for step in steps:
        results = step(results)
    return results['inputs']


def test_the_zoo_configs_are_all_there():
    names = {p.stem for p in RECIPE_LEAVES}
    v1 = {n for n in names if not n.startswith('convnext-v2')}
    v2 = names - v1
    assert len(v1) == 13, sorted(v1)
    assert len(v2) == 14, sorted(v2)
    assert 'convnext-large_64xb64_in21k' in v1 and 'convnext-xlarge_64xb64_in21k' in v1
    assert 'convnext-v2-huge_32xb32_in1k-512px' in v2


def test_bases_inherit_nothing_and_leaves_inherit_only_bases():
    for base in BASES:
        assert '_base_' not in _load(base).to_dict(), f'{base} inherits; bases must not'
    for leaf in LEAVES:
        text = leaf.read_text()
        for ref in re.findall(r"'(\.\./[^']+\.py)'", text):
            target = (leaf.parent / ref).resolve()
            assert target.is_file(), f'{leaf.name}: {ref} does not exist'
            assert (CONFIG_DIR / '_base_') in target.parents, f'{leaf.name} inherits {ref}'


@pytest.mark.parametrize('path', LEAVES + BASES, ids=lambda p: str(p.relative_to(CONFIG_DIR)))
def test_every_type_resolves_in_our_registries(path):
    cfg = _load(path)
    assert cfg.get('default_scope', 'mmcls_convnext') == 'mmcls_convnext'
    missing = list(_unresolved(cfg.to_dict(), None))
    assert not missing, f'{path.name}: unknown types {missing}'


@pytest.mark.parametrize('path', RECIPE_LEAVES, ids=lambda p: p.stem)
def test_recipe_config_builds_what_its_name_says(path):
    name = NAME_RE.match(path.stem).groupdict()
    cfg = _load(path)
    arch, gpus, batch = name['arch'], int(name['gpus']), int(name['batch'])
    num_classes = NUM_CLASSES[name['data']]

    model = _build_model(cfg)
    depths, channels = ARCHS[arch]
    assert list(model.backbone.depths) == depths
    assert list(model.backbone.channels) == channels
    is_v2 = name['v2'] is not None
    has_gamma = any(n.endswith('.gamma') and '.grn.' not in n
                    for n, _ in model.backbone.named_parameters())
    has_grn = any('.grn.' in n for n, _ in model.backbone.named_parameters())
    assert (has_grn, has_gamma) == (is_v2, not is_v2)
    assert model.head.fc.out_features == num_classes
    assert cfg.data_preprocessor.num_classes == num_classes
    if not is_v2 and arch in V1_PARAMS:
        expected = V1_PARAMS[arch] + (num_classes - 1000) * (channels[-1] + 1)
        assert sum(p.numel() for p in model.parameters()) == expected
    if not is_v2 and name['data'] == 'in1k' and name['px'] is None:
        assert cfg.model.backbone.drop_path_rate == V1_DROP_PATH[arch]

    # batch per GPU, and the total batch the lr was tuned for
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch


@pytest.mark.parametrize('path', RECIPE_LEAVES, ids=lambda p: p.stem)
def test_recipe_pipelines_produce_the_named_resolution(path):
    cfg = _load(path)
    px = int(NAME_RE.match(path.stem)['px'] or 224)
    train_types = [s['type'] for s in cfg.train_dataloader.dataset.pipeline]
    assert tuple(_run_pipeline(cfg.train_dataloader.dataset.pipeline).shape) == (3, px, px)
    assert tuple(_run_pipeline(cfg.test_dataloader.dataset.pipeline).shape) == (3, px, px)
    assert tuple(_run_pipeline(cfg.val_dataloader.dataset.pipeline).shape) == (3, px, px)
    if px == 224:
        assert 'RandAugment' in train_types and 'RandomErasing' in train_types
    else:  # high-resolution recipe: crop + flip only, whole image squeezed at test time
        assert 'RandAugment' not in train_types and 'RandomErasing' not in train_types
        test_types = [s['type'] for s in cfg.test_dataloader.dataset.pipeline]
        assert 'CenterCrop' not in test_types


def test_the_finetune_recipes_are_there():
    assert {p.stem for p in FINETUNE_LEAVES} >= {'convnext-tiny_in1k-pre_8xb16_cifar100',
                                                 'convnext-tiny_in1k-pre_8xb8_cub'}


@pytest.mark.parametrize('path', FINETUNE_LEAVES, ids=lambda p: p.stem)
def test_finetune_recipe_builds_what_its_name_says(path):
    from mmcls_convnext.zoo.metafile import MODELS as ZOO
    name = FINETUNE_RE.match(path.stem).groupdict()
    cfg = _load(path)
    num_classes, dataset_type, input_hw, px = FINETUNE_DATA[name['data']]
    gpus, batch = int(name['gpus']), int(name['batch'])

    model = _build_model(cfg)
    depths, channels = ARCHS[name['arch']]
    assert list(model.backbone.depths) == depths and list(model.backbone.channels) == channels
    assert model.head.fc.out_features == num_classes == cfg.data_preprocessor.num_classes
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[loader].dataset.type == dataset_type
    assert cfg.train_dataloader.batch_size == batch
    assert cfg.auto_scale_lr.base_batch_size == gpus * batch

    # backbone weights from the zoo's ImageNet model of the named pretraining, head fresh
    init = cfg.model.backbone.init_cfg
    assert (init.type, init.prefix) == ('Pretrained', 'backbone')
    zoo = [m for m in ZOO if getattr(m, 'weights', None) == init.checkpoint]
    assert len(zoo) == 1, init.checkpoint
    assert zoo[0].name.startswith(f"convnext-{name['arch']}_")
    assert ('in21k' in zoo[0].name) == (name['pre'] == 'in21k')

    # the official ConvNeXt fine-tuning recipe: AdamW 5e-5 at batch 512 (scaled linearly),
    # weight decay 1e-8, layer-wise lr decay 0.8, no warmup, cosine to 0.02x, no Mixup/CutMix,
    # label smoothing 0.1, EMA
    optimizer = cfg.optim_wrapper.optimizer
    assert optimizer.type == 'AdamW' and optimizer.weight_decay == 1e-8
    assert np.isclose(optimizer.lr, 5e-5 * gpus * batch / 512)
    assert cfg.optim_wrapper.constructor == 'LearningRateDecayOptimWrapperConstructor'
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == 0.8
    [cosine] = cfg.param_scheduler
    assert cosine.type == 'CosineAnnealingLR' and np.isclose(cosine.eta_min_ratio, 0.02)
    assert cfg.model.train_cfg is None
    assert cfg.model.head.loss.label_smooth_val == 0.1
    [ema] = [h for h in cfg.custom_hooks if h['type'] == 'EMAHook']
    steps = cfg.train_cfg.max_epochs * {'cifar100': 50000, 'cub': 5994}[name['data']] / (
        gpus * batch)
    assert 0.05 < 1 / ema['momentum'] / steps < 0.15  # averages the last ~10 % of the run

    # the pipelines give the resolution of the name's dataset
    for loader in ('train_dataloader', 'test_dataloader'):
        out = _run_pipeline(cfg[loader].dataset.pipeline, size_hw=input_hw)
        assert tuple(out.shape) == (3, px, px), (loader, out.shape)


@pytest.mark.parametrize('path', [p for p in RECIPE_LEAVES if p.stem.startswith('convnext-')
                                  and '-v2-' not in p.stem], ids=lambda p: p.stem)
def test_v1_schedule_follows_the_reference_recipe(path):
    cfg = _load(path)
    optimizer = cfg.optim_wrapper.optimizer
    assert (optimizer.type, optimizer.lr, optimizer.weight_decay) == ('AdamW', 4e-3, 0.05)
    ema = [h for h in cfg.custom_hooks if h['type'] == 'EMAHook']
    if path.stem.endswith('in21k'):
        assert cfg.train_cfg.max_epochs == 90 and not ema  # official in21k pre-training
        return
    assert cfg.train_cfg.max_epochs == 300
    warmup, cosine = cfg.param_scheduler
    assert (warmup.type, warmup.start_factor, warmup.end) == ('LinearLR', 1e-3, 20)
    assert warmup.convert_to_iter_based
    assert (cosine.type, cosine.eta_min, cosine.begin) == ('CosineAnnealingLR', 1e-5, 20)
    is_384 = path.stem.endswith('384px')
    assert [h['momentum'] for h in ema] == [4e-5 if is_384 else 1e-4]
    clip = cfg.optim_wrapper.get('clip_grad')
    assert (clip['max_norm'] if clip else None) == (5.0 if is_384 else None)


@pytest.mark.parametrize('arch, lr, epochs', [
    ('atto', 8e-4, 600), ('nano', 8e-4, 600), ('tiny', 3.2e-3, 300), ('base', 2.5e-3, 100),
    ('huge', 2.5e-3, 100)])
def test_v2_schedule_follows_the_reference_recipe(arch, lr, epochs):
    cfg = _load(CONFIG_DIR / 'convnext_v2' / f'convnext-v2-{arch}_32xb32_in1k.py')
    assert cfg.optim_wrapper.optimizer.lr == lr
    assert cfg.optim_wrapper.optimizer.weight_decay == (0.3 if epochs == 600 else 0.05)
    assert cfg.train_cfg.max_epochs == epochs


def test_quickstart_config_builds_a_small_convnext():
    cfg = _load(CONFIG_DIR / 'convnext' / 'convnext-quickstart_1xb128_fashion-mnist.py')
    model = R.MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    params = sum(p.numel() for p in model.parameters())
    assert 0.9e6 < params < 1.3e6, params
    assert model.head.fc.out_features == cfg.data_preprocessor.num_classes == 10
    assert cfg.train_dataloader.batch_size == 128 == cfg.auto_scale_lr.base_batch_size
    out = _run_pipeline(cfg.train_dataloader.dataset.pipeline, size_hw=(28, 28))
    assert tuple(out.shape) == (3, 32, 32)
    logits = model(torch.zeros(2, 3, 32, 32))
    assert tuple(logits.shape) == (2, 10)


def test_finetune_config_loads_backbone_weights_only_and_a_fresh_head():
    cfg = _load(CONFIG_DIR / 'convnext' / 'convnext-tiny_1xb32_finetune-custom.py')
    init = cfg.model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone'
    assert init.checkpoint.startswith('https://download.openmmlab.com/mmclassification/v0/')
    assert cfg.model.head.num_classes == cfg.num_classes
    assert cfg.get('load_from') is None  # whole-model loading would drag the 1000-class head in
    assert cfg.model.train_cfg is None  # no Mixup/CutMix for a small dataset
    model = _build_model(cfg)
    assert list(model.backbone.depths) == ARCHS['tiny'][0]
    assert model.head.fc.out_features == cfg.num_classes
    assert cfg.optim_wrapper.optimizer.lr < 4e-3 / 4096 * 32 * 10  # far below the scratch recipe
    assert cfg.train_cfg.max_epochs <= 50
    # the layer-decay constructor accepts the paramwise settings of the config
    constructor = R.OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type=cfg.optim_wrapper.constructor,
        optim_wrapper_cfg=dict(type='OptimWrapper', optimizer=dict(cfg.optim_wrapper.optimizer)),
        paramwise_cfg=dict(cfg.optim_wrapper.paramwise_cfg)))
    assert constructor.paramwise_cfg['layer_decay_rate'] == 0.8


def test_unknown_type_is_reported_with_its_path():
    cfg = dict(model=dict(type='ImageClassifier', backbone=dict(type='ConvNext')),
               train_pipeline=[dict(type='LoadImageFromFile'), dict(type='RandomFlipp')])
    missing = list(_unresolved(cfg, None))
    assert [(p, t) for p, t, _ in missing] == [('cfg.model.backbone', 'ConvNext'),
                                               ('cfg.train_pipeline[1]', 'RandomFlipp')]
