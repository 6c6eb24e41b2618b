"""The one-page report: header numbers, confusion matrix cells, the image grid, layout, file."""
import numpy as np
import pytest
import torch
from PIL import Image

from mmcls_convnext.visualization.report import (
    Predictions,
    pick_examples,
    report_figure,
    write_report,
)

CLASSES = [f'class_{i}' for i in range(10)]


def _predictions(per_class_right: int = 4, per_class_wrong: int = 2) -> Predictions:
    """Class c: ``right`` images predicted c, ``wrong`` ones predicted c + 1 (mod 10)."""
    scores, gt, paths = [], [], []
    for c in range(10):
        for i in range(per_class_right + per_class_wrong):
            label = c if i < per_class_right else (c + 1) % 10
            row = np.full(10, 0.02)
            row[c] = 0.3  # the true class is at least the runner-up
            row[label] = 0.5 + 0.04 * i  # later images are more confident
            scores.append(row / row.sum())
            gt.append(c)
            paths.append(f'img_{c}_{i}.png')
    return Predictions(np.array(scores), np.array(gt), paths)


def _read(path: str) -> np.ndarray:
    c, i = (int(v) for v in path[4:-4].split('_'))
    return np.full((28, 28), 20 * c + i, np.uint8)


def _records():
    train = [dict(loss=2.0 - 0.1 * i, lr=1e-3, epoch=1 + i // 9, iter=50 * (i + 1),
                  step=50 * (i + 1)) for i in range(27)]
    val = [{'accuracy/top1': 70.0 + e, 'accuracy/top5': 98.0, 'step': e} for e in (1, 2, 3)]
    return train + val


@pytest.fixture(scope='module')
def figure():
    fig = report_figure(_records(), _predictions(), CLASSES, 'Test run', 'a subtitle',
                        read_image=_read)
    fig.canvas.draw()
    return fig


def test_topk_accuracy_and_examples():
    preds = _predictions()
    assert preds.topk_accuracy(1) == pytest.approx(100 * 40 / 60)
    assert preds.topk_accuracy(2) == pytest.approx(100.0)  # the runner-up is the true class
    grid = pick_examples(preds, 10)
    assert grid[0][3] == 3 * 6 + 3  # the most confident right one of class 3 (i = 3)
    assert grid[1][3] == 3 * 6 + 5 and grid[2][3] == 3 * 6 + 4  # mistakes, most confident first
    assert pick_examples(_predictions(per_class_wrong=0), 10)[1] == [None] * 10


def test_header_states_the_test_accuracy(figure):
    texts = [t.get_text() for sub in figure.subfigs for t in sub.texts]
    assert 'Test run: test top-1 66.67 %, top-5 100.00 % on 60 images' in texts
    assert 'a subtitle' in texts


def test_confusion_matrix_cells_are_the_counts(figure):
    cm_ax = next(ax for ax in figure.axes if ax.get_title() == 'Confusion matrix (test set)')
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): int(t.get_text())
             for t in cm_ax.texts}
    expected = {(c, c): 4 for c in range(10)}
    expected.update({(c, (c + 1) % 10): 2 for c in range(10)})
    assert cells == expected
    assert [t.get_text() for t in cm_ax.get_xticklabels()] == CLASSES


def test_image_grid_marks_the_mistakes(figure):
    tiles = [ax for ax in figure.axes if ax.images and ax.get_title()[:1] in '\u2713\u2717']
    assert len(tiles) == 30
    right = [ax for ax in tiles if ax.get_title().startswith('\u2713')]
    wrong = [ax for ax in tiles if ax.get_title().startswith('\u2717')]
    assert len(right) == 10 and len(wrong) == 20
    assert all(ax.spines['top'].get_visible() for ax in wrong)
    assert not any(ax.spines['top'].get_visible() for ax in right)
    # the tile of a wrong prediction shows the image it names
    assert wrong[0].get_title().startswith('\u2717 class_1 ')
    assert wrong[0].images[0].get_array()[0, 0] == 20 * 0 + 5
    headers = [t.get_text() for ax in figure.axes for t in ax.texts if t.get_text() in CLASSES]
    assert headers == CLASSES  # one column header per true class


def test_accuracy_panel_and_no_clipping(figure):
    acc = next(ax for ax in figure.axes if ax.get_title() == 'Validation accuracy (%)')
    assert [t.get_text() for t in acc.get_legend().get_texts()] == ['top1', 'top5']
    assert '73.00' in [t.get_text() for t in acc.texts]  # the last value, annotated
    labels = [t.get_text() for t in acc.get_xticklabels() if t.get_text()]
    assert all(label.isdigit() for label in labels)
    renderer = figure.canvas.get_renderer()
    drawn, page = figure.get_tightbbox(renderer), figure.bbox_inches
    assert drawn.x0 >= page.x0 and drawn.y0 >= page.y0 and drawn.x1 <= page.x1 and (
        drawn.y1 <= page.y1), (drawn, page)


def test_write_report_is_a_small_png(tmp_path):
    preds = _predictions()
    for c in range(10):
        for i in range(6):
            Image.fromarray(_read(f'img_{c}_{i}.png')).save(tmp_path / f'img_{c}_{i}.png')
    preds.paths = [str(tmp_path / p) for p in preds.paths]
    out = write_report(str(tmp_path / 'out' / 'report.png'), _records(), preds, CLASSES, 'T')
    with Image.open(out) as image:
        assert image.size == (16 * 80, round((6.6 + 1.75 * 3) * 80))
        assert image.mode == 'P'
    assert (tmp_path / 'out' / 'report.png').stat().st_size < 400_000


def test_in_memory_test_sets_are_drawn_by_sample_index(tmp_path):
    # records of an in-memory dataset (FashionMNIST...) carry sample_idx instead of img_path
    preds = _predictions()
    records = [dict(pred_score=torch.as_tensor(s), gt_label=torch.tensor([g]), sample_idx=i)
               for i, (s, g) in enumerate(zip(preds.scores, preds.gt))]
    loaded = Predictions.from_results(records)
    assert loaded.paths == list(range(len(records)))
    images = np.stack([_read(p) for p in preds.paths])
    asked = []

    def by_index(index):
        asked.append(index)
        return images[index]
    out = write_report(str(tmp_path / 'r.png'), _records(), loaded, CLASSES, 'T',
                       read_image=by_index)
    assert (tmp_path / 'r.png').is_file() and out.endswith('r.png')
    assert asked and all(isinstance(i, int) for i in asked)


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match='9 class names for predictions over 10 classes'):
        report_figure(_records(), _predictions(), CLASSES[:9], 'T', read_image=_read)
    with pytest.raises(KeyError, match=r"lack \['gt_label', 'img_path \(or sample_idx\)'\]; "
                       'write them with tools/test.py --out'):
        Predictions.from_results([dict(pred_score=torch.zeros(3))])
    with pytest.raises(ValueError, match='the results file is empty'):
        Predictions.from_results([])
