"""``VOC``: PASCAL VOC 2007 as a multi-label classification dataset, read from its own tree."""
import os.path as osp
import xml.etree.ElementTree as ET
from typing import List, Optional, Tuple, Union

from mmengine.fileio import LocalBackend, get_file_backend, list_from_file
from mmengine.logging import MMLogger

from mmcls_convnext.registry import DATASETS

from .base_dataset import expanduser
from .categories import VOC2007_CATEGORIES
from .errors import DataConfigError, DatasetError
from .multi_label import MultiLabelDataset

SPLITS = ('train', 'val', 'trainval', 'test')
LAYOUT = ('VOCdevkit/VOC2007/{JPEGImages/*.jpg, Annotations/*.xml, ImageSets/Main/{split}.txt} '
          '(extracted from VOCtrainval_06-Nov-2007.tar and VOCtest_06-Nov-2007.tar)')


@DATASETS.register_module()
class VOC(MultiLabelDataset):
    """PASCAL VOC 2007 classification (20 classes, several per image), MMPretrain's ``VOC``.

    Layout (``data_root`` is the ``VOC2007`` folder of the extracted ``VOCdevkit``)::

        data_root/
          JPEGImages/000005.jpg ...
          Annotations/000005.xml ...      <object><name>chair</name><difficult>0</difficult>
          ImageSets/Main/{train,val,trainval,test}.txt   one image id per line

    Every ``<object>`` of an image's XML whose ``<name>`` is one of ``CLASSES`` gives a label;
    objects marked ``<difficult>1</difficult>`` go to ``gt_label_difficult`` (MMPretrain's
    ``VOCMultiLabelMetric`` ignores them), the others to ``gt_label``. An object named outside
    ``CLASSES`` (e.g. when ``classes`` narrows them) is skipped. Labels are sorted lists; a
    class may be in both lists when an image has easy and difficult instances of it.

    Args:
        data_root: the ``VOC2007`` folder.
        split: ``'train'``, ``'val'``, ``'trainval'`` or ``'test'``; or '' to give
            ``image_set_path`` (and ``data_prefix``) yourself.
        image_set_path: image-id list relative to ``data_root``; defaults to
            ``ImageSets/Main/{split}.txt``.
        data_prefix: ``dict(img_path='JPEGImages', ann_path='Annotations')`` by default; a
            string is the image folder only. Without ``ann_path`` (allowed only for an
            evaluation set in ``test_mode``) samples have ``gt_label=None``.
        test_mode: evaluation mode (a warning if the train/trainval split is used so).
        metainfo, classes: class names (default the 20 VOC2007 classes).
        **kwargs: other arguments of :class:`BaseDataset`.
    """

    METAINFO = {'classes': VOC2007_CATEGORIES}

    def __init__(self, data_root: str, split: str = 'trainval', image_set_path: str = '',
                 data_prefix: Union[str, dict, None] = None, test_mode: bool = False,
                 metainfo: Optional[dict] = None, **kwargs) -> None:
        data_root = expanduser(data_root)
        if not isinstance(data_root, str) or not data_root:
            raise DataConfigError(f'VOC needs data_root, the VOC2007 folder: {LAYOUT}; got '
                                  f'{data_root!r}.')
        self.backend = get_file_backend(data_root, enable_singleton=True)
        if split:
            if split not in SPLITS:
                raise DataConfigError(f"The split must be one of {list(SPLITS)}, but get "
                                      f"'{split}' (or split='' with image_set_path).")
            if not image_set_path:
                image_set_path = self.backend.join_path('ImageSets', 'Main', f'{split}.txt')
        elif not image_set_path:
            raise DataConfigError("VOC with split='' needs image_set_path (a file of image ids "
                                  'relative to data_root).')
        self.split = split
        if split in ('train', 'trainval') and test_mode:
            MMLogger.get_current_instance().warning(
                f'split="{split}" but test_mode=True. The {split} set will be used.')
        if data_prefix is None or data_prefix == '' or data_prefix == {}:
            data_prefix = dict(img_path='JPEGImages', ann_path='Annotations')
        if isinstance(data_prefix, str):
            data_prefix = dict(img_path=data_prefix)
        if not isinstance(data_prefix, dict) or 'img_path' not in data_prefix:
            raise DataConfigError('VOC data_prefix must be a folder name or a dict with '
                                  f"'img_path' (and 'ann_path'); got {data_prefix!r}.")
        if data_prefix.get('ann_path') is None and (split in ('train', 'trainval')
                                                    or not test_mode):
            raise DataConfigError(
                "VOC: data_prefix['ann_path'] (the Annotations folder) must be set unless an "
                "evaluation set (split 'val'/'test' or '') is read with test_mode=True; got "
                f'data_prefix={data_prefix!r}.')
        self.image_set_path = self.backend.join_path(data_root, image_set_path)
        super().__init__(ann_file='', metainfo=metainfo, data_root=data_root,
                         data_prefix=data_prefix, test_mode=test_mode, **kwargs)

    @property
    def ann_prefix(self) -> Optional[str]:
        """The folder of the XML annotations, or None (no labels)."""
        return self.data_prefix.get('ann_path')

    def _labels_from_xml(self, img_id: str) -> Tuple[List[int], List[int]]:
        xml_path = self.backend.join_path(self.ann_prefix, f'{img_id}.xml')
        if isinstance(self.backend, LocalBackend) and not osp.isfile(xml_path):
            raise DatasetError(f'VOC: the annotation of image {img_id!r} listed in '
                               f'{self.image_set_path} is missing: {xml_path}. Expected layout: '
                               f'{LAYOUT}.')
        try:
            root = ET.fromstring(self.backend.get(xml_path))
        except ET.ParseError as exc:
            raise DatasetError(f'VOC: {xml_path} is not valid XML ({exc}); re-extract it from '
                               'the VOC2007 archives.') from None
        class_to_idx = self.class_to_idx
        labels, difficult_labels = set(), set()
        for number, obj in enumerate(root.findall('object'), start=1):
            name = obj.findtext('name')
            if name is None:
                raise DatasetError(f'VOC: object #{number} in {xml_path} has no <name>; every '
                                   '<object> names its class.')
            name = name.strip()
            if name not in class_to_idx:
                continue
            difficult = (obj.findtext('difficult') or '0').strip()
            if difficult not in ('0', '1'):
                raise DatasetError(f'VOC: object #{number} ({name}) in {xml_path} has '
                                   f'<difficult>{difficult}</difficult>; expected 0 or 1.')
            (difficult_labels if difficult == '1' else labels).add(class_to_idx[name])
        return sorted(labels), sorted(difficult_labels)

    def load_data_list(self) -> List[dict]:
        """One sample per image id: ``img_path``, ``gt_label``, ``gt_label_difficult``."""
        if isinstance(self.backend, LocalBackend) and not osp.isfile(self.image_set_path):
            raise FileNotFoundError(f'VOC: the image-set file {self.image_set_path} does not '
                                    f'exist. Expected layout under data_root: {LAYOUT}.')
        img_ids = [line.strip() for line in list_from_file(self.image_set_path)
                   if line.strip()]
        data_list = []
        for img_id in img_ids:
            labels = difficult = None
            if self.ann_prefix is not None:
                labels, difficult = self._labels_from_xml(img_id)
            data_list.append(dict(
                img_path=self.backend.join_path(self.img_prefix, f'{img_id}.jpg'),
                gt_label=labels, gt_label_difficult=difficult))
        return data_list

    def extra_repr(self) -> List[str]:
        return [f'Prefix of dataset: \t{self.data_root}',
                f'Path of image set: \t{self.image_set_path}',
                f'Prefix of images: \t{self.img_prefix}',
                f'Prefix of annotations: \t{self.ann_prefix}']
