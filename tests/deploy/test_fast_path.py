"""The opt-in inference fast path: same outputs as the default path, clear errors, no mutation."""
import copy

import pytest
import torch
import torch.nn as nn

from mmcls_convnext.deploy import (
    FastInferenceBackbone,
    build_fast_inference_model,
    fold_convnext,
    optimize_for_inference,
)
from mmcls_convnext.models import ConvNeXt, ImageClassifier

TINY = dict(depths=[1, 1, 2, 1], channels=[8, 16, 32, 64])
try:
    import onnxruntime  # noqa: F401 - requirements/deploy.txt
    HAVE_ORT = True
except ImportError:
    HAVE_ORT = False
ORT = pytest.param('onnxruntime', marks=pytest.mark.skipif(
    not HAVE_ORT, reason='onnxruntime is not installed (requirements/deploy.txt)'))


def _randomise(model: nn.Module) -> nn.Module:
    """Non-trivial LN affines, layer scales and GRN params, so folding them is really tested."""
    torch.manual_seed(1)
    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(('norm.weight', 'gamma', '.0.weight')) and param.dim() == 1:
                param.uniform_(0.5, 1.5)
            elif param.dim() == 1:
                param.normal_(0, 0.1)
    return model.eval()


def _backbone(**kwargs) -> ConvNeXt:
    return _randomise(ConvNeXt(arch=TINY, **kwargs))


def _classifier(**backbone_kwargs) -> ImageClassifier:
    model = ImageClassifier(
        backbone=dict(type='ConvNeXt', arch=TINY, **backbone_kwargs),
        head=dict(type='LinearClsHead', num_classes=5, in_channels=64))
    return _randomise(model)


def _assert_same_outputs(fast, x, expected, expected_pred, scores: bool = False) -> None:
    """``fast`` gives the eager model's logits (``expected``) and predictions (and scores)."""
    torch.testing.assert_close(fast(x), expected, atol=1e-4, rtol=0)
    for got, want in zip(fast(x, mode='predict'), expected_pred):
        assert got.pred_label == want.pred_label
        if scores:
            torch.testing.assert_close(got.pred_score, want.pred_score, atol=1e-4, rtol=0)


@pytest.mark.parametrize('mode', ['fold', 'prepack', ORT])
@pytest.mark.parametrize('kwargs', [
    dict(),  # V1: layer scale gamma
    dict(use_grn=True, layer_scale_init_value=0.),  # V2: GRN, no gamma
    dict(linear_pw_conv=False),  # 1x1-conv pointwise layers
    dict(out_indices=(1, 3), gap_before_final_norm=False),  # dense multi-stage features
    dict(drop_path_rate=0.3, stem_patch_size=2),  # drop path is the identity in eval
])
def test_fast_path_matches_default_backbone(kwargs, mode):
    backbone = _backbone(**kwargs)
    x = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        expected = backbone(x)
    fast = optimize_for_inference(backbone, mode=mode)
    assert isinstance(fast, FastInferenceBackbone)
    got = fast(x)
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.shape == e.shape
        torch.testing.assert_close(g, e, atol=1e-4, rtol=0)
    assert fast.out_indices == backbone.out_indices
    assert fast.num_features == backbone.num_features


def test_fold_removes_the_affines():
    folded = fold_convnext(_backbone())
    block = folded.stages[0][0]
    assert not hasattr(block, 'gamma') and not hasattr(block, 'norm')
    # downsample LN + conv became one module; the stem (conv -> LN) cannot fold and is kept.
    assert type(folded.downsample_layers[1]).__name__ == '_NormFoldedConv'
    assert isinstance(folded.downsample_layers[0], nn.Sequential)


def test_block_with_other_norm_is_kept_and_still_correct():
    backbone = _backbone(norm_cfg=dict(type='GN', num_groups=4))
    folded = fold_convnext(backbone)
    assert type(folded.stages[0][0]).__name__ == 'ConvNeXtBlock'
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(folded(x)[0], backbone(x)[0], atol=1e-4, rtol=0)


def test_classifier_fast_path_matches_and_leaves_original_alone():
    model = _classifier()
    model.train()
    state = copy.deepcopy(model.state_dict())
    x = torch.randn(3, 3, 32, 32)
    fast = optimize_for_inference(model, mode='fold', example_inputs=(1, 3, 32, 32))
    # the argument is untouched: same weights, still training, still trainable
    assert model.training and isinstance(model.backbone, ConvNeXt)
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())
    assert all(p.requires_grad for p in model.parameters())
    model.eval()
    with torch.no_grad():
        expected = model(x)
        expected_pred = model(x, mode='predict')
    _assert_same_outputs(fast, x, expected, expected_pred, scores=True)
    assert not any(p.requires_grad for p in fast.parameters())


