"""The tools run as MMPretrain 1.2's documentation types them (issue 24, issue 28 items 2/3/7/10).

Each test checks what a tool printed and wrote, against values computed here independently,
on data made here (a 3-class folder of 32 px images, a tiny ConvNeXt whose head is biased
towards class 0, hand-written logs and predictions). The tools run in a subprocess exactly as
``python tools/<tool> ARGS``; to save ~2.5 s of interpreter start-up per run, the runs share
one subprocess (``tests/tool_batch.py``, each run as ``__main__`` with its own log of stdout and
stderr). ``print_config.py`` runs alone: its stdout must be the config and nothing else.
"""
import json
import math
import pickle
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS))
sys.path.insert(0, str(TESTS / 'engine'))
from tiny_run import CLASSES, make_image_folder, write_config  # noqa: E402
from tool_runs import (  # noqa: E402
    REPO,
    cfg_args,
    load_tool,
    make_tiny_imagenet,
    ok,
    run_tool,
    shrink_options,
    tool_env,
)

torch.set_num_threads(1)


@pytest.fixture(scope='module')
def tiny(tmp_path_factory):
    """(root, config, checkpoint): 4 images per class; the head's bias makes class 0 win."""
    from mmcls_convnext.registry import MODELS
    from mmcls_convnext.utils import register_all_modules
    register_all_modules()
    root = tmp_path_factory.mktemp('forms')
    data = make_image_folder(root / 'data', per_class=4)
    config = write_config(root / 'tiny.py', data)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(str(config)).model)
    state = model.state_dict()
    state['head.fc.bias'][0] = 50.0
    raw = {f'module.{k}': v + 1 for k, v in state.items()}  # EMAHook: raw weights, prefixed
    raw['steps'] = torch.tensor(7)
    checkpoint = root / 'epoch_1.pth'
    torch.save({'state_dict': state, 'ema_state_dict': raw,
                'meta': {'dataset_meta': {'classes': list(CLASSES)}}}, checkpoint)
    return root, config, checkpoint


def _records(root: Path):
    """Hand-made predictions of the 12 images: (records, ground truth, predicted class)."""
    images = sorted((root / 'data').rglob('*.png'))
    gt = np.array([CLASSES.index(p.parent.name) for p in images])
    rng = np.random.default_rng(1)
    scores = rng.dirichlet(np.ones(3), size=len(images)).astype(np.float32)
    records = [dict(pred_score=torch.from_numpy(s), gt_label=torch.tensor([g]), img_path=str(p))
               for s, g, p in zip(scores, gt, images)]
    return records, gt, scores.argmax(1)


def _pickle(path: Path, obj) -> Path:
    with open(path, 'wb') as f:
        pickle.dump(obj, f)
    return path


SEED_CONFIG = REPO / 'configs' / 'convnext' / 'convnext-tiny_32xb128_in1k.py'
TIMES = {1: [0.9, 0.2, 0.4], 2: [0.8, 0.5, 0.7]}  # iteration times of a hand-written log
#: the --cfg-options that the shortened-recipe error suggests (checked against it below)
SCHEDULE_FIX = ['param_scheduler.0.end=0.5', 'param_scheduler.1.begin=0.5',
                'param_scheduler.1.convert_to_iter_based=True']


def _write_log(root: Path) -> Path:
    run = root / 'work' / '20260101_000000' / 'vis_data'
    run.mkdir(parents=True)
    lines, step = [], 0
    for epoch, values in TIMES.items():
        for t in values:
            step += 1
            lines.append(dict(epoch=epoch, iter=step, step=step, lr=1e-3, loss=1.0 / step,
                              time=t, data_time=0.01))
        lines.append(dict(step=epoch, **{'accuracy/top1': 50.0 + epoch}))
    log = run / 'scalars.json'
    log.write_text(''.join(json.dumps(r) + '\n' for r in lines))
    return log


