"""The FCMAE configs build what their names say, with the official recipe's values.

Names: ``convnext-v2-<arch>_fcmae-pre_<gpus>xb<batch>-<epochs>e_in1k`` (pretraining) and
``convnext-v2-<arch>_fcmae-ft_<gpus>xb<batch>_in1k`` (fine-tuning from FCMAE weights).
Expected values are typed in from facebookresearch/ConvNeXt-V2 (main_pretrain.py defaults,
TRAINING.md), not read from the configs' bases.
"""
import re
import sys
from pathlib import Path

import pytest
import torch
from mmengine.config import Config

from mmcls_convnext import registry as R
from mmcls_convnext.utils import register_all_modules

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_configs import ARCHS, _run_pipeline  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PRE_RE = re.compile(r'^convnext-v2-(?P<arch>[a-z]+)_fcmae-pre_(?P<gpus>\d+)xb(?P<batch>\d+)-'
                    r'(?P<epochs>\d+)e_in1k$')
FT_RE = re.compile(r'^convnext-v2-(?P<arch>[a-z]+)_fcmae-ft_(?P<gpus>\d+)xb(?P<batch>\d+)_in1k$')
PRE = sorted(p for p in (ROOT / 'configs').rglob('*.py') if PRE_RE.match(p.stem))
FT = sorted(p for p in (ROOT / 'configs').rglob('*.py') if FT_RE.match(p.stem))
# TRAINING.md: base pretrains 1600 epochs; main_pretrain.py's default is 800
EPOCHS = {'atto': 800, 'femto': 800, 'pico': 800, 'nano': 800, 'tiny': 800, 'base': 1600,
          'large': 1600, 'huge': 1600}
# TRAINING.md fine-tuning: (blr, layer decay, epochs)
FT_RECIPE = {'atto': (2e-4, 0.9, 600), 'tiny': (8e-4, 0.9, 300), 'base': (6.25e-4, 0.6, 100)}


@pytest.fixture(scope='module', autouse=True)
def _registered():
    register_all_modules()


def test_all_sizes_are_shipped():
    assert sorted(PRE_RE.match(p.stem)['arch'] for p in PRE) == sorted(EPOCHS)
    assert sorted(FT_RE.match(p.stem)['arch'] for p in FT) == sorted(FT_RECIPE)


@pytest.mark.parametrize('path', PRE, ids=lambda p: p.stem)
def test_pretraining_config_is_the_official_recipe(path):
    m = PRE_RE.match(path.stem)
    cfg = Config.fromfile(str(path))
    total = int(m['gpus']) * int(m['batch'])
    assert total == 4096  # 8 nodes x 8 GPUs x 64 (TRAINING.md)
    assert cfg.train_dataloader.batch_size == int(m['batch'])
    assert cfg.auto_scale_lr.base_batch_size == total
    opt = cfg.optim_wrapper.optimizer
    assert opt.type == 'AdamW' and opt.lr == pytest.approx(1.5e-4 * total / 256)
    assert opt.weight_decay == 0.05 and tuple(opt.betas) == (0.9, 0.95)
    assert int(m['epochs']) == EPOCHS[m['arch']] == cfg.train_cfg.max_epochs
    warmup, cosine = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end == 40
    assert cosine.type == 'CosineAnnealingLR' and cosine.begin == 40 and cosine.eta_min == 0
    steps = {s['type']: s for s in cfg.train_dataloader.dataset.pipeline}
    assert steps['RandomResizedCrop']['scale'] == 224
    assert tuple(steps['RandomResizedCrop']['crop_ratio_range']) == (0.2, 1.0)
    assert steps['RandomResizedCrop']['interpolation'] == 'bicubic'
    assert steps['RandomFlip']['prob'] == 0.5
    assert 'RandAugment' not in steps and 'RandomErasing' not in steps
    assert _run_pipeline(cfg.train_dataloader.dataset.pipeline).shape == (3, 224, 224)

    with torch.device('meta'):
        model = R.MODELS.build(dict(cfg.model))
    assert type(model).__name__ == 'FCMAE'
    depths, channels = ARCHS[m['arch']]
    assert model.backbone.depths == depths and model.backbone.channels == channels
    assert model.backbone.use_grn and model.backbone.stages[0][0].gamma is None
    assert model.patch_size == 32 and model.mask_ratio == 0.6 and model.norm_pix_loss
    assert model.decoder.proj.out_channels == 512 and len(model.decoder.blocks) == 1
    assert model.decoder.pred.out_channels == 32 * 32 * 3