def test_prepack_survives_copy_and_other_inputs():
    backbone = _backbone(act_cfg=dict(type='ReLU'))  # a fused activation other than GELU
    fast = optimize_for_inference(backbone, mode='prepack', example_inputs=(1, 3, 32, 32))
    assert fast.folded.stages[0][0]._packed is not None  # packed on the first call
    clone = copy.deepcopy(fast)  # oneDNN tensors are not copyable: the cache is dropped
    assert clone.folded.stages[0][0]._packed is None
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = backbone(x)[0]
    torch.testing.assert_close(clone(x)[0], expected, atol=1e-4, rtol=0)
    # non-channels-last input and autocast take the plain path, still correct
    fast_nchw = optimize_for_inference(backbone, mode='prepack', channels_last=False)
    torch.testing.assert_close(fast_nchw(x)[0], expected, atol=1e-4, rtol=0)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        torch.testing.assert_close(fast(x)[0].float(), expected, atol=0.1, rtol=0.05)


@pytest.mark.skipif(not HAVE_ORT, reason='onnxruntime is not installed')
def test_onnxruntime_mode_dynamic_shapes_copies_and_errors():
    import pickle
    model = _classifier()
    fast = optimize_for_inference(model, mode='onnxruntime', example_inputs=(1, 3, 32, 32))
    runner = fast.backbone._run
    assert runner._session is not None and runner.threads == torch.get_num_threads()
    # its pool sleeps instead of spinning (a spinning pool starves itself on a shared CPU)
    options = runner._session.get_session_options()
    assert options.get_session_config_entry('session.intra_op.allow_spinning') == '0'
    x = torch.randn(4, 3, 64, 96)  # another batch size and image shape than the export's
    with torch.no_grad():
        expected = model(x)
        expected_pred = model(x, mode='predict')
    _assert_same_outputs(fast, x, expected, expected_pred)
    for clone in (copy.deepcopy(fast), pickle.loads(pickle.dumps(fast))):
        assert clone.backbone._run._session is None  # dropped, rebuilt on the first call
        torch.testing.assert_close(clone(x), expected, atol=1e-4, rtol=0)
    with pytest.raises(TypeError, match="mode='onnxruntime' runs float32 on the CPU; got a "
                       'torch.float64 tensor'):
        fast.backbone(x.double())


def test_compile_mode_wraps_the_folded_model_lazily():
    # Compiling costs tens of seconds on 2 CPU cores, so the compiled call itself is exercised by
    # tools/analysis_tools/benchmark.py (docs/benchmark.md); here: what is built, without a call.
    fast = optimize_for_inference(_backbone(), mode='compile')
    assert type(fast._run).__name__ == 'OptimizedModule' and fast._run._orig_mod is fast.folded
    fold = optimize_for_inference(_backbone(), mode='fold')
    assert list(fast.state_dict()) == list(fold.state_dict())  # no duplicate compiled copy


def test_fast_backbone_refuses_training():
    fast = optimize_for_inference(_backbone())
    fast.eval()  # allowed
    with pytest.raises(RuntimeError, match='cannot be trained'):
        fast.train()


def test_bad_mode_and_model():
    with pytest.raises(ValueError, match=r"Unknown fast inference mode 'compil'.*'compile'"):
        optimize_for_inference(_backbone(), mode='compil')
    with pytest.raises(TypeError, match='needs a ConvNeXt backbone.*Linear'):
        optimize_for_inference(nn.Linear(2, 2))
    with pytest.raises(TypeError, match='fold_convnext expects a ConvNeXt'):
        fold_convnext(nn.Linear(2, 2))


def test_config_switch():
    model = _classifier()
    assert build_fast_inference_model(model, None) is model
    fast = build_fast_inference_model(model, dict(mode='fold', channels_last=False))
    assert isinstance(fast.backbone, FastInferenceBackbone) and not fast.backbone.channels_last
    with pytest.raises(KeyError, match=r"Unknown key\(s\) \['mdoe'\].*'mode'"):
        build_fast_inference_model(model, dict(mdoe='fold'))
    with pytest.raises(TypeError, match='fast_inference must be a dict'):
        build_fast_inference_model(model, 'compile')


