"""The shipped multi-label recipe end to end, as a user runs it: tools/train.py then
tools/test.py on a VOC2007 tree written here, then eval_metric.py on the saved predictions,
inference_model and demo/image_demo.py on the trained checkpoint.

Only the architecture (a 4-stage ConvNeXt of width 8-64), the image size (48 px), the data
location, batch sizes, epochs and the pretrained-weights init (none offline) change, all with
``--cfg-options``. The reported mAP / CP / CR / CF1 / OP / OR / OF1 are checked against
scikit-learn and numpy counts computed from the per-image predictions test.py saves.
"""
import colorsys
import json
import pickle
import sys
from pathlib import Path

import numpy as np
import pytest
import sklearn.metrics
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tool_runs import (  # noqa: E402
    REPO,
    TINY_CHANNELS,
    TINY_DEPTHS,
    cfg_args,
    load_tool,
    ok,
    run_tool,
)

from mmcls_convnext.datasets.categories import VOC2007_CATEGORIES  # noqa: E402

CONFIG = REPO / 'configs' / 'convnext' / 'convnext-tiny_8xb16_voc.py'
NUM_CLASSES = len(VOC2007_CATEGORIES)
SIZE = 48


def _colour(c: int) -> np.ndarray:
    """A distinct RGB colour per class (hue steps of 18 degrees)."""
    return np.uint8([round(255 * v) for v in colorsys.hsv_to_rgb(c / NUM_CLASSES, 1., 1.)])


