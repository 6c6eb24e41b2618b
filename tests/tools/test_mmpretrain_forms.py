"""The tools run as MMPretrain 1.2's documentation types them (issue 24, issue 28 items 2/3/7/10).

Each test runs a tool as a subprocess on data made here (a 3-class folder of 32 px images, a
tiny ConvNeXt whose head is biased towards class 0, hand-written logs and predictions) and
checks what it prints and writes against values computed here independently.
"""
import json
import math
import pickle
import re
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


# ---------------------------------------------------------------- analysis tools


def test_analyze_logs_prints_the_log_and_the_file_and_mmpretrain_time_lines(tmp_path):
    times = {1: [0.9, 0.2, 0.4], 2: [0.8, 0.5, 0.7]}  # the first of each epoch is left out
    run = tmp_path / 'work' / '20260101_000000' / 'vis_data'
    run.mkdir(parents=True)
    lines, step = [], 0
    for epoch, values in times.items():
        for t in values:
            step += 1
            lines.append(dict(epoch=epoch, iter=step, step=step, lr=1e-3, loss=1.0 / step,
                              time=t, data_time=0.01))
        lines.append(dict(step=epoch, **{'accuracy/top1': 50.0 + epoch}))
    log = run / 'scalars.json'
    log.write_text(''.join(json.dumps(r) + '\n' for r in lines))
    out = tmp_path / 'curve.png'
    proc = ok(run_tool('analysis_tools/analyze_logs.py', 'plot_curve', str(log), '--keys',
                       'accuracy/top1', '--out', str(out)))
    assert f'plot curve of {log}, metric is accuracy/top1' in proc.stdout
    assert f'save curve to: {out}' in proc.stdout
    assert out.read_bytes()[:4] == b'\x89PNG'
    proc = ok(run_tool('analysis_tools/analyze_logs.py', 'cal_train_time', str(log)))
    kept = {e: np.mean(v[1:]) for e, v in times.items()}  # 0.3 and 0.6
    expected = [f'-----Analyze train time of {log}-----',
                f'slowest epoch 2, average time is {kept[2]:.4f}',
                f'fastest epoch 1, average time is {kept[1]:.4f}',
                f'time std over epochs is {np.std(list(kept.values())):.4f}',
                f'average iter time: {np.mean([0.2, 0.4, 0.5, 0.7]):.4f} s/iter']
    assert proc.stdout.splitlines()[:5] == expected


def test_analyze_results_skips_an_undecodable_image_with_a_warning(tiny, tmp_path):
    root, config, _ = tiny
    records, gt, pred = _records(root)
    broken = tmp_path / 'broken.png'
    broken.write_bytes(b'not a png')
    right = [i for i in range(len(records)) if gt[i] == pred[i]]
    best = max(right, key=lambda i: float(records[i]['pred_score'].max()))
    records[best]['img_path'] = str(broken)  # the most confident correct one cannot be read
    results = _pickle(tmp_path / 'results.pkl', records)
    proc = ok(run_tool('analysis_tools/analyze_results.py', str(config), str(results),
                       '--out-dir', str(tmp_path / 'out'), '--topk', '2'))
    assert f'Skipped {broken}' in proc.stderr
    assert f'1 image(s) could not be read and were skipped: {broken}' in proc.stdout
    written = sorted(p.name for p in (tmp_path / 'out' / 'success').iterdir())
    assert len(written) == min(2, len(right) - 1)  # the next ranked image took its place
    assert not any('broken' in name for name in written)


def test_print_config_output_is_a_config_that_reloads(tiny, tmp_path):
    _, config, _ = tiny
    options = ['train_cfg.max_epochs=7', 'model.head.num_classes=5']
    proc = ok(run_tool('misc/print_config.py', str(config), *cfg_args(options)))
    assert not proc.stdout.startswith('Config')
    full = tmp_path / 'full.py'
    full.write_text(proc.stdout)  # print_config.py CFG > full.py
    from mmcls_convnext.engine.entrypoints.common import load_config
    expected = load_config(str(config), dict(o.split('=', 1) for o in options))
    expected.merge_from_dict({'model.head.num_classes': 5, 'train_cfg.max_epochs': 7})
    reloaded = Config.fromfile(str(full))
    assert reloaded.to_dict() == expected.to_dict()
    assert reloaded.train_cfg.max_epochs == 7 and reloaded.model.head.num_classes == 5