@pytest.mark.parametrize('path', FT, ids=lambda p: p.stem)
def test_finetune_config_loads_the_fcmae_encoder_with_the_official_recipe(path):
    m = FT_RE.match(path.stem)
    blr, decay, epochs = FT_RECIPE[m['arch']]
    cfg = Config.fromfile(str(path))
    total = int(m['gpus']) * int(m['batch'])
    assert total == cfg.auto_scale_lr.base_batch_size == 1024
    assert cfg.optim_wrapper.optimizer.lr == pytest.approx(blr * total / 256)
    assert cfg.optim_wrapper.constructor == 'LearningRateDecayOptimWrapperConstructor'
    assert cfg.optim_wrapper.paramwise_cfg.layer_decay_rate == decay
    assert cfg.train_cfg.max_epochs == epochs
    assert [h['type'] for h in cfg.custom_hooks] == ['EMAHook']
    init = cfg.model.backbone.init_cfg
    assert init.type == 'Pretrained' and init.prefix == 'backbone.'
    assert f'convnext-v2-{m["arch"]}_3rdparty-fcmae_in1k' in init.checkpoint
    assert cfg.model.init_cfg is None  # nothing re-initialises the loaded encoder
    with torch.device('meta'):
        model = R.MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    depths, channels = ARCHS[m['arch']]
    assert model.backbone.depths == depths and model.backbone.channels == channels


def test_a_shipped_pretraining_config_trains_and_resumes_through_the_tools(tmp_path):
    """convnext-v2-atto_fcmae-pre as shipped (224 px RRC pipeline, AdamW, warmup + cosine,
    checkpoint hook), only shrunk: a 4-stage width 8-64 encoder, a tiny image folder, batch 2,
    and the schedule cut to 2 + 1 epochs (warmup 1 epoch). The configs differ only in arch and
    epochs, which the test above checks."""
    sys.path.insert(0, str(ROOT / 'tests'))
    from tool_runs import TINY_CHANNELS, TINY_DEPTHS, cfg_args, make_tiny_imagenet, run_tool
    data = make_tiny_imagenet(tmp_path / 'data', train_per_class=1)  # 4 images: 2 iterations
    config = ROOT / 'configs/convnext_v2/convnext-v2-atto_fcmae-pre_64xb64-800e_in1k.py'
    options = [
        'model.backbone.arch._delete_=True',
        f'model.backbone.arch.depths={TINY_DEPTHS}'.replace(' ', ''),
        f'model.backbone.arch.channels={TINY_CHANNELS}'.replace(' ', ''),
        'model.decoder.embed_dims=16',
        f'train_dataloader.dataset.data_root={data}', 'train_dataloader.batch_size=2',
        'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
        'param_scheduler.0.end=1', 'param_scheduler.1.begin=1', 'param_scheduler.1.end=3',
        'randomness.seed=0',
    ]
    work = tmp_path / 'work'
    first = run_tool('train.py', str(config), '--work-dir', str(work),
                     *cfg_args(options + ['train_cfg.max_epochs=2']))
    assert first.returncode == 0, (first.stdout + first.stderr)[-3000:]
    ckpt = torch.load(work / 'epoch_2.pth', weights_only=True)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (2, 4)
    assert any(k.startswith('decoder.') for k in ckpt['state_dict'])
    resumed = run_tool('train.py', str(config), '--work-dir', str(work), '--resume',
                       *cfg_args(options + ['train_cfg.max_epochs=3']))
    log = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, log[-3000:]
    assert 'resumed epoch: 2, iter: 4' in log
    ckpt = torch.load(work / 'epoch_3.pth', weights_only=True)
    assert (ckpt['meta']['epoch'], ckpt['meta']['iter']) == (3, 6)
