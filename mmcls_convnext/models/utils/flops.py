"""Count multiply-accumulates (MACs, reported as "FLOPs" as in MMPretrain) and parameters."""
from typing import Dict, Tuple

import torch
from mmengine.analysis import FlopAnalyzer, parameter_count


def count_flops(model: torch.nn.Module, shape: Tuple[int, int] = (224, 224),
                in_channels: int = 3) -> Dict[str, object]:
    """MACs of one forward pass of one image, and the parameter count.

    Uses mmengine's jit-trace based ``FlopAnalyzer`` (1 MAC per multiply-add of conv / linear;
    LayerNorm counted as 5 per element); the model runs in ``'tensor'`` mode.

    Args:
        model: e.g. an ``ImageClassifier``; put in eval mode here.
        shape: input (H, W).
        in_channels: input channels.

    Returns:
        ``dict(flops=int, params=int, by_operator={op: int}, input_shape=(C, H, W))``.
    """
    if len(shape) != 2 or any(int(s) <= 0 for s in shape):
        raise ValueError(f'shape must be (H, W) with positive sizes, got {shape!r}.')
    model = model.eval()
    inputs = torch.zeros(1, in_channels, int(shape[0]), int(shape[1]))
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    with torch.no_grad():
        total = int(analyzer.total())
        by_operator = {k: int(v) for k, v in analyzer.by_operator().items()}
    return dict(flops=total, params=int(parameter_count(model)['']), by_operator=by_operator,
                input_shape=(in_channels, int(shape[0]), int(shape[1])))