def test_verify_dataset_writes_the_broken_paths_as_mmpretrain(tiny, tmp_path):
    data = make_image_folder(tmp_path / 'data', per_class=2)
    cut = data / 'bee' / '1.png'
    cut.write_bytes(cut.read_bytes()[:60])
    config = write_config(tmp_path / 'cfg.py', data)
    log = tmp_path / 'brokenfiles.log'
    proc = run_tool('misc/verify_dataset.py', str(config), '--out-path', str(log))
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert log.read_text() == f'{cut}\n'  # one path per line, as MMPretrain writes it
    assert f'{cut} cannot be read correctly, please check it.' in proc.stdout
    assert f'1 broken files found, name list save in file:{log}' in proc.stdout


def test_eval_metric_per_class_values_with_class_names(tiny, tmp_path):
    root, config, _ = tiny
    records, gt, pred = _records(root)
    results = _pickle(tmp_path / 'results.pkl', records)
    proc = ok(run_tool('analysis_tools/eval_metric.py', str(results), '--metric',
                       'type=SingleLabelMetric', 'average=None', '--config', str(config)))
    for index, name in enumerate(CLASSES):  # precision, recall by hand
        hits = np.sum((pred == index) & (gt == index))
        precision = 100 * hits / max(1, np.sum(pred == index))
        recall = 100 * hits / np.sum(gt == index)
        lines = proc.stdout.split('single-label/recall_classwise:')
        assert f'  {index} {name}: {precision:.4f}\n' in lines[0]
        assert f'  {index} {name}: {recall:.4f}\n' in lines[1]
    assert not re.search(r'\d\.\d{5,}', proc.stdout)  # no float32 noise


