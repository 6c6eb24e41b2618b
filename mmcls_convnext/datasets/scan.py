"""Listing samples: class folders on disk, or ``path label`` annotation files."""
import os
import os.path as osp
from typing import List, Optional, Sequence, Tuple

from mmengine.logging import MMLogger

from .errors import DatasetError, DatasetMismatchError, NoImagesFoundError  # noqa: F401

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp')

Sample = Tuple[str, Optional[int]]




def normalize_extensions(extensions: Sequence[str]) -> Tuple[str, ...]:
    """Lower-case extensions with a leading dot; raise TypeError/ValueError for bad input."""
    if isinstance(extensions, str) or not isinstance(extensions, Sequence):
        raise TypeError(f'extensions must be a sequence of strings like (".jpg", ".png"); '
                        f'got {extensions!r}.')
    if not extensions:
        raise ValueError('extensions must not be empty.')
    out = []
    for ext in extensions:
        if not isinstance(ext, str) or not ext.strip('.'):
            raise ValueError(f'Bad extension {ext!r} in extensions={extensions!r}.')
        out.append('.' + ext.lower().lstrip('.'))
    return tuple(out)


def list_images(folder: str, extensions: Tuple[str, ...]) -> List[str]:
    """Image files under ``folder`` (recursive, sorted), relative to it; hidden entries skipped.

    Symlinked folders are followed, but each real folder is walked once and never one holding
    ``folder`` itself (a symlink loop ends the descent), and each real file is listed once
    (its first path in sorted order), so links never multiply a class's samples."""
    found = []
    top = osp.realpath(folder)
    seen_dirs, seen_files = {top}, set()
    for root, dirs, files in os.walk(folder, followlinks=True):
        kept = []
        for d in sorted(d for d in dirs if not d.startswith('.')):
            real = osp.realpath(osp.join(root, d))
            if real not in seen_dirs and not top.startswith(real + os.sep):  # no ancestor
                seen_dirs.add(real)
                kept.append(d)
        dirs[:] = kept
        rel_root = osp.relpath(root, folder)
        for name in sorted(files):
            if name.startswith('.') or not name.lower().endswith(extensions):
                continue
            real = osp.realpath(osp.join(root, name))
            if real in seen_files:
                continue
            seen_files.add(real)
            found.append(name if rel_root == '.' else osp.join(rel_root, name))
    return found


def _relative_to_cwd(path: str) -> str:
    """`` (relative to the current directory DIR)`` for a relative path, else ``''``: configs
    name data roots relative to where the tool is started, which is easy to get wrong."""
    return '' if osp.isabs(path) else f' (relative to the current directory {os.getcwd()})'


