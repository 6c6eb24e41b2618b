"""MMPretrain / MMClassification 1.x configs: the translation table, its messages, and configs in
their style trained and tested through the real tools (subprocesses, tiny model, 32 px data)."""
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmcls_convnext.config import (
    RENAMED_TYPES,
    ConfigCompatError,
    ConfigKeyError,
    load_config_file,
    translate_config,
)
from mmcls_convnext.config import compat as config_compat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / 'engine'))
from tiny_run import REPO, run_tool  # noqa: E402

STYLES = Path(__file__).resolve().parent / 'compat_configs'
CLASSES = ['ant', 'bee', 'cat', 'dog', 'eel']


def _translate(cfg_dict, **kwargs):
    return translate_config(Config(cfg_dict), source='cfg.py', **kwargs)


# ----------------------------------------------------------------------------- the table
@pytest.mark.parametrize('old, new', sorted(RENAMED_TYPES.items()))
def test_every_renamed_type_is_built_here(old, new):
    from mmcls_convnext.registry import TRANSFORMS, VISUALIZERS
    registry = TRANSFORMS if 'Pack' in old else VISUALIZERS
    key = 'test_pipeline' if registry is TRANSFORMS else 'visualizer'
    node = dict(type=old)
    out = _translate({key: [node] if key == 'test_pipeline' else node})[0]
    built = out[key][0] if key == 'test_pipeline' else out[key]
    assert registry.get(built.type) is not None
    if old not in registry.module_dict:  # a class of their name, when we have one, wins
        assert built.type == new


def test_a_class_registered_under_their_name_wins_over_the_rename():
    from mmcls_convnext.datasets.transforms import PackInputs
    from mmcls_convnext.registry import TRANSFORMS

    class PackClsInputs(PackInputs):
        pass

    TRANSFORMS.register_module(module=PackClsInputs)
    try:
        out, translation = _translate(dict(test_pipeline=[dict(type='PackClsInputs')]))
    finally:
        TRANSFORMS.module_dict.pop('PackClsInputs')
    assert out.test_pipeline[0].type == 'PackClsInputs' and translation.changes == []


def test_universal_visualizer_is_built_under_its_own_name():
    out, translation = _translate(dict(visualizer=dict(type='UniversalVisualizer')))
    assert out.visualizer.type == 'UniversalVisualizer' and translation.changes == []


def test_foreign_scope_prefixes_and_renames():
    cfg = dict(
        default_scope='mmcls',
        model=dict(type='mmcls.ImageClassifier',
                   backbone=dict(type='mmpretrain.ConvNeXt', arch='atto'),
                   head=dict(type='LinearClsHead', num_classes=3, in_channels=320,
                             _scope_='mmpretrain')),
        test_pipeline=[dict(type='LoadImageFromFile'), dict(type='mmcls.PackClsInputs')],
        visualizer=dict(type='mmpretrain.UniversalVisualizer'),
        custom_hooks=[dict(type='mmcls.EMAHook', momentum=1e-4)])
    out, translation = _translate(cfg)
    assert out.default_scope == 'mmcls_convnext'
    assert out.model.type == 'ImageClassifier' and out.model.backbone.type == 'ConvNeXt'
    assert out.model.head._scope_ == 'mmcls_convnext'
    assert out.test_pipeline[1].type == 'PackInputs'
    assert out.visualizer.type == 'UniversalVisualizer' and out.custom_hooks[0].type == 'EMAHook'
    assert translation.origin == 'MMClassification / MMPretrain'
    assert translation.summary('cfg.py') == (
        "Translated the MMClassification / MMPretrain config cfg.py to mmcls_convnext names: "
        "'mmcls' -> 'mmcls_convnext' (default_scope); "
        "'mmcls.ImageClassifier' -> 'ImageClassifier' (model.type); "
        "'mmpretrain.ConvNeXt' -> 'ConvNeXt' (model.backbone.type); "
        "'mmpretrain' -> 'mmcls_convnext' (model.head._scope_); "
        "'mmcls.PackClsInputs' -> 'PackInputs' (test_pipeline.1.type); "
        "'mmpretrain.UniversalVisualizer' -> 'UniversalVisualizer' (visualizer.type); "
        "'mmcls.EMAHook' -> 'EMAHook' (custom_hooks.0.type)")


