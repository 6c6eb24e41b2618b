"""Checking that two datasets (train and val) index the same classes the same way."""
from typing import Any, Optional, Tuple

from .scan import DatasetError


def _classes_of(dataset: Any, role: str) -> Optional[Tuple[str, ...]]:
    if hasattr(dataset, 'full_init'):
        dataset.full_init()
    meta = getattr(dataset, 'metainfo', None)
    if meta is None:
        raise TypeError(f'The {role} dataset ({type(dataset).__name__}) has no metainfo.')
    classes = meta.get('classes')
    return None if classes is None else tuple(classes)


def check_class_maps(train_dataset: Any, val_dataset: Any, train_name: str = 'train',
                     val_name: str = 'val') -> None:
    """Raise DatasetError (a ValueError) unless both datasets share classes and their order.

    A model trained on ``train_dataset`` predicts indices of its class list; evaluating on a
    dataset whose index -> class map differs gives meaningless accuracy. The usual cause is a
    class folder missing (or extra) in val, which shifts every later index.

    Raises:
        DatasetError: naming the classes missing on either side, or the first index that differs.
    """
    train = _classes_of(train_dataset, train_name)
    val = _classes_of(val_dataset, val_name)
    if train is None or val is None or train == val:
        return
    only_train = [c for c in train if c not in set(val)]
    only_val = [c for c in val if c not in set(train)]
    fix = (f' Give both datasets the same classes=[...] (then folders are mapped by name and a '
           f'class may be absent from {val_name}), or fix the folders.')
    if only_train or only_val:
        raise DatasetError(
            f'The {train_name} and {val_name} datasets have different classes '
            f'({len(train)} vs {len(val)}): only in {train_name}: {only_train[:20]}; '
            f'only in {val_name}: {only_val[:20]}.' + fix)
    first = next(i for i, (a, b) in enumerate(zip(train, val)) if a != b)
    raise DatasetError(
        f'The {train_name} and {val_name} datasets have the same classes in a different order: '
        f'index {first} is {train[first]!r} in {train_name} but {val[first]!r} in {val_name}.'
        + fix)
