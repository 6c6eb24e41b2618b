"""UniversalVisualizer's retrieval strip and masked image, and ModelHub's metafile reading."""
import numpy as np
import pytest
import torch
from PIL import Image

from mmcls_convnext.apis import ModelHub
from mmcls_convnext.structures import DataSample
from mmcls_convnext.visualization import UniversalVisualizer


class Gallery:
    def __init__(self, paths):
        self.paths = paths

    def get_data_info(self, idx):
        return dict(img_path=str(self.paths[idx]), sample_idx=idx)


def test_retrieval_strip_shows_the_query_and_the_best_matches(tmp_path):
    colours = [(250, 0, 0), (0, 250, 0), (0, 0, 250)]
    paths = []
    for i, colour in enumerate(colours):
        paths.append(tmp_path / f'g{i}.png')
        Image.fromarray(np.full((20, 30, 3), colour, np.uint8)).save(paths[-1])
    vis = UniversalVisualizer(name='retrieval_strip_test')
    query = np.full((40, 40, 3), 128, np.uint8)
    sample = DataSample().set_pred_score([0.2, 0.9, 0.5])  # best: green, then blue
    drawn = vis.visualize_image_retrieval(query, sample, Gallery(paths), topk=2, resize=60,
                                          out_file=str(tmp_path / 'out.png'))
    assert (tmp_path / 'out.png').is_file()
    # bottom row, left to right: the query, then rank 1 (green), then rank 2 (blue), each
    # 60 px high (the 20x30 matches enlarged to 60x90), separated by white gaps / caption fill
    bottom = drawn[-1]
    runs = []
    for pixel in map(tuple, bottom):
        if pixel in ((128, 128, 128), (0, 250, 0), (0, 0, 250)) and (not runs or
                                                                    runs[-1][0] != pixel):
            runs.append([pixel, 0])
        if runs and runs[-1][0] == pixel:
            runs[-1][1] += 1
    assert runs == [[(128, 128, 128), 60], [(0, 250, 0), 90], [(0, 0, 250), 90]]
    assert drawn.shape[0] > 60  # caption bands above the pictures


def test_masked_image_covers_the_masked_patches():
    vis = UniversalVisualizer(name='masked_test')
    image = np.full((8, 8, 3), 200, np.uint8)
    sample = DataSample().set_mask(torch.tensor([[1, 0], [0, 0]]))
    drawn = vis.visualize_masked_image(image, sample, resize=4, color='black', alpha=0.5)
    assert drawn.shape == (4, 4, 3)
    np.testing.assert_array_equal(drawn[:2, :2], 100)  # 200 * (1 - 0.5) + 0 * 0.5
    np.testing.assert_array_equal(drawn[2:, :], 200)
    with pytest.raises(ValueError, match='needs data_sample.mask'):
        vis.visualize_masked_image(image, DataSample())


def test_model_hub_reads_collections_and_model_indexes(tmp_path):
    (tmp_path / 'cfgs').mkdir()
    (tmp_path / 'cfgs' / 'my.py').write_text("model = dict(type='ImageClassifier')\n")
    (tmp_path / 'metafile.yml').write_text(
        'Collections:\n  - Name: Mine\nModels:\n'
        '  - Name: Hub-Test-One\n    In Collection: Mine\n    Config: cfgs/my.py\n'
        '    Weights: https://example.org/one.pth\n    Metadata:\n      FLOPs: 5\n')
    (tmp_path / 'model-index.yml').write_text('Import:\n  - metafile.yml\n')
    ModelHub.register_model_index(str(tmp_path / 'model-index.yml'))
    try:
        assert ModelHub.has('hub-test-one')
        entry = ModelHub.get('HUB-TEST-ONE')
        assert entry.config.model.type == 'ImageClassifier'
        assert entry.weights == 'https://example.org/one.pth'
        assert entry.in_collection == 'Mine' and entry.metadata == {'FLOPs': 5}
        assert isinstance(ModelHub._models_dict['hub-test-one'].config, str)  # still a path
        with pytest.raises(ValueError, match='already registered'):
            ModelHub.register_model_index(str(tmp_path / 'metafile.yml'))
    finally:
        ModelHub._models_dict.pop('hub-test-one', None)
    with pytest.raises(ValueError, match='Failed to find model "hub-test-one"'):
        ModelHub.get('hub-test-one')
    tiny = ModelHub.get('convnext-tiny_32xb128_in1k')
    assert tiny.config.model.backbone.arch == 'tiny' and tiny.weights.endswith('.pth')
