"""PreciseBNHook, ClassNumCheckHook, SwitchRecipeHook, SetAdaptiveMarginsHook and
PrepareProtoBeforeValLoopHook: their effect in real mmengine runs, checked independently."""
import logging

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.logging import MMLogger
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmcls_convnext.engine import (
    ClassNumCheckHook,
    PreciseBNHook,
    PrepareProtoBeforeValLoopHook,
    SetAdaptiveMarginsHook,
    SwitchRecipeHook,
)
from mmcls_convnext.engine.hooks import adaptive_margins, update_bn_stats
from mmcls_convnext.models.utils import RandomBatchAugment
from mmcls_convnext.registry import MODELS
from mmcls_convnext.structures import DataSample

DATA = np.random.default_rng(0).normal(3.0, 2.0, (12, 2)).astype(np.float32)


class Vectors(Dataset):
    metainfo = dict(classes=['a', 'b', 'c'])

    def __len__(self):
        return len(DATA)

    def __getitem__(self, i):
        return dict(inputs=torch.from_numpy(DATA[i]),
                    data_samples=DataSample().set_gt_label(i % 3))

    def get_gt_labels(self):
        return np.arange(len(DATA)) % 3


class BNModel(BaseModel):
    """x -> BatchNorm1d(2) -> Linear(2, 3); its BN sees the raw data."""

    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(2)
        self.fc = nn.Linear(2, 3)
        self.num_classes = 3

    def forward(self, inputs, data_samples=None, mode='tensor'):
        out = self.fc(self.bn(inputs))
        if mode == 'loss':
            labels = torch.cat([s.gt_label for s in data_samples])
            return dict(loss=nn.functional.cross_entropy(out, labels))
        return out


def _runner(tmp_path, model, hooks, max_epochs=1, name='run', **kwargs):
    return Runner(
        model=model, work_dir=str(tmp_path),
        train_dataloader=dict(dataset=Vectors(), batch_size=4, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=False),
                              collate_fn=dict(type='default_collate')),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.0)),
        custom_hooks=hooks, default_hooks=dict(logger=None, checkpoint=None),
        default_scope='mmcls_convnext', log_level='WARNING',
        experiment_name=f'{name}_{tmp_path.name}', **kwargs)


@pytest.fixture(autouse=True)
def _close_logs():
    yield
    logging.shutdown()
    MMLogger._instance_dict.clear()


def test_precise_bn_sets_the_average_batch_statistics(tmp_path):
    model = BNModel()
    runner = _runner(tmp_path, model, [PreciseBNHook(num_samples=8, interval=1)])
    runner.train()
    # 8 samples / batch 4 = the first 2 batches: mean of batch means, mean of unbiased vars
    batches = [DATA[0:4], DATA[4:8]]
    np.testing.assert_allclose(model.bn.running_mean.numpy(), DATA[:8].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(model.bn.running_var.numpy(),
                               np.mean([b.var(axis=0, ddof=1) for b in batches], axis=0),
                               rtol=1e-5)
    assert model.bn.momentum == 0.1  # restored


def test_precise_bn_without_bn_warns_and_bad_arguments(tmp_path):
    class NoBN(BNModel):
        def __init__(self):
            super().__init__()
            self.bn = nn.Identity()

    runner = _runner(tmp_path, NoBN(), [], name='nobn')
    assert update_bn_stats(runner.model, runner.train_dataloader, 8) is None
    with pytest.raises(ValueError, match='num_samples must be an int > 0; got 0'):
        PreciseBNHook(num_samples=0)


def test_class_num_check_names_the_module_and_the_fix(tmp_path):
    model = BNModel()
    model.num_classes = 4
    runner = _runner(tmp_path, model, [ClassNumCheckHook()], name='classnum')
    with pytest.raises(AssertionError, match=r'num_classes` \(4\) in BNModel .* length of class '
                                             r'names \(3\) in Vectors\. Set num_classes=3'):
        runner.train()


def test_switch_recipe_changes_loss_augments_and_pipeline_at_their_epochs(tmp_path):
    seen = []

    class Recorder:
        def __call__(self, results):
            seen.append(results)
            return results

    class WithPipeline(Vectors):
        pipeline = None

        def __getitem__(self, i):
            item = super().__getitem__(i)
            return self.pipeline(item) if self.pipeline is not None else item

    class Model(BNModel):
        def __init__(self):
            super().__init__()
            self.loss_module = nn.CrossEntropyLoss()
            self.data_preprocessor.batch_augments = None
            self.losses = []

        def forward(self, inputs, data_samples=None, mode='tensor'):
            out = self.fc(self.bn(inputs))
            labels = torch.cat([s.gt_label for s in data_samples])
            loss = self.loss_module(out, labels)
            self.losses.append(type(self.loss_module).__name__)
            return dict(loss=loss)

    model = Model()
    hook = SwitchRecipeHook([
        dict(action_epoch=2, loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1,
                                       mode='original')),
        dict(action_epoch=3, train_pipeline=[Recorder()],
             batch_augments=dict(augments=dict(type='Mixup', alpha=0.8))),
    ])
    runner = _runner(tmp_path, model, [hook], max_epochs=3, name='switch')
    runner.train_dataloader.dataset.__class__ = WithPipeline
    runner.train()
    per_epoch = len(DATA) // 4
    assert model.losses == ['CrossEntropyLoss'] * per_epoch + ['LabelSmoothLoss'] * 2 * per_epoch
    assert len(seen) == len(DATA)  # the new pipeline ran on every sample of epoch 3 only
    assert isinstance(model.data_preprocessor.batch_augments, RandomBatchAugment)
    with pytest.raises(AssertionError, match='`action_epoch` 2 is repeated'):
        SwitchRecipeHook([dict(action_epoch=2), dict(action_epoch=2)])
    with pytest.raises(ValueError, match=r"unknown keys \['lr'\]"):
        SwitchRecipeHook([dict(action_epoch=2, lr=0.1)])


