"""``MultiTaskDataSample``: one image's annotations and predictions for several tasks."""
from typing import List

from mmengine.structures import BaseDataElement


class MultiTaskDataSample(BaseDataElement):
    """A data element whose data fields are the tasks: each holds the task's
    :class:`~mmcls_convnext.structures.DataSample` (or, for nested task groups, another
    ``MultiTaskDataSample``), e.g. ``sample.task0.gt_label``.

    A task absent from a sample has no annotation for that image; ``MultiTaskHead`` then leaves
    the image out of that task's loss.
    """

    @property
    def tasks(self) -> List[str]:
        """The names of the tasks this sample carries, sorted."""
        return sorted(self._data_fields)
