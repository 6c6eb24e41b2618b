"""``DumpResults`` of our scope: mmengine's (``tools/test.py --out FILE.pkl``: one dict per
image) with a metric prefix, so building it logs no "prefix is not set" warning."""
from mmengine.evaluator import DumpResults as _MMEngineDumpResults

from mmcls_convnext.registry import METRICS


@METRICS.register_module(name='DumpResults')
class DumpResults(_MMEngineDumpResults):
    """mmengine's ``DumpResults`` (same arguments, same file); it computes no metric, so its
    prefix (``'dump'``) never shows in the results - it only keeps mmengine from warning that
    none is set."""

    default_prefix = 'dump'
