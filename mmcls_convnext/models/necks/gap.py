"""Global average pooling neck."""
from typing import Tuple

import torch
import torch.nn as nn

from mmcls_convnext.registry import MODELS


@MODELS.register_module()
class GlobalAveragePooling(nn.Module):
    """Average each ``(N, C, H, W)`` feature over H and W -> ``(N, C)``; 2-D inputs pass."""

    def forward(self, inputs: Tuple[torch.Tensor, ...]) -> Tuple[torch.Tensor, ...]:
        if isinstance(inputs, torch.Tensor):
            inputs = (inputs,)
        return tuple(x.mean(dim=(2, 3)) if x.dim() == 4 else x for x in inputs)
