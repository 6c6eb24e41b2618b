"""Test-time augmentation for ``tools/test.py --tta``: average the class scores of the views."""
import copy
from typing import Any, List, Sequence

import torch
from mmengine.model import BaseTTAModel

from mmcls_convnext.registry import MODELS


@MODELS.register_module()
class AverageClsScoreTTA(BaseTTAModel):
    """Wrap a classifier; each image's prediction is the mean ``pred_score`` of its views.

    Args:
        module: the classifier (config dict or module).
    """

    def merge_preds(self, data_samples_list: List[Sequence[Any]]) -> list:
        """``data_samples_list[i]`` holds the predictions of image ``i``'s views."""
        merged = []
        for views in data_samples_list:
            out = copy.copy(views[0])
            score = torch.stack([v.pred_score for v in views]).mean(dim=0)
            out.set_field(score, 'pred_score', field_type='data')
            out.set_field(score.argmax(dim=0, keepdim=True), 'pred_label', field_type='data')
            merged.append(out)
        return merged


def default_tta_pipeline(test_pipeline: Sequence[dict]) -> List[dict]:
    """The test pipeline with the image and its horizontal flip as two views.

    Args:
        test_pipeline: a test pipeline ending with ``PackInputs``.
    """
    steps = [dict(step) for step in test_pipeline]
    if not steps or steps[-1].get('type') != 'PackInputs':
        raise ValueError('--tta needs a test pipeline that ends with PackInputs, or set '
                         f'cfg.tta_pipeline; got {[s.get("type") for s in steps]}.')
    pack = steps.pop()
    flips = [dict(type='RandomFlip', prob=1., direction='horizontal'),
             dict(type='RandomFlip', prob=0., direction='horizontal')]
    return steps + [dict(type='mmcv.TestTimeAug', transforms=[flips, [pack]])]