def test_input_config_is_not_modified():
    cfg = Config(dict(default_scope='mmpretrain', visualizer=dict(type='UniversalVisualizer')))
    translate_config(cfg)
    assert cfg.default_scope == 'mmpretrain' and cfg.visualizer.type == 'UniversalVisualizer'


def test_shipped_config_needs_no_translation(monkeypatch):
    logged = []
    monkeypatch.setattr(config_compat, 'print_log', lambda msg, **kw: logged.append(msg))
    path = REPO / 'configs' / 'convnext' / 'convnext-tiny_32xb128_in1k.py'
    cfg = Config.fromfile(str(path))
    out, translation = translate_config(cfg)
    assert translation.changes == [] and translation.origin is None and logged == []
    assert out.to_dict() == cfg.to_dict()


def test_one_log_line_for_a_translated_config(monkeypatch):
    logged = []
    monkeypatch.setattr(config_compat, 'print_log', lambda msg, **kw: logged.append(msg))
    _translate(dict(default_scope='mmpretrain', visualizer=dict(type='UniversalVisualizer'),
                    test_pipeline=[dict(type='PackClsInputs'), dict(type='PackClsInputs')]))
    assert logged == [
        "Translated the MMPretrain config cfg.py to mmcls_convnext names: 'mmpretrain' -> "
        "'mmcls_convnext' (default_scope); "
        "'PackClsInputs' -> 'PackInputs' (test_pipeline.0.type and 1 more)"]
    assert _translate(dict(default_scope='mmcls'), log=False)[1].changes


def test_other_packages_types_are_left_to_mmengine():
    cfg = dict(model=dict(type='ImageClassifier', neck=dict(type='mmdet.FPN'),
                          head=dict(type='FCNHead', _scope_='mmseg')))
    out, translation = _translate(cfg)
    assert out.model.neck.type == 'mmdet.FPN' and out.model.head._scope_ == 'mmseg'
    assert translation.changes == []