def make_voc_tree(root: Path, n_train: int = 60, n_test: int = 20, seed: int = 0) -> dict:
    """A VOC2007 tree: each image holds 1-3 classes, each a square of its class colour; about
    one object in eight is marked difficult. Returns ``{image id: (labels, difficult-only)}``."""
    rng = np.random.default_rng(seed)
    for sub in ('JPEGImages', 'Annotations', 'ImageSets/Main'):
        (root / sub).mkdir(parents=True)
    truth, splits = {}, {'train': [], 'test': []}
    for i in range(n_train + n_test):
        img_id = f'{i:06d}'
        split = 'train' if i < n_train else 'test'
        # every class appears in the test split (class i mod 20 is always present)
        classes = {i % NUM_CLASSES} | set(rng.choice(NUM_CLASSES, rng.integers(0, 3)).tolist())
        img = rng.integers(0, 60, size=(SIZE, SIZE, 3), dtype=np.uint8)
        objects = []
        for k, c in enumerate(sorted(classes)):
            y, x = (k // 2) * 24, (k % 2) * 24
            img[y:y + 20, x:x + 20] = _colour(c)
            difficult = int(rng.random() < 0.125 and k > 0)
            objects.append((VOC2007_CATEGORIES[c], difficult))
        Image.fromarray(img).save(root / 'JPEGImages' / f'{img_id}.jpg', quality=95)
        body = ''.join(f'<object><name>{n}</name><difficult>{d}</difficult><bndbox><xmin>1'
                       f'</xmin><ymin>1</ymin><xmax>20</xmax><ymax>20</ymax></bndbox></object>'
                       for n, d in objects)
        (root / 'Annotations' / f'{img_id}.xml').write_text(
            f'<annotation><filename>{img_id}.jpg</filename>{body}</annotation>')
        splits[split].append(img_id)
        plain = sorted(VOC2007_CATEGORIES.index(n) for n, d in objects if not d)
        hard = sorted(VOC2007_CATEGORIES.index(n) for n, d in objects if d)
        truth[img_id] = (plain, sorted(set(hard) - set(plain)))
    for split, ids in splits.items():
        (root / 'ImageSets' / 'Main' / f'{split}.txt').write_text('\n'.join(ids) + '\n')
    return truth


def shrink(data_root: Path, epochs: int = 30) -> list:
    """``--cfg-options`` that shrink the VOC recipe to a CPU test."""
    options = [
        'model.backbone.arch._delete_=True',
        f'model.backbone.arch.depths={TINY_DEPTHS}'.replace(' ', ''),
        f'model.backbone.arch.channels={TINY_CHANNELS}'.replace(' ', ''),
        'model.backbone.init_cfg=None',  # no ImageNet weights offline
        'model.backbone.drop_path_rate=0.0',
        f'model.head.in_channels={TINY_CHANNELS[-1]}',
        'train_dataloader.dataset.split=train',  # the tree has train/test lists only
        'train_dataloader.dataset.pipeline.1.scale=40',
        # the squares sit in fixed quadrants: crops that keep most of the image keep them
        'train_dataloader.dataset.pipeline.1.crop_ratio_range=(0.8,1.0)',
        'val_dataloader.dataset.pipeline.1.scale=48',
        'val_dataloader.dataset.pipeline.2.crop_size=40',
        'test_dataloader.dataset.pipeline.1.scale=48',
        'test_dataloader.dataset.pipeline.2.crop_size=40',
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        'optim_wrapper.optimizer.lr=0.005',  # a fresh tiny net, not a fine-tune:
        'optim_wrapper.paramwise_cfg.layer_decay_rate=1.0',  # every layer learns at full lr
        'default_hooks.logger.interval=5', 'randomness.seed=0',
        'default_hooks.checkpoint.interval=1000',  # only the best (the last val)
    ]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.dataset.data_root={data_root}', f'{loader}.batch_size=8',
                    f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    return options


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    """Train and test once; the tests below read what the runs left."""
    base = tmp_path_factory.mktemp('voc_e2e')
    data_root = base / 'VOCdevkit' / 'VOC2007'
    truth = make_voc_tree(data_root)
    work = base / 'work'
    options = shrink(data_root)
    ok(run_tool('train.py', str(CONFIG), '--work-dir', str(work), *cfg_args(options),
                timeout=600))
    ckpts = sorted(work.glob('best_multi-label_mAP_epoch_*.pth'))
    assert ckpts, sorted(p.name for p in work.iterdir())
    preds = base / 'preds.pkl'
    proc = ok(run_tool('test.py', str(CONFIG), str(ckpts[-1]), '--work-dir', str(base / 'test'),
                       '--out', str(preds), *cfg_args(options), timeout=600))
    # the metrics test.py reported (its json log: one line of metrics)
    logs = sorted((base / 'test').glob('test/*/*.json'))
    assert len(logs) == 1, logs
    metrics = json.loads(logs[0].read_text().splitlines()[0])
    return dict(base=base, truth=truth, ckpt=ckpts[-1], preds=preds, options=options,
                metrics=metrics, stdout=proc.stdout + proc.stderr)


def _records(path: Path) -> list:
    from mmcls_convnext.evaluation import read_results
    return read_results(str(path))


def _expected(records: list, truth: dict):
    """Scores (N, C) and targets (N, C) with difficult-only labels as -1, from the saved
    predictions and the tree's own truth (not the dataset's parsing)."""
    scores, target = [], []
    for r in records:
        plain, hard = truth[Path(r['img_path']).stem]
        row = np.zeros(NUM_CLASSES, dtype=int)
        row[plain] = 1
        row[hard] = -1
        target.append(row)
        scores.append(np.asarray(r['pred_score'], dtype=np.float64))
    return np.stack(scores), np.stack(target)


def test_train_then_test_report_voc_metrics_that_match_sklearn(trained):
    m = trained['metrics']
    for key in ('multi-label/mAP', 'multi-label/precision', 'multi-label/recall',
                'multi-label/f1-score', 'multi-label/precision_micro',
                'multi-label/recall_micro', 'multi-label/f1-score_micro'):
        assert key in m and 0 <= m[key] <= 100, (key, m)
    records = _records(trained['preds'])
    assert len(records) == 20
    scores, target = _expected(records, trained['truth'])
    # mAP: scikit-learn per class over the images where the label is not difficult-only
    aps = []
    for c in range(NUM_CLASSES):
        keep = target[:, c] != -1
        y = target[keep, c]
        aps.append(sklearn.metrics.average_precision_score(y, scores[keep, c]) if y.any()
                   else 0.)
    assert m['multi-label/mAP'] == pytest.approx(100 * np.mean(aps), abs=1e-4)
    # CP/CR/CF1 and OP/OR/OF1 at thr 0.5 from numpy counts (difficult-only labels ignored)
    pred = (scores >= 0.5).astype(int)
    valid = target != -1
    tp = ((pred == 1) & (target == 1) & valid).sum(0)
    n_pred = ((pred == 1) & valid).sum(0)
    n_gt = (target == 1).sum(0)
    cp = np.mean(np.where(n_pred > 0, tp / np.maximum(n_pred, 1), 0))
    cr = np.mean(tp / np.maximum(n_gt, 1))
    cf1 = np.mean(2 * tp / np.maximum(n_pred + n_gt, 1))
    op, or_ = tp.sum() / max(n_pred.sum(), 1), tp.sum() / n_gt.sum()
    of1 = 2 * op * or_ / (op + or_) if op + or_ else 0.
    for key, value in (('precision', cp), ('recall', cr), ('f1-score', cf1),
                       ('precision_micro', op), ('recall_micro', or_),
                       ('f1-score_micro', of1)):
        assert m[f'multi-label/{key}'] == pytest.approx(100 * value, abs=1e-3), key
    print("\nVOC e2e (test-made, 60 train / 20 test, 40 px crops, 30 epochs): "
          + ', '.join(f'{k.split("/")[1]}={v:.2f}' for k, v in m.items()
                      if k.startswith('multi-label/')))


def test_the_model_learned_something(trained):
    """Coloured squares are easy: after 30 epochs the mAP is far above what random scores give
    on the same targets (the mean over 30 random draws, computed here)."""
    scores, target = _expected(_records(trained['preds']), trained['truth'])
    rng = np.random.default_rng(0)
    chance = []
    for _ in range(30):
        noise = rng.random(scores.shape)
        chance.append(np.mean([sklearn.metrics.average_precision_score(
            target[target[:, c] != -1, c], noise[target[:, c] != -1, c])
            for c in range(NUM_CLASSES)]))
    assert trained['metrics']['multi-label/mAP'] > 100 * (np.mean(chance) + 0.1), \
        (trained['metrics'], np.mean(chance))


def _eval_metric(capsys, *argv: str) -> dict:
    """tools/analysis_tools/eval_metric.py run in this process; its printed metrics."""
    assert load_tool('analysis_tools/eval_metric.py').main(list(argv)) == 0
    out = capsys.readouterr().out
    return {k: float(v) for k, v in (line.split(': ') for line in out.splitlines()
                                     if line.startswith('multi-label/'))}


def test_eval_metric_reproduces_the_test_run_from_the_pickle(trained, capsys):
    got = _eval_metric(capsys, str(trained['preds']), '--metric', 'type=VOCAveragePrecision',
                       '--metric', 'type=MultiLabelMetric', 'average=micro')
    assert got['multi-label/mAP'] == pytest.approx(trained['metrics']['multi-label/mAP'],
                                                   abs=1e-3)
    # MultiLabelMetric, unlike the VOC metric, takes difficult-only labels as negatives
    scores, target = _expected(_records(trained['preds']), trained['truth'])
    target = (target == 1).astype(int)
    pred = (scores >= 0.5).astype(int)
    tp = (pred & target).sum()
    assert got['multi-label/precision_micro'] == pytest.approx(
        100 * tp / max(pred.sum(), 1), abs=1e-3)
    assert got['multi-label/recall_micro'] == pytest.approx(100 * tp / target.sum(), abs=1e-3)


def test_eval_metric_reads_multi_hot_gt_label(trained, tmp_path, capsys):
    """Results written by other tools may hold gt_label as a multi-hot vector."""
    scores, target = _expected(_records(trained['preds']), trained['truth'])
    target = (target == 1).astype(np.int64)
    out = tmp_path / 'multi_hot.pkl'
    with open(out, 'wb') as f:
        pickle.dump([dict(pred_score=s.astype(np.float32), gt_label=t)
                     for s, t in zip(scores, target)], f)
    got = _eval_metric(capsys, str(out), '--metric', 'type=AveragePrecision')
    aps = [sklearn.metrics.average_precision_score(target[:, c], scores[:, c])
           if target[:, c].any() else 0. for c in range(NUM_CLASSES)]
    assert got['multi-label/mAP'] == pytest.approx(100 * np.mean(aps), abs=1e-3)


def _config(trained):
    """The shipped recipe with the test's --cfg-options applied, as tools/train.py ran it."""
    from mmengine.config import Config, DictAction
    cfg = Config.fromfile(str(CONFIG))
    cfg.merge_from_dict({k: DictAction._parse_iterable(v) for k, v in
                         (o.split('=', 1) for o in trained['options'])}, allow_list_keys=True)
    return cfg


def test_inference_model_returns_scores_and_labels_above_threshold(trained):
    from mmcls_convnext.apis import ImageClassificationInferencer, inference_model
    cfg = _config(trained)
    records = {Path(r['img_path']).stem: r for r in _records(trained['preds'])}
    img_id = sorted(records)[0]
    img = trained['base'] / 'VOCdevkit/VOC2007/JPEGImages' / f'{img_id}.jpg'
    result = inference_model(cfg, str(img), pretrained=str(trained['ckpt']), device='cpu')
    assert set(result) == {'pred_label', 'pred_score', 'pred_class', 'pred_scores'}
    scores = result['pred_scores']
    assert scores.shape == (NUM_CLASSES,)
    # the same image through the same test pipeline as tools/test.py: the same scores
    np.testing.assert_allclose(scores, np.asarray(records[img_id]['pred_score']), atol=1e-5)
    above = [int(i) for i in np.argsort(-scores) if scores[i] >= 0.5]
    assert result['pred_label'] == above
    assert result['pred_score'] == pytest.approx([float(scores[i]) for i in above])
    assert result['pred_class'] == [VOC2007_CATEGORIES[i] for i in above]
    # with the head's threshold below this image's third-best score: exactly 3, best first
    # (the tiny model's scores mostly stay below 0.5, so this is the non-empty case)
    top3 = [int(i) for i in np.argsort(-scores)[:3]]
    ranked = np.sort(scores)[::-1]
    cfg.model.head.thr = float(ranked[2] + ranked[3]) / 2  # between the 3rd and 4th best
    inferencer = ImageClassificationInferencer(cfg, pretrained=str(trained['ckpt']),
                                               device='cpu')
    result = inferencer(str(img))[0]
    assert result['pred_label'] == top3
    assert result['pred_class'] == [VOC2007_CATEGORIES[i] for i in top3]
    np.testing.assert_allclose(result['pred_score'], scores[top3], atol=1e-6)


def test_image_demo_prints_and_draws_every_label(trained, tmp_path, capsys):
    """demo/image_demo.py (run in this process) prints the label lists and draws them."""
    img = sorted((trained['base'] / 'VOCdevkit/VOC2007/JPEGImages').glob('*.jpg'))[-1]
    record = next(r for r in _records(trained['preds']) if Path(r['img_path']).stem == img.stem)
    scores = np.asarray(record['pred_score'])
    cfg = _config(trained)
    ranked = np.sort(scores)[::-1]
    cfg.model.head.thr = float(ranked[1] + ranked[2]) / 2  # two labels pass
    cfg_file = tmp_path / 'voc_tiny.py'
    cfg.dump(str(cfg_file))  # the demo takes a config file
    demo = load_tool('../demo/image_demo.py')
    demo.main([str(img), str(cfg_file), '--checkpoint', str(trained['ckpt']), '--device', 'cpu',
               '--show-dir', str(tmp_path)])
    result = json.loads(capsys.readouterr().out.splitlines()[0])
    assert isinstance(result['pred_label'], list) and isinstance(result['pred_class'], list)
    assert result['pred_label'] == [int(i) for i in np.argsort(-scores)[:2]]
    assert result['pred_class'] == [VOC2007_CATEGORIES[i] for i in result['pred_label']]
    drawn = tmp_path / f'{img.stem}.png'
    assert drawn.is_file() and Image.open(drawn).size[0] >= SIZE