def test_apply_fast_inference_reads_the_config_and_the_argument_wins():
    from mmengine.config import Config

    from mmcls_convnext.deploy import apply_fast_inference
    model = ImageClassifier(backbone=dict(type='ConvNeXt', arch=TINY),
                            head=dict(type='LinearClsHead', num_classes=3, in_channels=64)).eval()
    model.cfg = model._config = Config(dict(model=dict()))
    assert apply_fast_inference(model, Config(dict(fast_inference=None))) is model
    assert apply_fast_inference(model, None) is model
    cfg = Config(dict(fast_inference=dict(mode='fold', channels_last=False)))
    fast = apply_fast_inference(model, cfg)
    assert fast is not model and fast.cfg is cfg and fast._config is cfg
    assert isinstance(fast.backbone, FastInferenceBackbone)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(fast(x), model(x), atol=1e-4, rtol=0)
    with pytest.raises(KeyError, match=r"Unknown key\(s\) \['mdoe'\]"):
        apply_fast_inference(model, cfg, dict(mdoe='fold'))  # the argument overrides the config


# --------------------------------------------------------------------------- mode='auto'
@pytest.mark.parametrize('device, capability, expected', [
    ('cpu', 'AVX512', 'prepack'),   # AVX-512: the pre-packed oneDNN matmuls win
    ('cpu', 'AVX2', 'onnxruntime'),  # AVX2: ONNX Runtime (installed here), prepack is not faster
    ('cpu', 'DEFAULT', None),       # e.g. Arm / no SIMD capability: unmeasured
    ('cuda', 'AVX512', None),       # GPU: oneDNN / ONNX Runtime paths are CPU-only
    (torch.device('cuda', 0), 'AVX2', None),
])
def test_select_mode_from_capabilities(device, capability, expected):
    from mmcls_convnext.deploy import select_mode
    assert select_mode(device, cpu_capability=capability) == expected


def test_select_mode_reads_the_machine(monkeypatch):
    """Without a capability argument it asks torch (mocked both ways here)."""
    from mmcls_convnext.deploy import select_mode
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability', lambda: 'AVX512')
    assert select_mode() == 'prepack'
    monkeypatch.setattr(torch.backends.mkldnn, 'is_available', lambda: False)
    assert select_mode() is None  # no oneDNN in this torch build
    monkeypatch.undo()
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability', lambda: 'AVX2')
    assert select_mode('cpu') == 'onnxruntime'


def _hide_onnxruntime(monkeypatch):
    """Make onnx / onnxruntime look uninstalled to importlib.util.find_spec."""
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec',
                        lambda name, *a, **k: None if name in ('onnx', 'onnxruntime')
                        else real(name, *a, **k))


def test_select_mode_on_avx2_needs_onnxruntime(monkeypatch):
    """AVX2 without ONNX Runtime installed: the default path (prepack is not faster there)."""
    from mmcls_convnext.deploy import select_mode
    _hide_onnxruntime(monkeypatch)
    assert select_mode('cpu', cpu_capability='AVX2') is None
    assert select_mode('cpu', cpu_capability='AVX512') == 'prepack'  # needs no ONNX Runtime


def test_auto_mode_runs_onnxruntime_on_avx2(monkeypatch):
    """AVX2 with ONNX Runtime: mode='auto' runs it, same logits as the default path."""
    pytest.importorskip('onnxruntime')
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability', lambda: 'AVX2')
    model = _classifier()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)
    fast = build_fast_inference_model(model, dict(mode='auto'))
    assert fast.backbone.requested_mode == 'auto' and fast.backbone.mode == 'onnxruntime'
    with torch.no_grad():
        torch.testing.assert_close(fast(x), expected, atol=1e-4, rtol=0)


def test_auto_mode_builds_prepack_on_avx512(monkeypatch):
    """mode='auto' (from a config) runs 'prepack' on a (mocked) AVX-512 CPU, same logits."""
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability', lambda: 'AVX512')
    model = _classifier()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = model(x)
    fast = build_fast_inference_model(model, dict(mode='auto'))
    assert isinstance(fast.backbone, FastInferenceBackbone)
    assert fast.backbone.requested_mode == 'auto' and fast.backbone.mode == 'prepack'
    assert any(getattr(b, 'prepack', False) for b in fast.modules())
    torch.testing.assert_close(fast(x), expected, atol=1e-4, rtol=0)


def test_auto_mode_keeps_the_default_path_on_avx2_without_onnxruntime(monkeypatch):
    """AVX2, no ONNX Runtime: an eval-mode, gradient-free copy of the unchanged model."""
    monkeypatch.setattr(torch.backends.cpu, 'get_cpu_capability', lambda: 'AVX2')
    _hide_onnxruntime(monkeypatch)
    model = _classifier().train()
    x = torch.randn(2, 3, 32, 32)
    same = optimize_for_inference(model, mode='auto')
    assert type(same.backbone) is ConvNeXt and same.backbone is not model.backbone
    assert not same.training and model.training  # the argument is not modified
    assert not any(p.requires_grad for p in same.parameters())
    with torch.no_grad():
        torch.testing.assert_close(same(x), model.eval()(x), atol=0, rtol=0)