def find_class_folders(root: str) -> List[str]:
    """Sorted names of the non-hidden sub-folders of ``root``."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'Image folder "{root}"{_relative_to_cwd(root)} does not exist. '
                                'Check data_root and data_prefix (or pass ann_file).')
    return sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith('.'))


def scan_class_folders(root: str, extensions: Tuple[str, ...],
                       classes: Optional[Sequence[str]]) -> Tuple[List[Sample], Tuple[str, ...]]:
    """Samples of a folder-per-class tree and the class names, index = position.

    Class folders are sorted by name. With ``classes`` given: if every folder is named after a
    class, folders map to classes by name (a folder may be missing, e.g. in val); otherwise the
    sorted folders map to ``classes`` by position (e.g. ImageNet wnids -> readable names) and
    the counts must agree. A class folder without images (of ``extensions``) is logged as a
    warning and keeps its class index.

    Raises:
        FileNotFoundError: ``root`` is missing.
        DatasetError: no class folders (DatasetMismatchError: a folder/class mismatch).
        NoImagesFoundError: no class folder holds an image.
    """
    folders = find_class_folders(root)
    if not folders:
        loose = list_images(root, extensions)[:3]
        hint = (f' It holds images directly (e.g. {loose}); put them in one folder per class, '
                'or use an annotation file (ann_file) or with_label=False.' if loose else '')
        raise DatasetError(f'No class folders found in "{root}".{hint}')
    if classes is None:
        classes = tuple(folders)
        folder_to_idx = {f: i for i, f in enumerate(folders)}
    elif set(folders) <= set(classes):
        folder_to_idx = {f: list(classes).index(f) for f in folders}
    elif len(folders) == len(classes):
        folder_to_idx = {f: i for i, f in enumerate(folders)}
    else:
        unknown = sorted(set(folders) - set(classes))[:10]
        raise DatasetMismatchError(
            f'The number of class folders in "{root}" ({len(folders)}) doesn\'t match the '
            f'number of given classes ({len(classes)}), and folders {unknown} are not class '
            'names. Either name the folders after the classes, or give exactly one class per '
            'folder (in sorted folder order).')
    samples: List[Sample] = []
    empty = []
    for folder in folders:
        files = list_images(osp.join(root, folder), extensions)
        if not files:
            empty.append(folder)
        samples.extend((osp.join(folder, f), folder_to_idx[folder]) for f in files)
    supported = f'Supported extensions are: {", ".join(extensions)}'
    if not samples:
        raise NoImagesFoundError(f'Found no images in the class folders of "{root}". '
                                 f'{supported}. Add images, or widen `extensions`.')
    if empty:
        MMLogger.get_current_instance().warning(
            f'Class folder(s) {empty} in "{root}" hold no images ({supported}); the class(es) '
            'keep their index but have no samples. Remove the empty folder(s), add images, or '
            'widen `extensions`.')
    return samples, tuple(classes)


def scan_unlabeled(root: str, extensions: Tuple[str, ...]) -> List[Sample]:
    """All images under ``root`` (recursive), without labels."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'Image folder "{root}"{_relative_to_cwd(root)} does not exist. '
                                'Check data_root and data_prefix.')
    files = list_images(root, extensions)
    if not files:
        raise NoImagesFoundError(f'No images with extensions {extensions} found under '
                                 f'"{root}".')
    return [(f, None) for f in files]


def read_annotation_file(ann_file: str, with_label: bool) -> List[Sample]:
    """Parse ``path label`` lines (``path`` alone when ``with_label=False``).

    The label is the last space-separated field, so paths may contain spaces. Blank lines are
    skipped.

    Raises:
        FileNotFoundError: the file is missing.
        DatasetError: a line without an integer label (message names file and line), or no
            samples.
    """
    if not osp.isfile(ann_file):
        raise FileNotFoundError(f'Annotation file "{ann_file}"{_relative_to_cwd(ann_file)} does '
                                'not exist. Check data_root and ann_file.')
    samples: List[Sample] = []
    with open(ann_file, 'rb') as f:
        for lineno, raw in enumerate(f, start=1):
            try:
                line = raw.decode('utf-8').strip()
            except UnicodeDecodeError as exc:
                raise DatasetError(
                    f'{ann_file}, line {lineno}: not UTF-8 text (byte {raw[exc.start]:#04x} at '
                    f'column {exc.start + 1}). Save the annotation file as UTF-8.') from None
            if not line:
                continue
            if not with_label:
                samples.append((line, None))
                continue
            parts = line.rsplit(maxsplit=1)
            if len(parts) != 2 or not parts[1].lstrip('-').isdigit() or int(parts[1]) < 0:
                raise DatasetError(f'{ann_file}, line {lineno}: expected "<path> <label>" with a '
                                 f'non-negative integer label; got {line!r}.')
            samples.append((parts[0], int(parts[1])))
    if not samples:
        raise DatasetError(f'Annotation file "{ann_file}" lists no samples.')
    return samples


def read_class_names(path: str) -> Tuple[str, ...]:
    """Class names from a text file, one per line (blank lines skipped)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'Class-name file "{path}" does not exist.')
    with open(path, encoding='utf-8') as f:
        names = tuple(line.strip() for line in f if line.strip())
    if not names:
        raise DatasetError(f'Class-name file "{path}" is empty.')
    return names