def test_custom_imports_of_their_packages_are_dropped(tmp_path, monkeypatch):
    (tmp_path / 'my_compat_plugin.py').write_text('LOADED = True\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / 'cfg.py'
    path.write_text("custom_imports = dict(imports=['mmpretrain.models', 'my_compat_plugin'], "
                    "allow_failed_imports=False)\n")
    cfg = load_config_file(str(path))  # Config.fromfile would fail: mmpretrain is not installed
    assert sys.modules['my_compat_plugin'].LOADED
    out, translation = translate_config(cfg)
    assert out.custom_imports.imports == ['my_compat_plugin']
    assert translation.changes == [('custom_imports.imports', 'mmpretrain.models',
                                    '(not needed)')]
    path.write_text("custom_imports = dict(imports=['mmcls.models'])\n")
    assert 'custom_imports' not in translate_config(load_config_file(str(path)))[0]


def test_albumentations_transforms_are_albumentations_names():
    """The ``transforms`` of ``Albumentations`` name albumentations' classes (as in
    MMPretrain's example, a helper variable ``albu_transforms``), not registered transforms:
    left as written, nested ``OneOf`` too; the wrapper's own type is still translated and
    checked."""
    albu = [dict(type='ShiftScaleRotate', shift_limit=0.0625, scale_limit=0.0, rotate_limit=0,
                 interpolation=1, p=0.5),
            dict(type='OneOf', transforms=[dict(type='Blur', blur_limit=3, p=1.0),
                                           dict(type='MedianBlur', blur_limit=3, p=1.0)], p=0.1)]
    cfg = dict(default_scope='mmpretrain', albu_transforms=albu, train_pipeline=[
        dict(type='mmpretrain.Albumentations', transforms=albu, keymap=dict(img='image')),
        dict(type='RandomApply', transforms=[dict(type='Solarize', thr=128)], prob=0.2)])
    out, translation = _translate(cfg)
    assert out.train_pipeline[0].type == 'Albumentations'
    assert out.train_pipeline[0].transforms == albu
    assert ('train_pipeline.0.type', 'mmpretrain.Albumentations',
            'Albumentations') in translation.changes
    # nested transforms of the other wrappers are still ours, and checked
    cfg['train_pipeline'][1]['transforms'] = [dict(type='Solarise', thr=128)]
    with pytest.raises(ConfigCompatError, match=r"train_pipeline\.1\.transforms\.0\.type="
                       r"'Solarise' is not a transform .*did you mean 'Solarize'"):
        _translate(cfg)
    cfg['train_pipeline'] = [dict(type='Albumentation', transforms=albu)]
    with pytest.raises(ConfigCompatError, match=r"train_pipeline\.0\.type='Albumentation' "
                       r"is not a transform .*did you mean 'Albumentations'"):
        _translate(cfg)


# ----------------------------------------------------------------------------- the messages
def test_their_evaluators_translate_unchanged():
    """MMPretrain's usual fine-tuning evaluators (scoped or not) build here as written."""
    from mmcls_convnext.registry import METRICS
    evaluators = [dict(type='Accuracy', topk=(1, 5)),
                  dict(type='mmpretrain.SingleLabelMetric',
                       items=['precision', 'recall', 'f1-score'])]
    out, translation = _translate(dict(default_scope='mmpretrain', val_evaluator=evaluators,
                                       test_evaluator=dict(type='SingleLabelMetric')))
    assert [e.type for e in out.val_evaluator] == ['Accuracy', 'SingleLabelMetric']
    assert out.test_evaluator.type == 'SingleLabelMetric'
    assert ('val_evaluator.1.type', 'mmpretrain.SingleLabelMetric',
            'SingleLabelMetric') in translation.changes
    metric = METRICS.build(out.val_evaluator[1])
    assert metric.items == ('precision', 'recall', 'f1-score') and metric.average == 'macro'


@pytest.mark.parametrize('cfg, message', [
    (dict(model=dict(type='ImageClassifier', backbone=dict(type='ResNet', depth=50))),
     r"^Cannot run cfg\.py: model\.backbone\.type='ResNet' is not a model registered in "
     r"mmcls_convnext or mmengine \(ConvNeXt backbones only: use type='ConvNeXt' with "
     r"arch='atto'\.\.\.'huge'; V2: use_grn=True, layer_scale_init_value=0\.\)$"),
    (dict(test_pipeline=[dict(type='mmcls.PackClsInput')]),
     r"^Cannot run cfg\.py: test_pipeline\.0\.type='mmcls\.PackClsInput' is not a transform "
     r"registered in mmcls_convnext or mmengine; did you mean 'PackInputs'( or '\w+')*\?$"),
    (dict(val_evaluator=dict(type='SingleLabelMetrics')),
     r"val_evaluator\.type='SingleLabelMetrics' is not a metric registered in mmcls_convnext or "
     r"mmengine; did you mean 'SingleLabelMetric'( or '\w+')*\?$"),
    (dict(train_pipeline=[dict(type='EfficientNetRandomCrp', scale=224)]),
     r"train_pipeline\.0\.type='EfficientNetRandomCrp' is not a transform registered in "
     r"mmcls_convnext or mmengine; did you mean 'EfficientNetRandomCrop'"),
    (dict(model=dict(type='TimmClassifier', model_name='convnext_tiny')),
     r"model\.type='TimmClassifier' is not a model .*convnext_to_mmcls\.py --src timm and use "
     r"type='ImageClassifier'\)$"),
    (dict(custom_hooks=[dict(type='DenseCLHook')]),
     r"custom_hooks\.0\.type='DenseCLHook' is not a hook registered in mmcls_convnext or "
     r"mmengine, and has no equivalent here\.$"),
    (dict(optim_wrapper=dict(optimizer=dict(type='AdamX'))),
     r"optim_wrapper\.optimizer\.type='AdamX' is not an optimizer .*; did you mean 'Adam'"),
    (dict(optim_wrapper=dict(constructor='LayerDecayOptimWrapperConstructor')),
     r"optim_wrapper\.constructor='LayerDecayOptimWrapperConstructor' is not an optim wrapper "
     r"constructor .*did you mean 'LearningRateDecayOptimWrapperConstructor'"),
    (dict(runner_type='FlexibleRunner2'), r"runner_type='FlexibleRunner2' is not a runner .*did "
     r"you mean 'FlexibleRunner'"),
    (dict(train_dataloader=dict(dataset=dict(type='ImageNet1k'), sampler=dict(
        type='RepeatAugSampler2'))),
     r"train_dataloader\.dataset\.type='ImageNet1k' is not a dataset .*did you mean "
     r".*'ImageNet'\?; train_dataloader\.sampler\.type='RepeatAugSampler2' is not a data "
     r"sampler .*did you mean 'RepeatAugSampler'"),
    (dict(model=dict(type='ImageClassifier', init_cfg=dict(type='TruncNormall')),
          train_cfg=dict(type='EpochBasedTrainLoop2'), visualizer=dict(
              type='ClsVisualizer', vis_backends=[dict(type='WandBVisBackend')])),
     r"model\.init_cfg\.type='TruncNormall' is not a weight initializer .*'TruncNormal'.*; "
     r"train_cfg\.type='EpochBasedTrainLoop2' is not a loop .*; visualizer\.vis_backends\.0\."
     r"type='WandBVisBackend' is not a vis backend .*'WandbVisBackend'"),
    (dict(model=dict(type='ImageClassifier', train_cfg=dict(augments=[dict(type='Mixupp')]))),
     r"model\.train_cfg\.augments\.0\.type='Mixupp' is not a batch augment .*'Mixup'"),
])
def test_untranslatable_types_name_the_key_and_the_equivalent(cfg, message):
    with pytest.raises(ConfigCompatError, match=message) as caught:
        _translate(cfg)
    assert isinstance(caught.value, ConfigKeyError) and isinstance(caught.value, ValueError)
    assert '\n' not in str(caught.value)  # one line on the command line


def _tool(relative: str):
    """Import ``tools/<relative>`` as a module (to call its ``main`` in-process)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(Path(relative).stem, REPO / 'tools' / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_prints_one_error_line(tmp_path, capsys):
    from mmcls_convnext.engine.entrypoints.common import run_cli
    cfg = tmp_path / 'bad.py'
    cfg.write_text("default_scope = 'mmpretrain'\n"
                   "model = dict(type='ImageClassifier', backbone=dict(type='ResNet'))\n")
    assert run_cli(_tool('misc/print_config.py').main, [str(cfg)]) == 1
    assert capsys.readouterr().err.strip().splitlines() == [
        f"ERROR (ConfigCompatError): Cannot run {cfg}: model.backbone.type='ResNet' is not a "
        "model registered in mmcls_convnext or mmengine (ConvNeXt backbones only: use "
        "type='ConvNeXt' with arch='atto'...'huge'; V2: use_grn=True, "
        "layer_scale_init_value=0.)"]


# ----------------------------------------------------------------------------- their configs
def _make_data(root: Path) -> Path:
    """``root/{train,val}/<class>/<i>.png`` (5 classes) and ``meta/{train,val}.txt`` lists, as
    both toolboxes' ImageNet layouts expect."""
    rng = np.random.default_rng(0)
    (root / 'meta').mkdir(parents=True)
    for split, per_class in (('train', 2), ('val', 1)):
        lines = []
        for label, name in enumerate(CLASSES):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                img = np.clip(rng.normal(50 * label, 30, (32, 32, 3)), 0, 255).astype(np.uint8)
                Image.fromarray(img).save(root / split / name / f'{i}.png')
                lines.append(f'{name}/{i}.png {label}')
        (root / 'meta' / f'{split}.txt').write_text('\n'.join(lines) + '\n')
    return root


CHILD = '''_base_ = [{leaf!r}]
# what a user changes to run it here: data paths, model size, batch size / workers, epochs
model = dict(
    backbone=dict(arch=dict(_delete_=True, depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(num_classes=5, in_channels=64))
data_preprocessor = dict(num_classes=5)
_data = dict(data_root={data!r}, classes={classes!r})
train_dataloader = dict(batch_size=5, num_workers=0, dataset=_data)
val_dataloader = dict(batch_size=5, num_workers=0, dataset=_data)
test_dataloader = val_dataloader
train_cfg = dict(max_epochs=1)
param_scheduler = [dict(type='LinearLR', start_factor=1e-3, by_epoch=True, end=1,
                        convert_to_iter_based=True)]
'''


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    return _make_data(tmp_path_factory.mktemp('compat') / 'imagenet')


def _child(tmp_path: Path, style: str, data: Path) -> Path:
    path = tmp_path / f'{style}_child.py'
    leaf = STYLES / style / 'convnext-tiny_32xb128_in1k.py'
    path.write_text(CHILD.format(leaf=str(leaf), data=str(data), classes=CLASSES))
    return path


def _ok(proc):
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def _metrics(tmp_path: Path, cfg: Path, ckpt: Path, name: str) -> dict:
    out = tmp_path / f'{name}.json'
    _ok(run_tool('test.py', str(cfg), str(ckpt), '--work-dir', str(tmp_path / name), '--out',
                 str(out), '--out-item', 'metrics'))
    return json.loads(out.read_text())


@pytest.fixture(scope='module')
def runs(data, tmp_path_factory):
    """Per style: ``(config, training log, tools/test.py metrics of the run's checkpoint)``,
    trained on first use and shared by the tests of this module."""
    done = {}

    def run(style):
        if style not in done:
            tmp = tmp_path_factory.mktemp(style)
            cfg = _child(tmp, style, data)
            log = _ok(run_tool('train.py', str(cfg), '--work-dir', str(tmp / 'run'),
                               timeout=300))
            metrics = _metrics(tmp, cfg, tmp / 'run' / 'epoch_1.pth', 'test')
            done[style] = cfg, log, metrics
        return done[style]

    return run


@pytest.mark.parametrize('style, expected', [
    ('mmpretrain', ["'mmpretrain' -> 'mmcls_convnext' (default_scope)"]),
    ('mmcls', ["'mmcls' -> 'mmcls_convnext' (default_scope)",
               "'PackClsInputs' -> 'PackInputs' (train_pipeline.5.type and 4 more)",
               "'mmcls.EMAHook' -> 'EMAHook' (custom_hooks.0.type)"]),
])
def test_their_config_trains_and_tests_unchanged(style, expected, runs):
    cfg, log, metrics = runs(style)
    lines = [line for line in log.splitlines() if 'Translated the' in line]
    assert len(lines) == 1 and all(part in lines[0] for part in expected), lines
    assert 'Epoch(val) [1][1/1]' in log and (cfg.parent / 'run' / 'epoch_1.pth').is_file()
    assert set(metrics) == {'accuracy/top1', 'accuracy/top5'}
    assert metrics['accuracy/top5'] == 100.0  # 5 classes


def test_mmcls_checkpoints_of_both_generations_load(runs, data):
    """Published MMClassification files hold the same keys as ours; 1.x keeps the class names
    in ``meta['dataset_meta']['classes']``, 0.x in ``meta['CLASSES']``."""
    from mmcls_convnext.apis import get_model, inference_model
    cfg, _, reference = runs('mmcls')
    tmp = cfg.parent
    trained = torch.load(tmp / 'run' / 'epoch_1.pth', map_location='cpu',
                         weights_only=True)['state_dict']
    names = ['n0', 'n1', 'n2', 'n3', 'n4']
    v1 = tmp / 'mmcls1x.pth'
    torch.save({'state_dict': trained, 'meta': {'mmcls_version': '1.0.0rc5', 'epoch': 1,
                                                 'dataset_meta': {'classes': names}}}, v1)
    v0 = tmp / 'mmcls0x.pth'
    torch.save({'state_dict': trained, 'meta': {'mmcls_version': '0.25.0', 'CLASSES': names,
                                                 'config': "model = dict(type='...')"}}, v0)
    assert _metrics(tmp, cfg, v1, 'v1') == reference
    image = str(data / 'val' / 'cat' / '0.png')
    expected = None
    for path in (v1, v0):
        model = get_model(str(cfg), pretrained=str(path))
        assert model.dataset_meta == {'classes': names}
        assert all(torch.equal(model.state_dict()[k], v) for k, v in trained.items())
        result = inference_model(model, image)
        assert result['pred_class'] in names
        expected = expected if expected is not None else result['pred_scores']
        np.testing.assert_array_equal(result['pred_scores'], expected)


def test_print_config_get_model_and_flops_on_their_config(data, tmp_path, capsys, monkeypatch):
    from mmcls_convnext.apis import get_model
    logged = []
    monkeypatch.setattr(config_compat, 'print_log', lambda msg, **kw: logged.append(msg))
    cfg = _child(tmp_path, 'mmpretrain', data)
    assert _tool('misc/print_config.py').main([str(cfg)]) == 0
    printed = capsys.readouterr().out
    assert "type='UniversalVisualizer'" in printed
    assert "default_scope = 'mmcls_convnext'" in printed
    model = get_model(str(cfg))
    assert model.cfg.visualizer.type == 'UniversalVisualizer'
    assert model.dataset_meta == {'classes': CLASSES}
    assert _tool('analysis_tools/get_flops.py').main([str(cfg), '--shape', '32']) == 0
    assert 'Params: ' in capsys.readouterr().out
    assert len(logged) == 3  # print_config, get_model, get_flops: one line each
    assert all(m.startswith('Translated the MMPretrain config') for m in logged)


def test_cls_runner_from_cfg_translates_their_config(tmp_path):
    """A script that builds the runner itself (no tools/) gets the same translation."""
    from tiny_run import make_image_folder, write_config

    from mmcls_convnext.engine import ClsRunner
    data = make_image_folder(tmp_path / 'data', per_class=2)
    cfg = Config.fromfile(str(write_config(tmp_path / 'their.py', data)))
    cfg.default_scope = 'mmpretrain'
    cfg.visualizer = dict(type='UniversalVisualizer', vis_backends=[dict(type='LocalVisBackend')])
    cfg.work_dir = str(tmp_path / 'work')
    runner = ClsRunner.from_cfg(cfg)
    assert runner.cfg.default_scope == 'mmcls_convnext'
    assert type(runner.visualizer).__name__ == 'UniversalVisualizer'
    runner.train()
    assert (tmp_path / 'work' / 'epoch_1.pth').is_file()


def test_custom_imports_given_on_the_command_line_are_imported(tmp_path):
    """mmengine imports ``custom_imports`` only when the file is read; --cfg-options ones too."""
    from tiny_run import make_image_folder, write_config
    plugin = tmp_path / 'plugins' / 'my_marker_hook.py'
    plugin.parent.mkdir()
    plugin.write_text(
        'from mmengine.hooks import Hook\n'
        'from mmcls_convnext.registry import HOOKS\n\n\n'
        '@HOOKS.register_module()\n'
        'class MarkerHook(Hook):\n'
        '    def before_run(self, runner):\n'
        "        open(runner.work_dir + '/marker.txt', 'w').write('ran')\n")
    data = make_image_folder(tmp_path / 'data', per_class=2)
    config = write_config(tmp_path / 'cfg.py', data, custom_hooks=[dict(type='MarkerHook')])
    env = dict(PYTHONPATH=f'{plugin.parent}{os.pathsep}{os.environ.get("PYTHONPATH", "")}')
    proc = run_tool('train.py', str(config), '--work-dir', str(tmp_path / 'work'),
                    '--cfg-options', "custom_imports.imports=['my_marker_hook']", env=env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / 'work' / 'marker.txt').read_text() == 'ran'
