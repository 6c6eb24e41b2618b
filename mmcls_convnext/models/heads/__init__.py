from .cls_head import ClsHead, LinearClsHead
from .margin_head import ArcFaceClsHead
from .multi_label_cls_head import MultiLabelClsHead, MultiLabelLinearClsHead
from .multi_label_csra_head import CSRAHead
from .multi_task_head import MultiTaskHead
from .stacked_head import StackedLinearClsHead

__all__ = ['ArcFaceClsHead', 'CSRAHead', 'ClsHead', 'LinearClsHead', 'MultiLabelClsHead',
           'MultiLabelLinearClsHead', 'MultiTaskHead', 'StackedLinearClsHead']
