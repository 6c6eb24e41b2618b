from .cls_head import ClsHead, LinearClsHead
from .margin_head import ArcFaceClsHead

__all__ = ['ClsHead', 'LinearClsHead', 'ArcFaceClsHead']
