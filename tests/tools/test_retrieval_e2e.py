"""The shipped retrieval recipe end to end, as a user runs it: ``tools/train.py`` (ArcFace on
GeM-pooled ConvNeXt features, Recall@k validation on a re-embedded gallery) then
``tools/test.py`` on the checkpoint, on query/gallery class folders made here; the printed
Recall@1/5 equal a numpy computation from the checkpoint's embeddings, and
``ImageRetrievalInferencer`` returns the gallery images that numpy ranks first."""
import re
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tool_runs import REPO, TINY_CHANNELS, TINY_DEPTHS, cfg_args, ok, run_tool  # noqa: E402

CONFIG = REPO / 'configs' / 'convnext' / 'convnext-tiny_1xb32_retrieval-custom.py'
CLASSES = ('amber', 'lime', 'teal')
# class colours (RGB): 'lime' and 'teal' are drawn from the same distribution, so a query of
# either often finds the other class first (Recall@1 < 100 on most seeds)
COLOURS = np.array([[200, 120, 40], [60, 170, 100], [60, 170, 100]], dtype=np.float64)
COUNTS = dict(train=4, query=3, gallery=4)


def make_retrieval_folders(root: Path) -> Path:
    rng = np.random.default_rng(7)
    for split, count in COUNTS.items():
        for label, name in enumerate(CLASSES):
            folder = root / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(count):
                img = np.clip(COLOURS[label] + rng.normal(0, 45, (40, 40, 3)), 0, 255)
                Image.fromarray(img.astype(np.uint8)).save(folder / f'{split}_{name}_{i}.png')
    return root


def options(data: Path) -> dict:
    """The config shrunk (tiny ConvNeXt, offline init) and pointed at ``data``."""
    return {
        'model.image_encoder.0.arch._delete_': True,
        'model.image_encoder.0.arch.depths': TINY_DEPTHS,
        'model.image_encoder.0.arch.channels': TINY_CHANNELS,
        'model.image_encoder.0.init_cfg': None,
        'model.head.in_channels': TINY_CHANNELS[-1],
        'model.head.num_classes': len(CLASSES),
        'model.prototype.dataset.data_root': str(data),
        'model.prototype.num_workers': 0,
        'train_dataloader.dataset.data_root': str(data),
        'train_dataloader.batch_size': 4,
        'train_dataloader.num_workers': 0,
        'train_cfg.max_epochs': 2,  # warmup epoch + one cosine epoch
        'randomness.seed': 0,
        **{f'{loader}.dataset.{part}.data_root': str(data)
           for loader in ('val_dataloader', 'test_dataloader') for part in ('query', 'gallery')},
        'val_dataloader.num_workers': 0,
        'test_dataloader.num_workers': 0,
    }


def as_args(opts: dict) -> list:
    return cfg_args([f'{k}={v}'.replace(' ', '') for k, v in opts.items()])


def recall_lines(log: str) -> dict:
    found = re.findall(r'retrieval/Recall@(\d+): ([\d.]+)', log)
    return {int(k): float(v) for k, v in found}


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('retrieval')
    data = make_retrieval_folders(tmp / 'data')
    work = tmp / 'work'
    args = as_args(options(data))
    train_log = ok(run_tool('train.py', str(CONFIG), '--work-dir', str(work), *args)).stdout
    ckpt = work / 'epoch_2.pth'
    test_log = ok(run_tool('test.py', str(CONFIG), str(ckpt), '--work-dir', str(work),
                           *args)).stdout
    return data, ckpt, train_log, test_log


def _config(data: Path) -> Config:
    cfg = Config.fromfile(str(CONFIG))
    cfg.merge_from_dict(options(data))
    return cfg


