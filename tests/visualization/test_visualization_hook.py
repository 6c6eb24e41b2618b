"""VisualizationHook inside a real mmengine Runner test loop on a tiny model."""
import copy

import pytest
import torch
from mmengine.evaluator import BaseMetric
from mmengine.runner import Runner
from mmengine.visualization import BaseVisBackend, Visualizer
from torch.utils.data import Dataset

from mmcls_convnext.engine.hooks.visualization_hook import VisualizationHook
from mmcls_convnext.structures import DataSample
from mmcls_convnext.visualization import UniversalVisualizer

TINY_MODEL = dict(
    type='ImageClassifier',
    backbone=dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1], channels=[8, 16, 32, 64])),
    head=dict(type='LinearClsHead', num_classes=10, in_channels=64),
    data_preprocessor=dict(mean=[127.5] * 3, std=[64.0] * 3, to_rgb=True),
)


class TinyImages(Dataset):
    """Five 32 px uint8 BGR images with labels, as the pipeline would pack them."""

    metainfo = dict(classes=[f'c{i}' for i in range(10)])

    def __len__(self):
        return 5

    def __getitem__(self, idx):
        g = torch.Generator().manual_seed(idx)
        image = torch.randint(0, 256, (3, 32, 32), generator=g, dtype=torch.uint8)
        sample = DataSample(metainfo=dict(img_path=f'/data/img{idx}.png')).set_gt_label(idx)
        return dict(inputs=image, data_samples=sample)


class CountMetric(BaseMetric):
    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        return dict(count=len(results))


class RecordingBackend(BaseVisBackend):
    """Stands in for TensorBoard: records what the visualizer sends to a backend."""

    def __init__(self, save_dir=None):
        super().__init__(save_dir)
        self.images = []

    def _init_env(self):
        pass

    @property
    def experiment(self):
        return self

    def add_image(self, name, image, step=0, **kwargs):
        self.images.append((name, image.shape, step))


def _runner(tmp_path, hook, visualizer):
    return Runner(
        model=copy.deepcopy(TINY_MODEL),
        work_dir=str(tmp_path),
        test_dataloader=dict(dataset=TinyImages(), batch_size=2, num_workers=0,
                             sampler=dict(type='DefaultSampler', shuffle=False),
                             collate_fn=dict(type='pseudo_collate')),
        test_evaluator=CountMetric(),
        test_cfg=dict(),
        custom_hooks=[hook],
        visualizer=visualizer,
        default_scope='mmcls_convnext',
        log_level='WARNING',
        experiment_name=f'vis_hook_{tmp_path.parent.name}_{tmp_path.name}',  # unique per runner
    )


def test_hook_draws_every_interval_into_vis_data(tmp_path):
    vis = dict(type='UniversalVisualizer', name='hook_local',
               vis_backends=[dict(type='LocalVisBackend')])
    runner = _runner(tmp_path, VisualizationHook(enable=True, interval=2), vis)
    runner.test()
    files = sorted(p.name for p in tmp_path.glob('*/vis_data/vis_image/*.png'))
    # samples 0, 2, 4 of 5 (batches of 2: the count runs across batches); MMPretrain's names:
    # the file's base name and the step (0 for test)
    assert files == ['img0.png_0.png', 'img2.png_0.png', 'img4.png_0.png']


def test_hook_out_dir_and_other_backend_receive_drawings(tmp_path):
    backend = RecordingBackend()
    vis = UniversalVisualizer(name='hook_rec', vis_backends=[backend])
    runner = _runner(tmp_path, VisualizationHook(enable=True, interval=1, resize=224), vis)
    runner.test()
    assert [(n, s) for n, _, s in backend.images] == [(f'img{i}.png', 0) for i in range(5)]
    # 32 px crops resized to 224 px (resize= is passed on to visualize_cls)
    assert all(shape == (224, 224, 3) for _, shape, _ in backend.images)

    runner = _runner(tmp_path / 'b', VisualizationHook(enable=True, interval=4, out_dir='pred'),
                     UniversalVisualizer(name='hook_files'))
    runner.test()
    files = sorted(p.name for p in (tmp_path / 'b').glob('*/pred/*.png'))
    assert files == ['img0.png_0.png', 'img4.png_0.png']


def test_validation_step_is_the_epoch(tmp_path):
    hook = VisualizationHook(enable=True, interval=1)
    vis = UniversalVisualizer(name='hook_val', vis_backends=[RecordingBackend()])
    runner = Runner(
        model=copy.deepcopy(TINY_MODEL), work_dir=str(tmp_path),
        train_dataloader=dict(dataset=TinyImages(), batch_size=5, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='pseudo_collate')),
        val_dataloader=dict(dataset=TinyImages(), batch_size=5, num_workers=0,
                            sampler=dict(type='DefaultSampler', shuffle=False),
                            collate_fn=dict(type='pseudo_collate')),
        val_evaluator=[CountMetric()], train_cfg=dict(by_epoch=True, max_epochs=2),
        val_cfg=dict(), optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        custom_hooks=[hook], visualizer=vis, default_scope='mmcls_convnext',
        log_level='WARNING', experiment_name=f'vis_hook_val_{tmp_path.name}')
    runner.train()
    steps = [s for _, _, s in vis._vis_backends['RecordingBackend'].images]
    assert steps == [1] * 5 + [2] * 5


def test_disabled_hook_draws_nothing(tmp_path):
    vis = dict(type='UniversalVisualizer', name='hook_off',
               vis_backends=[dict(type='LocalVisBackend')])
    _runner(tmp_path, VisualizationHook(), vis).test()
    assert not list(tmp_path.glob('*/vis_data/vis_image/*.png'))


def test_plain_visualizer_is_rejected_with_fix(tmp_path):
    runner = _runner(tmp_path, VisualizationHook(enable=True),
                     dict(type='Visualizer', name='hook_plain'))
    assert type(runner.visualizer) is Visualizer
    with pytest.raises(TypeError, match="Set visualizer=dict\\(type='UniversalVisualizer'"):
        runner.test()


@pytest.mark.parametrize('kwargs, error, match', [
    (dict(interval=0), ValueError, 'interval must be an int >= 1; got 0'),
    (dict(topk=3), TypeError, r"unknown arguments \['topk'\]"),
])
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        VisualizationHook(**kwargs)


def test_tensorboard_backend_when_installed(tmp_path):
    pytest.importorskip('tensorboard', reason='tensorboard is optional (pip install tensorboard)')
    vis = dict(type='UniversalVisualizer', name='hook_tb',
               vis_backends=[dict(type='LocalVisBackend'), dict(type='TensorboardVisBackend')])
    _runner(tmp_path, VisualizationHook(enable=True, interval=5), vis).test()
    assert list(tmp_path.glob('*/vis_data/events.out.tfevents.*'))