def test_adaptive_margins_follow_the_class_frequencies(tmp_path):
    labels = np.array([0] * 8 + [1] * 2 + [2] * 1)
    got = adaptive_margins(labels, num_classes=4, margin_min=0.1, margin_max=0.6, power=-0.25)
    freq = np.array([8, 2, 1, 1], dtype=float) ** -0.25  # the missing class counts once
    expected = (freq - freq.min()) / (freq.max() - freq.min()) * 0.5 + 0.1
    np.testing.assert_allclose(got, expected)
    assert got[0] == pytest.approx(0.1) and got[2] == pytest.approx(0.6)

    class ArcModel(BNModel):
        def __init__(self):
            super().__init__()
            self.head = MODELS.build(dict(type='ArcFaceClsHead', num_classes=3, in_channels=2))

    model = ArcModel()
    _runner(tmp_path, model, [SetAdaptiveMarginsHook()], name='margins').train()
    # Vectors: 4 samples of each class -> equal frequencies -> every margin is margin_max
    np.testing.assert_allclose(model.head.margins.numpy(), [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match='only works with an ArcFaceClsHead'):
        _runner(tmp_path / 'x', BNModel(), [SetAdaptiveMarginsHook()], name='nohead').train()


def test_prototype_is_re_embedded_before_every_validation(tmp_path):
    class Images(Dataset):
        metainfo = dict(classes=['a', 'b'])

        def __init__(self, n):
            g = torch.Generator().manual_seed(n)
            self.images = torch.randint(0, 256, (n, 3, 32, 32), generator=g, dtype=torch.uint8)

        def __len__(self):
            return len(self.images)

        def __getitem__(self, i):
            sample = DataSample(metainfo=dict(sample_idx=i)).set_gt_label([i % 2])
            return dict(inputs=self.images[i], data_samples=sample)

    gallery_loader = dict(dataset=Images(3), batch_size=2, num_workers=0,
                          sampler=dict(type='DefaultSampler', shuffle=False),
                          collate_fn=dict(type='default_collate'))
    model = MODELS.build(dict(
        type='ImageToImageRetriever',
        image_encoder=[dict(type='ConvNeXt', arch=dict(depths=[1, 1, 1, 1],
                                                       channels=[8, 16, 32, 64])),
                       dict(type='GlobalAveragePooling')],
        head=dict(type='ArcFaceClsHead', num_classes=2, in_channels=64),
        prototype=gallery_loader, data_preprocessor=dict(mean=[127.5] * 3, std=[64.] * 3)))
    snapshots = []

    class Snapshot(PrepareProtoBeforeValLoopHook):
        def before_val(self, runner):
            super().before_val(runner)
            snapshots.append(runner.model.prototype_vecs.clone())

    loader = dict(dataset=Images(4), batch_size=2, num_workers=0,
                  sampler=dict(type='DefaultSampler', shuffle=False),
                  collate_fn=dict(type='default_collate'))
    runner = Runner(model=model, work_dir=str(tmp_path), train_dataloader=loader,
                    val_dataloader=loader, val_evaluator=dict(type='RetrievalRecall', topk=1),
                    train_cfg=dict(by_epoch=True, max_epochs=2, val_interval=1), val_cfg=dict(),
                    optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.5)),
                    custom_hooks=[Snapshot()], default_hooks=dict(logger=None, checkpoint=None),
                    default_scope='mmcls_convnext', log_level='WARNING',
                    experiment_name=f'proto_{tmp_path.name}')
    runner.train()
    assert len(snapshots) == 2 and not torch.allclose(snapshots[0], snapshots[1])
    model.eval()
    with torch.no_grad():  # the second snapshot is the gallery under the final weights
        data = model.data_preprocessor(dict(inputs=list(Images(3).images)), False)
        torch.testing.assert_close(snapshots[1], model.extract_feat(data['inputs'])[-1])