def _embeddings(cfg: Config, ckpt: Path, paths: list) -> np.ndarray:
    from mmcls_convnext.checkpoint import read_checkpoint
    from mmcls_convnext.registry import MODELS, TRANSFORMS
    model = MODELS.build(cfg.model)
    model.load_state_dict(read_checkpoint(str(ckpt))['state_dict'])
    model.eval()
    pipeline = Compose([TRANSFORMS.build(t) for t in cfg.test_pipeline])
    inputs = [pipeline(dict(img_path=str(p)))['inputs'] for p in paths]
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=inputs), False)
        return model.extract_feat(data['inputs'])[-1].numpy().astype(np.float64)


def _split(data: Path, split: str):
    paths, labels = [], []
    for label, name in enumerate(CLASSES):  # CustomDataset's order: classes, then file names
        files = sorted((data / split / name).glob('*.png'))
        paths += files
        labels += [label] * len(files)
    return paths, np.array(labels)


def test_train_and_test_report_recall_at_k_of_the_embeddings(trained):
    data, ckpt, train_log, test_log = trained
    assert set(recall_lines(train_log)) == {1, 5}  # validation ran on the re-embedded gallery
    printed = recall_lines(test_log)
    assert set(printed) == {1, 5}

    cfg = _config(data)
    g_paths, g_labels = _split(data, 'gallery')
    q_paths, q_labels = _split(data, 'query')
    gallery = _embeddings(cfg, ckpt, g_paths)
    queries = _embeddings(cfg, ckpt, q_paths)
    sims = (queries / np.linalg.norm(queries, axis=1, keepdims=True)) @ (
        gallery / np.linalg.norm(gallery, axis=1, keepdims=True)).T
    ranked = np.argsort(-sims, axis=1, kind='stable')
    for k in (1, 5):
        hits = [(g_labels[ranked[i, :k]] == q_labels[i]).any() for i in range(len(q_paths))]
        assert printed[k] == pytest.approx(100 * np.mean(hits), abs=1e-3), (k, printed)
    print(f'\nretrieval recipe, {len(q_paths)} queries / {len(g_paths)} gallery images: '
          f'Recall@1 {printed[1]:.2f}, Recall@5 {printed[5]:.2f}')


def test_retrieval_inferencer_returns_the_best_gallery_images(trained, tmp_path):
    from mmcls_convnext.apis import ImageRetrievalInferencer
    data, ckpt, _, _ = trained
    cfg = _config(data)
    inferencer = ImageRetrievalInferencer(cfg, prototype=str(data / 'gallery'),
                                          prototype_cache=str(tmp_path / 'gallery.pth'),
                                          pretrained=str(ckpt), device='cpu')
    g_paths, _ = _split(data, 'gallery')
    q_paths, _ = _split(data, 'query')
    gallery = _embeddings(cfg, ckpt, g_paths)
    query = _embeddings(cfg, ckpt, q_paths[:2])
    results = inferencer([str(p) for p in q_paths[:2]], topk=3, show_dir=str(tmp_path / 'show'))
    for q, matches in zip(query, results):
        sims = gallery @ q / np.linalg.norm(gallery, axis=1) / np.linalg.norm(q)
        best = np.argsort(-sims)[:3]
        assert [m['sample']['img_path'] for m in matches] == [str(g_paths[i]) for i in best]
        np.testing.assert_allclose([m['match_score'] for m in matches], sims[best], rtol=1e-4)
        assert set(matches[0]) == {'match_score', 'sample_idx', 'sample'}
    assert sorted(p.name for p in (tmp_path / 'show').iterdir()) == \
        sorted(f'{p.stem}.png' for p in q_paths[:2])
    # the cache written on the first build is read back by the next one
    again = ImageRetrievalInferencer(cfg, prototype=str(data / 'gallery'),
                                     prototype_cache=str(tmp_path / 'gallery.pth'),
                                     pretrained=str(ckpt), device='cpu')
    assert again(str(q_paths[0]), topk=3)[0] == results[0]
    with pytest.raises(ValueError, match=r'topk must be an int in \[1, 12\]'):
        inferencer(str(q_paths[0]), topk=13)