@pytest.fixture(scope='module')
def runs(tiny):
    """``{id: (exit status, output)}`` of every tool run of this module, run in one batch."""
    root, config, checkpoint = tiny
    out = root / 'out'
    out.mkdir()
    records, gt, pred = _records(root)
    results = _pickle(root / 'results.pkl', records)
    broken = root / 'broken.png'
    broken.write_bytes(b'not a png')
    right = [i for i in range(len(records)) if gt[i] == pred[i]]
    best = max(right, key=lambda i: float(records[i]['pred_score'].max()))
    damaged = [dict(r) for r in records]
    damaged[best]['img_path'] = str(broken)  # the most confident correct one cannot be read
    _pickle(root / 'damaged.pkl', damaged)
    verify_data = make_image_folder(root / 'verify', per_class=2)
    cut = verify_data / 'bee' / '1.png'
    cut.write_bytes(cut.read_bytes()[:60])
    write_config(root / 'verify.py', verify_data)
    source = torch.load(checkpoint, weights_only=True)
    source['meta'] = {}  # a checkpoint that names no classes
    torch.save(source, root / 'bare.pth')
    imagenet = make_tiny_imagenet(root / 'imagenet', train_per_class=1, val_per_class=1)
    short = shrink_options(imagenet) + ['train_cfg.max_epochs=1']
    log = _write_log(root)
    image = root / 'data' / 'bee' / '0.png'
    plan = {
        'plot_curve': ('analysis_tools/analyze_logs.py', 'plot_curve', log, '--keys',
                       'accuracy/top1', '--out', out / 'curve.png'),
        'cal_train_time': ('analysis_tools/analyze_logs.py', 'cal_train_time', log),
        'analyze_results': ('analysis_tools/analyze_results.py', config, root / 'damaged.pkl',
                            '--out-dir', out / 'gallery', '--topk', '2'),
        'verify': ('misc/verify_dataset.py', root / 'verify.py', '--out-path',
                   out / 'brokenfiles.log'),
        'eval_metric': ('analysis_tools/eval_metric.py', results, '--metric',
                        'type=SingleLabelMetric', 'average=None', '--config', config),
        'cm_checkpoint': ('analysis_tools/confusion_matrix.py', config, checkpoint, '--out',
                          out / 'cm_ckpt.pkl', '--show-path', out / 'cm.png', '--work-dir',
                          root / 'cm_run'),
        'cm_results': ('analysis_tools/confusion_matrix.py', config, results, '--out',
                       out / 'cm_results.pkl'),
        'get_flops': ('analysis_tools/get_flops.py', 'convnext-tiny_32xb128_in1k', '--shape',
                      '32'),
        'publish_no_ema': ('model_converters/publish_model.py', root / 'bare.pth',
                           out / 'convnext-t.pth', '--no-ema', '--dataset-type', 'ImageNet'),
        'publish_ema': ('model_converters/publish_model.py', checkpoint, out / 'ema.pth'),
        'vis_scheduler': ('visualization/vis_scheduler.py', config, '--dataset-size', '100',
                          '--ngpus', '2', '--save-path', out / 'lr.png', '--not-show',
                          '--window-size', '6*3'),
        'cam_positional': ('visualization/vis_cam.py', image, config, checkpoint, '--method',
                           'GradCAM', '--save-path', out / 'cam.png'),
        'cam_option': ('visualization/vis_cam.py', image, config, '--checkpoint', checkpoint,
                       '--target-layers', 'backbone.stages.3', '--save-path',
                       out / 'cam3.png'),
        'browse': ('visualization/browse_dataset.py', config, '-o', out / 'browse', '-n', '3',
                   '-m', 'original', '--not-show'),
        'tsne': ('visualization/vis_tsne.py', config, '--checkpoint', checkpoint, '--work-dir',
                 out / 'tsne', '--vis-stage', 'backbone', '--max-num-samples', '3',
                 '--perplexity', '2', '--n-iter', '250', '--legend', '--cfg-options',
                 'model.backbone.out_indices=(2,3)'),
        'test_interval': ('test.py', config, checkpoint, '--work-dir', root / 'test_run',
                          '--show-dir', out / 'shown', '--interval', '5', '--no-pin-memory'),
        'short_recipe': ('train.py', SEED_CONFIG, '--work-dir', root / 'short',
                         *cfg_args(short)),
        'short_recipe_fixed': ('train.py', SEED_CONFIG, '--work-dir', root / 'short',
                               *cfg_args(short + SCHEDULE_FIX)),
    }
    entries = [dict(id=key, tool=str(args[0]), argv=[str(a) for a in args[1:]],
                    log=str(root / f'{key}.log')) for key, args in plan.items()]
    (root / 'plan.json').write_text(json.dumps(entries))
    proc = subprocess.run([sys.executable, str(TESTS / 'tool_batch.py'), str(root / 'plan.json'),
                           str(root / 'rcs.json')], cwd=str(REPO), env=tool_env(),
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    rcs = json.loads((root / 'rcs.json').read_text())
    return dict(root=root, out=out, log=log, records=records, gt=gt, pred=pred, right=right,
                broken=broken, cut=cut,
                **{key: (rcs[key]['rc'], (root / f'{key}.log').read_text()) for key in plan})


def _ok(run):
    rc, text = run
    assert rc == 0, text[-4000:]
    return text


# ---------------------------------------------------------------- analysis tools


def test_analyze_logs_prints_the_log_and_the_file_and_mmpretrain_time_lines(runs):
    log, out = runs['log'], runs['out'] / 'curve.png'
    text = _ok(runs['plot_curve'])
    assert f'plot curve of {log}, metric is accuracy/top1' in text
    assert f'save curve to: {out}' in text
    assert out.read_bytes()[:4] == b'\x89PNG'
    kept = {e: np.mean(v[1:]) for e, v in TIMES.items()}  # the first of each epoch left out
    expected = [f'-----Analyze train time of {log}-----',
                f'slowest epoch 2, average time is {kept[2]:.4f}',
                f'fastest epoch 1, average time is {kept[1]:.4f}',
                f'time std over epochs is {np.std(list(kept.values())):.4f}',
                f'average iter time: {np.mean([0.2, 0.4, 0.5, 0.7]):.4f} s/iter']
    lines = _ok(runs['cal_train_time']).splitlines()
    start = lines.index(expected[0])
    assert lines[start:start + 5] == expected


def test_analyze_results_skips_an_undecodable_image_with_a_warning(runs):
    text, broken = _ok(runs['analyze_results']), runs['broken']
    assert f'Skipped {broken}: it cannot be read' in text
    assert f'1 image(s) could not be read and were skipped: {broken}' in text
    written = sorted(p.name for p in (runs['out'] / 'gallery' / 'success').iterdir())
    assert len(written) == min(2, len(runs['right']) - 1)  # the next ranked took its place
    assert not any('broken' in name for name in written)


def test_print_config_output_is_a_config_that_reloads(tiny, tmp_path):
    _, config, _ = tiny
    options = ['train_cfg.max_epochs=7', 'model.head.num_classes=5']
    proc = ok(run_tool('misc/print_config.py', str(config), *cfg_args(options)))
    assert not proc.stdout.startswith('Config')
    full = tmp_path / 'full.py'
    full.write_text(proc.stdout)  # print_config.py CFG > full.py
    from mmcls_convnext.config import load_config
    expected = load_config(str(config), {'train_cfg.max_epochs': 7,
                                         'model.head.num_classes': 5})
    reloaded = Config.fromfile(str(full))
    assert reloaded.to_dict() == expected.to_dict()
    assert reloaded.train_cfg.max_epochs == 7 and reloaded.model.head.num_classes == 5


def test_verify_dataset_writes_the_broken_paths_as_mmpretrain(runs):
    rc, text = runs['verify']
    assert rc == 1, text[-3000:]  # ours: exit status 1 when a file is broken
    log, cut = runs['out'] / 'brokenfiles.log', runs['cut']
    assert log.read_text() == f'{cut}\n'  # one path per line, as MMPretrain writes it
    assert f'{cut} cannot be read correctly, please check it.' in text
    assert f'1 broken files found, name list save in file:{log}' in text


def test_eval_metric_per_class_values_with_class_names(runs):
    text, gt, pred = _ok(runs['eval_metric']), runs['gt'], runs['pred']
    precision_part, recall_part = text.split('single-label/recall_classwise:')
    for index, name in enumerate(CLASSES):  # precision and recall by hand
        hits = np.sum((pred == index) & (gt == index))
        precision = 100 * hits / max(1, np.sum(pred == index))
        recall = 100 * hits / np.sum(gt == index)
        assert f'  {index} {name}: {precision:.4f}\n' in precision_part
        assert f'  {index} {name}: {recall:.4f}\n' in recall_part
    assert not re.search(r'\d\.\d{5,}', text)  # no float32 noise


def test_confusion_matrix_out_pkl_from_a_checkpoint_and_from_predictions(runs, tiny):
    from mmcls_convnext.evaluation.results_file import read_pickle
    out = runs['out']
    text = _ok(runs['cm_checkpoint'])
    matrix = read_pickle(str(out / 'cm_ckpt.pkl'))  # the restricted reader: a tensor pickle
    assert isinstance(matrix, torch.Tensor)
    # the head's bias predicts class 0 for all 12 images (4 per class)
    assert matrix.tolist() == [[4, 0, 0], [4, 0, 0], [4, 0, 0]]
    assert f'saved at {out / "cm_ckpt.pkl"}' in text and f'saved at {out / "cm.png"}' in text
    assert (out / 'cm.png').read_bytes()[:4] == b'\x89PNG'

    _ok(runs['cm_results'])
    expected = np.zeros((3, 3), int)
    np.add.at(expected, (runs['gt'], runs['pred']), 1)
    assert read_pickle(str(out / 'cm_results.pkl')).tolist() == expected.tolist()
    # the picture names the classes of the config's test set, in a readable size
    tool = load_tool('analysis_tools/confusion_matrix.py')
    from mmcls_convnext.config import load_config
    classes = tool._dataset_classes(load_config(str(tiny[1]), {}))
    assert classes == list(CLASSES)
    from mmcls_convnext.evaluation.metrics import ConfusionMatrix
    figure = ConfusionMatrix.plot(torch.as_tensor(expected), classes=classes)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(CLASSES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CLASSES)
    assert min(t.get_fontsize() for t in ax.get_xticklabels()) >= 10
    assert min(figure.get_size_inches()) >= 5


def test_get_flops_accepts_a_zoo_name(runs):
    text = _ok(runs['get_flops'])
    assert f'is a model-zoo name: counting its config {SEED_CONFIG}' in text
    assert 'Params: 28.59 M (28,589,128)' in text  # ConvNeXt-T, as MMPretrain's table


# ---------------------------------------------------------------- model converters


def test_publish_model_no_ema_and_dataset_type(runs, tiny):
    from mmcls_convnext.datasets.imagenet import imagenet_categories
    text = _ok(runs['publish_no_ema'])
    assert 'The input checkpoint has EMA weights, and drop the EMA weights.' in text
    assert 'Stored the 1000 class names of ImageNet' in text
    path = re.search(r'Successfully generated the publish-ckpt as (\S+)\.$', text,
                     re.M).group(1)
    assert re.fullmatch(r'.*convnext-t_\d{8}-[0-9a-f]{8}\.pth', path)
    published = torch.load(path, weights_only=True)
    assert published['meta']['dataset_meta']['classes'] == list(imagenet_categories())
    source = torch.load(tiny[2], weights_only=True)
    for key, value in published['state_dict'].items():  # the raw weights: EMA + 1 here
        torch.testing.assert_close(value, source['state_dict'][key] + 1)
    text = _ok(runs['publish_ema'])
    assert 'The input checkpoint has EMA weights, and use the EMA weights.' in text


# ---------------------------------------------------------------- visualization tools


def test_vis_scheduler_mmpretrain_flags(runs):
    text, save = _ok(runs['vis_scheduler']), runs['out'] / 'lr.png'
    per_epoch = math.ceil(100 / (4 * 2))  # batch 4 per GPU in the tiny config
    assert f' - Iterations per epoch: {per_epoch}' in text
    assert f'The Learning Rate graph is saved at {save}' in text
    with Image.open(save) as image:
        assert image.size == (600, 300)  # --window-size 6*3 inches at 100 dpi


def test_vis_cam_positional_checkpoint_chosen_layer_and_small_map_warning(runs):
    text, out = _ok(runs['cam_positional']), runs['out'] / 'cam.png'
    # 32 px input: stages are 8, 4, 2 and 1 px; the deepest of at least 4x4 is chosen
    assert ('Automatically choose "backbone.stages.1" as the target layer (4x4 map): the last '
            'stage "backbone.stages.3" is only 1x1 at this input size.') in text
    assert 'for class 0 (ant, score' in text and f'saved to {out}' in text
    with Image.open(out) as picture:
        assert picture.size[0] > 224 and picture.size[1] > 224  # caption band and colour bar
    text = _ok(runs['cam_option'])  # the older --checkpoint form
    assert ('warning: the map of backbone.stages.3 is only 1x1 pixels at this input size, so '
            'the picture is nearly uniform; --target-layers backbone.stages.1 gives a 4x4 '
            'map.') in text


def test_browse_dataset_mmpretrain_flags_across_classes(runs):
    text = _ok(runs['browse'])
    assert [line.split('label=')[1] for line in text.splitlines() if 'label=' in line
            ] == list(CLASSES)
    assert 'across 3 classes' in text
    with Image.open(sorted((runs['out'] / 'browse').glob('*.png'))[0]) as picture:
        assert picture.size[0] == 32 * 7  # 32 px enlarged by 7 (>= 224), label band above
        assert picture.size[1] > 32 * 7


def test_vis_tsne_features_legend_and_pictures(runs, tmp_path):
    text = _ok(runs['tsne'])
    out = Path(re.search(r'^Save features and results to (\S+)$', text, re.M).group(1))
    assert out.parent == runs['out'] / 'tsne' and out.name.startswith('tsne_')
    labels = np.load(out / 'labels.npy')
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]  # --max-num-samples 3 per class
    assert np.load(out / 'feat_2.npy').shape == (9, 32)  # stage 2: 32 channels, pooled
    assert np.load(out / 'feat_3.npy').shape == (9, 64)
    for key in ('feat_2', 'feat_3'):
        assert f'-> {out / key}.png' in text
        assert (out / f'{key}.png').read_bytes()[:4] == b'\x89PNG'
    tool = load_tool('visualization/vis_tsne.py')  # the legend's texts, drawn here
    texts = tool.plot_embedding(np.random.default_rng(0).normal(size=(9, 2)), labels,
                                [0, 1, 2], list(CLASSES), 't', str(tmp_path / 'x.png'), False)
    assert texts == ['0 ant', '1 bee', '2 cat']


def test_test_py_interval_and_no_pin_memory(runs):
    _ok(runs['test_interval'])
    drawn = sorted(p.name for p in (runs['out'] / 'shown').iterdir())
    assert len(drawn) == 3  # images 0, 5 and 10 of the 12: --interval 5
    assert [int(name.rsplit('_', 1)[1][:-4]) for name in drawn] == [0, 5, 10]  # sample_idx


# ---------------------------------------------------------------- a shortened recipe


def test_shortened_recipe_names_the_scheduler_keys_and_the_fix_runs(runs):
    rc, text = runs['short_recipe']
    assert rc == 1
    error = text.strip().splitlines()[-1]
    assert error.startswith('ERROR (ScheduleLengthError): train_cfg.max_epochs=1 is shorter '
                            'than the param_scheduler: param_scheduler[1] (CosineAnnealingLR) '
                            'begins at epoch 20 (after the warmup param_scheduler[0] '
                            '(LinearLR), end=20)')
    assert error.split('--cfg-options ', 1)[1].split() == ['train_cfg.max_epochs=1',
                                                           *SCHEDULE_FIX]
    _ok(runs['short_recipe_fixed'])  # the suggested options train
    assert (runs['root'] / 'short' / 'epoch_1.pth').is_file()
