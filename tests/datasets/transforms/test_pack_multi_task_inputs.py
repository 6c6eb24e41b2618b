"""PackMultiTaskInputs: one image tensor + a MultiTaskDataSample holding a DataSample per task."""
import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmcls_convnext.datasets import MultiTaskDataset
from mmcls_convnext.datasets.errors import DataConfigTypeError
from mmcls_convnext.datasets.transforms import PackInputs, PackMultiTaskInputs
from mmcls_convnext.registry import MODELS, TRANSFORMS
from mmcls_convnext.structures import DataSample, MultiTaskDataSample


def _results(**extra):
    img = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    return dict(img=img, img_path='a.png', img_shape=(5, 7), ori_shape=(10, 14), flip=True,
                sample_idx=3, **extra)


def test_each_task_is_packed_with_the_shared_metainfo():
    results = _results(gt_label={'colour': 2, 'tags': [0, 4]}, gt_score={'colour': [0.2, 0.8]})
    before = {k: v for k, v in results.items()}
    packed = PackMultiTaskInputs(multi_task_fields=['gt_label', 'gt_score'])(results)
    assert results.keys() == before.keys()  # the input dict is not changed
    assert results['gt_label'] == {'colour': 2, 'tags': [0, 4]}
    np.testing.assert_array_equal(packed['inputs'].numpy(), results['img'].transpose(2, 0, 1))
    sample = packed['data_samples']
    assert isinstance(sample, MultiTaskDataSample) and sample.tasks == ['colour', 'tags']
    assert isinstance(sample.colour, DataSample)
    assert sample.colour.gt_label.tolist() == [2]
    assert sample.colour.gt_score.tolist() == pytest.approx([0.2, 0.8])
    assert sample.tags.gt_label.tolist() == [0, 4] and 'gt_score' not in sample.tags
    plain = {k: v for k, v in results.items() if k not in ('gt_label', 'gt_score')}
    expected_meta = PackInputs()(plain)['data_samples'].metainfo
    assert sample.tags.metainfo == expected_meta  # the same metainfo PackInputs gives
    assert sample.colour.metainfo == {**expected_meta, 'num_classes': 2}  # set by gt_score
    for task in (sample.colour, sample.tags):
        assert task.metainfo['flip'] is True and task.metainfo['img_shape'] == (5, 7)
        assert 'img' not in task and 'inputs' not in task


def test_task_absent_from_every_field_is_absent_and_no_image_no_inputs():
    packed = PackMultiTaskInputs(multi_task_fields=['gt_label'])(_results(gt_label={'tags': 1}))
    assert packed['data_samples'].tasks == ['tags'] and 'colour' not in packed['data_samples']
    results = _results()
    del results['img']
    packed = PackMultiTaskInputs(multi_task_fields=['gt_label'])(results)
    assert 'inputs' not in packed and packed['data_samples'].tasks == []


def test_task_handlers_and_repr():
    transform = TRANSFORMS.build(dict(
        type='PackMultiTaskInputs', multi_task_fields=['gt_label'],
        task_handlers=dict(tags=dict(type='PackInputs', algorithm_keys=['weight'],
                                     meta_keys=['img_path']))))
    packed = transform(_results(gt_label={'colour': 0, 'tags': 1}, weight=0.5))
    sample = packed['data_samples']
    assert sample.tags.weight == 0.5 and sample.tags.metainfo_keys() == ['img_path']
    assert 'weight' not in sample.colour and 'flip' in sample.colour.metainfo_keys()
    # MMPretrain 1.2's repr: the configured handlers by class name
    assert repr(transform) == ("PackMultiTaskInputs(multi_task_fields=['gt_label'], "
                               "input_key='img', task_handlers={'tags': PackInputs})")


def test_bad_arguments_and_bad_samples_are_clear_errors():
    with pytest.raises(TypeError, match='multi_task_fields must be a list'):
        PackMultiTaskInputs(multi_task_fields='gt_label')
    with pytest.raises(TypeError, match='task_handlers must be a dict'):
        PackMultiTaskInputs(multi_task_fields=['gt_label'], task_handlers=['PackInputs'])
    with pytest.raises(TypeError, match=r"task_handlers\['a'\] must be a transform config"):
        PackMultiTaskInputs(multi_task_fields=['gt_label'], task_handlers=dict(a=3))
    with pytest.raises(DataConfigTypeError, match=r"results\['gt_label'\] must be a dict"):
        PackMultiTaskInputs(multi_task_fields=['gt_label'])(_results(gt_label=1))


def test_multi_task_dataset_to_multi_task_head(tmp_path):
    """A MultiTaskDataset's samples, packed, train a MultiTaskHead with per-task masking."""
    ann = dict(metainfo=dict(tasks=['colour', 'tags']), data_list=[
        dict(img_path='0.png', gt_label=dict(colour=0, tags=[1, 4])),
        dict(img_path='1.png', gt_label=dict(tags=[2])),
        dict(img_path='2.png', gt_label=dict(colour=2, tags=[0]))])
    (tmp_path / 'ann.json').write_text(json.dumps(ann))
    dataset = MultiTaskDataset(ann_file=str(tmp_path / 'ann.json'), data_root=str(tmp_path),
                               pipeline=[dict(type='PackMultiTaskInputs',
                                              multi_task_fields=['gt_label'])])
    samples = [dataset[i]['data_samples'] for i in range(3)]
    assert samples[1].tasks == ['tags'] and samples[0].colour.img_path.endswith('0.png')
    head = MODELS.build(dict(type='MultiTaskHead', in_channels=4,
                             task_heads=dict(colour=dict(type='LinearClsHead', num_classes=3),
                                             tags=dict(type='MultiLabelLinearClsHead',
                                                       num_classes=5))))
    torch.manual_seed(0)
    feats = (torch.randn(3, 4),)
    losses = head.loss(feats, samples)
    assert losses['colour_mask_size'].item() == 2 and losses['tags_mask_size'].item() == 3
    logits = head.task_heads['colour'](feats)[[0, 2]]
    expected = F.cross_entropy(logits, torch.tensor([0, 2]))
    assert losses['colour_loss'].item() == pytest.approx(expected.item(), rel=1e-5)
