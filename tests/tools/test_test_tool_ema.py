"""tools/test.py on a shipped EMA recipe, with a published file and with a run's epoch_N.pth.

``EMAHook`` builds its EMA copy in ``before_run``, but tools/test.py loads the checkpoint before
``runner.test()``: with mmengine's hook that crashed (``'EMAHook' object has no attribute
'ema_model'``). The test also checks *which* weights are evaluated: the file's ``state_dict``
(the EMA weights; the raw ones are in ``ema_state_dict``), against an in-process forward.
"""
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import load

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tool_runs import REPO, cfg_args, ok, run_tool, shrink_options  # noqa: E402

SEED_CONFIG = REPO / 'configs' / 'convnext' / 'convnext-tiny_32xb128_in1k.py'
STOP_AFTER_FIRST_VAL = ['default_hooks.stop.type=EarlyStoppingHook',
                        'default_hooks.stop.monitor=accuracy/top1',
                        'default_hooks.stop.stopping_threshold=-1']


def _reference_scores(options, state_dict):
    """Softmax scores of the val images, computed in-process from ``state_dict``."""
    from mmcls_convnext.registry import DATASETS, MODELS
    from mmcls_convnext.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(str(SEED_CONFIG))
    cfg.merge_from_dict({k: _parse(v) for k, v in (o.split('=', 1) for o in options)})
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor)).eval()
    model.load_state_dict(state_dict)
    dataset = DATASETS.build(cfg.test_dataloader.dataset)
    scores = {}
    with torch.no_grad():
        for i in range(len(dataset)):
            sample = dataset[i]
            batch = model.data_preprocessor(dict(inputs=[sample['inputs']]), False)['inputs']
            scores[i] = model(batch).softmax(-1)[0]
    return scores


def _parse(value):
    """A ``--cfg-options`` value as the tools parse it."""
    from mmengine.config import DictAction
    return DictAction._parse_iterable(value)


@pytest.fixture(scope='module')
def trained(tiny_imagenet, tmp_path_factory):
    """The seed recipe (EMA, Mixup/CutMix, RandAugment, warmup + cosine), 2 iterations."""
    work = tmp_path_factory.mktemp('seed_run')
    options = shrink_options(tiny_imagenet)
    ok(run_tool('train.py', str(SEED_CONFIG), '--work-dir', str(work),
                *cfg_args(options + STOP_AFTER_FIRST_VAL)))
    return work, options


@pytest.mark.parametrize('kind', ['published', 'run'])
def test_test_tool_evaluates_the_ema_weights(trained, tmp_path, kind):
    work, options = trained
    ckpt = torch.load(work / 'epoch_1.pth', weights_only=True)
    ema = ckpt['state_dict']
    assert set(ckpt['ema_state_dict']) == {f'module.{k}' for k in ema} | {'steps'}
    if kind == 'published':  # what tools/model_converters/publish_model.py ships
        path = tmp_path / 'published.pth'
        torch.save({'state_dict': ema, 'meta': ckpt['meta']}, path)
    else:  # the run's own file, with raw weights made clearly different from the EMA ones
        for key, value in ckpt['ema_state_dict'].items():
            if key != 'steps' and value.is_floating_point():
                ckpt['ema_state_dict'][key] = value + torch.randn_like(value)
        path = tmp_path / 'epoch_1.pth'
        torch.save(ckpt, path)
    out = tmp_path / 'preds.pkl'
    proc = ok(run_tool('test.py', str(SEED_CONFIG), str(path), '--work-dir', str(tmp_path),
                       '--out', str(out), *cfg_args(options)))
    assert 'accuracy/top1' in proc.stdout + proc.stderr
    preds = {p['sample_idx']: p['pred_score'] for p in load(str(out))}
    reference = _reference_scores(options, ema)
    assert sorted(preds) == sorted(reference) == [0, 1, 2, 3]
    for i, score in preds.items():
        torch.testing.assert_close(score, reference[i], rtol=1e-5, atol=1e-6)
    if kind == 'run':  # and not the raw weights
        raw = {k[len('module.'):]: v for k, v in ckpt['ema_state_dict'].items() if k != 'steps'}
        raw_scores = _reference_scores(options, raw)
        assert any(not torch.allclose(raw_scores[i], preds[i], atol=1e-4) for i in preds)



def test_confusion_matrix_tool_with_ema_leaves_the_run_alone(tmp_path):
    """The other test-time tool: an EMA run's own work_dir, nothing of it rewritten."""
    sys.path.insert(0, str(REPO / 'tests' / 'engine'))
    from tiny_run import build_runner
    ema = [dict(type='EMAHook', momentum=0.5, priority='ABOVE_NORMAL')]
    build_runner(tmp_path, custom_hooks=ema).train()
    work = tmp_path / 'run'
    before = {p: p.read_bytes() for p in work.rglob('*') if p.is_file()}
    out = tmp_path / 'cm.png'
    proc = ok(run_tool('analysis_tools/confusion_matrix.py', str(tmp_path / 'run.py'),
                       str(work / 'epoch_1.pth'), '--work-dir', str(work), '--out', str(out)))
    assert 'Confusion matrix of 3 classes, 12 images' in proc.stdout and out.is_file()
    after = {p: p.read_bytes() for p in work.rglob('*') if p.is_file() and 'test' not in p.parts}
    assert after == before
    assert list((work / 'test').glob('*/run.py'))
