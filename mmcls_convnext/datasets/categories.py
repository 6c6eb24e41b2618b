"""Class names of the standard datasets, in the label order their publishers use (the same
tuples as MMPretrain's ``mmpretrain.datasets.categories``, so checkpoints and configs trained
there name the same classes here)."""

VOC2007_CATEGORIES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat',
                      'chair', 'cow', 'diningtable', 'dog', 'horse', 'motorbike', 'person',
                      'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor')