def test_confusion_matrix_out_pkl_from_a_checkpoint_and_from_predictions(tiny, tmp_path):
    root, config, checkpoint = tiny
    from mmcls_convnext.evaluation.results_file import read_pickle
    cm_pkl, cm_png = tmp_path / 'cm.pkl', tmp_path / 'cm.png'
    proc = ok(run_tool('analysis_tools/confusion_matrix.py', str(config), str(checkpoint),
                       '--out', str(cm_pkl), '--show-path', str(cm_png), '--work-dir',
                       str(tmp_path / 'w')))
    matrix = read_pickle(str(cm_pkl))  # the restricted reader: a plain tensor pickle
    assert isinstance(matrix, torch.Tensor)
    # the head's bias predicts class 0 for all 12 images (4 per class)
    assert matrix.tolist() == [[4, 0, 0], [4, 0, 0], [4, 0, 0]]
    assert f'saved at {cm_pkl}' in proc.stdout and f'saved at {cm_png}' in proc.stdout
    assert cm_png.read_bytes()[:4] == b'\x89PNG'

    records, gt, pred = _records(root)
    results = _pickle(tmp_path / 'results.pkl', records)
    ok(run_tool('analysis_tools/confusion_matrix.py', str(config), str(results), '--out',
                str(cm_pkl)))
    expected = np.zeros((3, 3), int)
    np.add.at(expected, (gt, pred), 1)
    assert read_pickle(str(cm_pkl)).tolist() == expected.tolist()
    # the picture names the classes of the config's test set, in a readable size
    tool = load_tool('analysis_tools/confusion_matrix.py')
    from mmcls_convnext.engine.entrypoints.common import load_config
    classes = tool._dataset_classes(load_config(str(config), {}))
    assert classes == list(CLASSES)
    from mmcls_convnext.evaluation.metrics import ConfusionMatrix
    figure = ConfusionMatrix.plot(torch.as_tensor(expected), classes=classes)
    ax = figure.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(CLASSES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(CLASSES)
    assert min(t.get_fontsize() for t in ax.get_xticklabels()) >= 10
    assert min(figure.get_size_inches()) >= 5


def test_get_flops_accepts_a_zoo_name():
    proc = ok(run_tool('analysis_tools/get_flops.py', 'convnext-tiny_32xb128_in1k', '--shape',
                       '32'))
    config = REPO / 'configs' / 'convnext' / 'convnext-tiny_32xb128_in1k.py'
    assert f'is a model-zoo name: counting its config {config}' in proc.stdout
    assert 'Params: 28.59 M (28,589,128)' in proc.stdout  # ConvNeXt-T, as MMPretrain's table


# ---------------------------------------------------------------- model converters


def test_publish_model_no_ema_and_dataset_type(tiny, tmp_path):
    _, _, checkpoint = tiny
    from mmcls_convnext.datasets.imagenet import imagenet_categories
    source = torch.load(checkpoint, weights_only=True)
    source['meta'] = {}  # a checkpoint that names no classes
    bare = tmp_path / 'bare.pth'
    torch.save(source, bare)
    proc = ok(run_tool('model_converters/publish_model.py', str(bare),
                       str(tmp_path / 'convnext-t.pth'), '--no-ema', '--dataset-type',
                       'ImageNet'))
    assert 'The input checkpoint has EMA weights, and drop the EMA weights.' in proc.stdout
    assert 'Stored the 1000 class names of ImageNet' in proc.stdout
    path = re.search(r'Successfully generated the publish-ckpt as (\S+)\.$', proc.stdout,
                     re.M).group(1)
    assert re.fullmatch(r'.*convnext-t_\d{8}-[0-9a-f]{8}\.pth', path)
    published = torch.load(path, weights_only=True)
    assert published['meta']['dataset_meta']['classes'] == list(imagenet_categories())
    for key, value in published['state_dict'].items():  # the raw weights: EMA + 1 here
        torch.testing.assert_close(value, source['state_dict'][key] + 1)
    proc = ok(run_tool('model_converters/publish_model.py', str(checkpoint),
                       str(tmp_path / 'ema.pth')))
    assert 'The input checkpoint has EMA weights, and use the EMA weights.' in proc.stdout


# ---------------------------------------------------------------- visualization tools


def test_vis_scheduler_mmpretrain_flags(tiny, tmp_path):
    _, config, _ = tiny
    save = tmp_path / 'lr.png'
    proc = ok(run_tool('visualization/vis_scheduler.py', str(config), '--dataset-size', '100',
                       '--ngpus', '2', '--save-path', str(save), '--not-show',
                       '--window-size', '6*3'))
    per_epoch = math.ceil(100 / (4 * 2))  # batch 4 per GPU in the tiny config
    assert f' - Iterations per epoch: {per_epoch}' in proc.stdout
    assert f'The Learning Rate graph is saved at {save}' in proc.stdout
    with Image.open(save) as image:
        assert image.size == (600, 300)


def test_vis_cam_positional_checkpoint_chosen_layer_and_small_map_warning(tiny, tmp_path):
    root, config, checkpoint = tiny
    image = root / 'data' / 'bee' / '0.png'
    out = tmp_path / 'cam.png'
    proc = ok(run_tool('visualization/vis_cam.py', str(image), str(config), str(checkpoint),
                       '--method', 'GradCAM', '--save-path', str(out)))
    # 32 px input: stages are 8, 4, 2 and 1 px; the deepest of at least 4x4 is chosen
    assert ('Automatically choose "backbone.stages.1" as the target layer (4x4 map): the last '
            'stage "backbone.stages.3" is only 1x1 at this input size.') in proc.stdout
    assert f'for class 0 (ant, score' in proc.stdout and f'saved to {out}' in proc.stdout
    with Image.open(out) as picture:
        assert picture.size[0] > 224 and picture.size[1] > 224  # caption band and colour bar
    proc = ok(run_tool('visualization/vis_cam.py', str(image), str(config), '--checkpoint',
                       str(checkpoint), '--target-layers', 'backbone.stages.3', '--save-path',
                       str(out)))
    assert ('warning: the map of backbone.stages.3 is only 1x1 pixels at this input size, so '
            'the picture is nearly uniform; --target-layers backbone.stages.1 gives a 4x4 '
            'map.') in proc.stdout


def test_browse_dataset_mmpretrain_flags_across_classes(tiny, tmp_path):
    _, config, _ = tiny
    out = tmp_path / 'browse'
    proc = ok(run_tool('visualization/browse_dataset.py', str(config), '-o', str(out), '-n',
                       '3', '-m', 'original', '--not-show'))
    assert [line.split('label=')[1] for line in proc.stdout.splitlines() if 'label=' in line
            ] == list(CLASSES)
    assert 'across 3 classes' in proc.stdout
    with Image.open(sorted(out.glob('*.png'))[0]) as picture:
        assert picture.size[0] == 32 * 7  # 32 px enlarged by 7 (>= 224), label band above
        assert picture.size[1] > 32 * 7


def test_vis_tsne_features_legend_and_pictures(tiny, tmp_path):
    _, config, checkpoint = tiny
    proc = ok(run_tool('visualization/vis_tsne.py', str(config), '--checkpoint',
                       str(checkpoint), '--work-dir', str(tmp_path), '--vis-stage', 'backbone',
                       '--max-num-samples', '3', '--perplexity', '2', '--n-iter', '250',
                       '--legend', *cfg_args(['model.backbone.out_indices=(2,3)'])))
    out = Path(re.search(r'^Save features and results to (\S+)$', proc.stdout, re.M).group(1))
    assert out.parent == tmp_path and out.name.startswith('tsne_')
    labels = np.load(out / 'labels.npy')
    assert labels.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]  # --max-num-samples 3 per class
    assert np.load(out / 'feat_2.npy').shape == (9, 32)  # stage 2: 32 channels, pooled
    assert np.load(out / 'feat_3.npy').shape == (9, 64)
    for key in ('feat_2', 'feat_3'):
        assert f'{key}: ' in proc.stdout and f'-> {out / key}.png' in proc.stdout
        assert (out / f'{key}.png').read_bytes()[:4] == b'\x89PNG'
    tool = load_tool('visualization/vis_tsne.py')  # the legend's texts, drawn here
    texts = tool.plot_embedding(np.random.default_rng(0).normal(size=(9, 2)), labels,
                                [0, 1, 2], list(CLASSES), 't', str(tmp_path / 'x.png'), False)
    assert texts == ['0 ant', '1 bee', '2 cat']


