"""analyze_results' logic: ranking by confidence, the drawn files, the image lookup checks."""
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from mmcls_convnext.visualization.results_gallery import Ranked, rank_predictions, save_gallery

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tool_runs import load_tool  # noqa: E402


def _record(scores, gt, path):
    return dict(pred_score=torch.tensor(scores), gt_label=torch.tensor([gt]), img_path=path)


RECORDS = [_record([.6, .4], 0, 'a/r1.png'), _record([.9, .1], 0, 'a/r2.png'),
           _record([.3, .7], 0, 'a/w1.png'), _record([.45, .55], 0, 'a/w2.png'),
           _record([.6, .4], 1, 'b/w3.png'), _record([.2, .8], 1, 'b/r3.png')]


def test_rank_by_top1_score_ties_in_file_order():
    ranked = rank_predictions(RECORDS)
    assert ranked['success'] == [Ranked(1, 0, 0, pytest.approx(.9)),
                                 Ranked(5, 1, 1, pytest.approx(.8)),
                                 Ranked(0, 0, 0, pytest.approx(.6))]
    assert [r.index for r in ranked['fail']] == [2, 4, 3]  # .7, .6, .55


def test_rank_needs_scores_and_ground_truth():
    with pytest.raises(ValueError, match=r'Prediction 0 has no pred_score'):
        rank_predictions([dict(pred_label=torch.tensor([1]), gt_label=torch.tensor([1]))])
    with pytest.raises(KeyError, match='neither gt_label nor gt_score'):
        rank_predictions([dict(pred_score=torch.tensor([.1, .9]))])


def test_gallery_files_and_rescale(tmp_path):
    images = {r['img_path']: np.full((20, 30, 3), 10 * i, np.uint8)
              for i, r in enumerate(RECORDS)}
    ranked = rank_predictions(RECORDS)
    written = save_gallery(RECORDS, ranked, str(tmp_path), 2,
                           lambda r: (images[r['img_path']], r['img_path']),
                           classes=['cat', 'dog'], rescale_factor=2.0)
    assert [Path(p).name for p in written['success']] == ['1_r2.png', '2_r3.png']
    assert [Path(p).name for p in written['fail']] == ['1_w1.png', '2_w3.png']
    with Image.open(written['fail'][0]) as drawn:
        width, height = drawn.size
        pixel = drawn.convert('RGB').getpixel((width // 2, height - 1))
    assert 40 < height < 224 and pixel == (20, 20, 20)  # 40 px image (not enlarged), caption
    with pytest.raises(ValueError, match='--topk must be a positive int'):
        save_gallery(RECORDS, ranked, str(tmp_path), 0, lambda r: None)
    with pytest.raises(ValueError, match='--rescale-factor must be > 0'):
        save_gallery(RECORDS, ranked, str(tmp_path), 1, lambda r: None, rescale_factor=0.)


class _Listing:
    """Stands for the test dataset: two listed images."""

    def __len__(self):
        return 2

    def get_data_info(self, index):
        return dict(img_path=f'/data/{index}.png')


def test_results_of_another_dataset_are_refused():
    bgr = np.zeros((4, 4, 3), np.uint8)
    bgr[..., 0] = 255  # blue in BGR
    image_loader = load_tool('analysis_tools/analyze_results.py').image_loader
    load = image_loader(_Listing(), lambda r: dict(img=bgr), 'r.pkl')
    image, path = load(dict(sample_idx=1, img_path='/data/1.png'))
    assert path == '/data/1.png' and image[0, 0].tolist() == [0, 0, 255]  # RGB
    grey = image_loader(_Listing(), lambda r: dict(img=bgr[..., 0]), 'r.pkl')
    assert grey(dict(sample_idx=0))[0].shape == (4, 4)  # color_type='grayscale': kept as is
    with pytest.raises(ValueError, match=r'r\.pkl: sample_idx 1 is /other/1\.png in the results '
                       r'but /data/1\.png in the config\'s test set'):
        load(dict(sample_idx=1, img_path='/other/1.png'))
    with pytest.raises(ValueError, match=r'sample_idx 5 is outside the config\'s test set '
                       r'\(2 images\)'):
        load(dict(sample_idx=5))
    with pytest.raises(KeyError, match='neither sample_idx nor img_path'):
        load(dict())
