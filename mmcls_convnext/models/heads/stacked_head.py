"""``StackedLinearClsHead``: an MLP classifier (Linear [-> norm] [-> act] [-> dropout]) x n."""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmcv.cnn import build_activation_layer, build_norm_layer
from mmengine.model import BaseModule, ModuleList

from mmcls_convnext.registry import MODELS

from ..errors import ModelConfigError
from .cls_head import ClsHead

#: The activation after each hidden layer unless ``act_cfg`` says otherwise (None: none).
DEFAULT_ACT = {'type': 'ReLU'}


class LinearBlock(BaseModule):
    """``fc`` -> optional norm -> optional activation -> optional dropout."""

    def __init__(self, in_channels: int, out_channels: int, dropout_rate: float = 0.,
                 norm_cfg: Optional[dict] = None, act_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(in_channels, out_channels)
        self.norm = (None if norm_cfg is None
                     else build_norm_layer(dict(norm_cfg), out_channels)[1])
        self.act = None if act_cfg is None else build_activation_layer(dict(act_cfg))
        self.dropout = nn.Dropout(p=dropout_rate) if dropout_rate > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.fc(x)
        for layer in (self.norm, self.act, self.dropout):
            if layer is not None:
                x = layer(x)
        return x


@MODELS.register_module()
class StackedLinearClsHead(ClsHead):
    """Linear layers of widths ``mid_channels`` then one to ``num_classes`` (MMPretrain's
    ``StackedLinearClsHead``); softmax prediction like :class:`LinearClsHead`.

    Args:
        num_classes: number of classes.
        in_channels: width of the input feature.
        mid_channels: widths of the hidden layers (a sequence, e.g. ``[1024]``).
        dropout_rate: dropout after each hidden layer.
        norm_cfg: norm after each hidden layer, e.g. ``dict(type='BN1d')``; None: none.
        act_cfg: activation after each hidden layer; None: none.
        loss, topk, cal_acc: see :class:`ClsHead`.
        init_cfg: defaults to normal(std=0.01) on the Linear layers.
    """

    def __init__(self, num_classes: int, in_channels: int, mid_channels: Sequence[int],
                 dropout_rate: float = 0., norm_cfg: Optional[dict] = None,
                 act_cfg: Optional[dict] = DEFAULT_ACT, loss: Optional[dict] = None,
                 topk=(1,), cal_acc: bool = False, init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = dict(type='Normal', layer='Linear', std=0.01)
        super().__init__(loss=loss, topk=topk, cal_acc=cal_acc, init_cfg=init_cfg)
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ModelConfigError(f'StackedLinearClsHead {name}={value!r} must be a '
                                       f'positive int (e.g. {name}=10).')
        if isinstance(mid_channels, (str, bytes)) or not isinstance(mid_channels, Sequence):
            raise ModelConfigError(f'StackedLinearClsHead mid_channels should be a sequence of '
                                   f'hidden widths, e.g. [{mid_channels!r}]; got '
                                   f'{type(mid_channels).__name__} {mid_channels!r}.')
        if not all(isinstance(c, int) and not isinstance(c, bool) and c > 0
                   for c in mid_channels):
            raise ModelConfigError(f'StackedLinearClsHead mid_channels must hold positive ints; '
                                   f'got {list(mid_channels)!r}.')
        if not 0 <= dropout_rate < 1:
            raise ModelConfigError(f'StackedLinearClsHead dropout_rate={dropout_rate!r} must be '
                                   f'in [0, 1).')
        self.num_classes = num_classes
        self.in_channels = in_channels
        self.mid_channels = list(mid_channels)
        self.dropout_rate = dropout_rate
        self.norm_cfg = norm_cfg
        self.act_cfg = act_cfg
        widths = [in_channels] + self.mid_channels
        self.layers = ModuleList(
            [LinearBlock(c_in, c_out, dropout_rate, norm_cfg, act_cfg)
             for c_in, c_out in zip(widths[:-1], widths[1:])]
            + [LinearBlock(widths[-1], num_classes)])

    def pre_logits(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        """The output of the last hidden layer."""
        x = super().pre_logits(feats)
        for layer in self.layers[:-1]:
            x = layer(x)
        return x

    def forward(self, feats: Tuple[torch.Tensor, ...]) -> torch.Tensor:
        return self.layers[-1](self.pre_logits(feats))