# ---------------------------------------------------------------- a shortened recipe


def test_shortened_recipe_names_the_scheduler_keys_and_the_fix_runs(tmp_path):
    config = REPO / 'configs' / 'convnext' / 'convnext-tiny_32xb128_in1k.py'
    data = make_tiny_imagenet(tmp_path / 'data', train_per_class=1, val_per_class=1)
    options = shrink_options(data) + ['train_cfg.max_epochs=1']
    proc = run_tool('train.py', str(config), '--work-dir', str(tmp_path / 'w'),
                    *cfg_args(options))
    assert proc.returncode == 1
    error = proc.stderr.strip().splitlines()[-1]
    assert error.startswith('ERROR (ScheduleLengthError): train_cfg.max_epochs=1 is shorter '
                            'than the param_scheduler: param_scheduler[1] (CosineAnnealingLR) '
                            'begins at epoch 20 (after the warmup param_scheduler[0] '
                            '(LinearLR), end=20)')
    fix = error.split('--cfg-options ', 1)[1].split()
    assert fix == ['train_cfg.max_epochs=1', 'param_scheduler.0.end=0.5',
                   'param_scheduler.1.begin=0.5', 'param_scheduler.1.convert_to_iter_based=True']
    ok(run_tool('train.py', str(config), '--work-dir', str(tmp_path / 'w'),
                *cfg_args(shrink_options(data) + fix)))
    assert list((tmp_path / 'w').glob('epoch_1.pth'))
