"""Error types of the datasets and transforms.

Each one is the ordinary Python error a caller would catch (``ValueError``, ``TypeError``) and
also the ``AssertionError`` / ``RuntimeError`` that MMPretrain raises for the same input, so
code and tests written against MMPretrain keep working while users get a message saying what
was given, what is allowed and how to fix it.
"""


class DataConfigError(ValueError, AssertionError):
    """An invalid value of a dataset or transform argument."""


class DatasetArgumentError(DataConfigError, TypeError):
    """A dataset config passes an argument its type does not take (a ``TypeError`` too, as
    Python's own unexpected-keyword error is)."""


class DataConfigTypeError(TypeError, AssertionError):
    """A dataset or transform argument of the wrong type."""


class DatasetError(ValueError):
    """The data on disk does not form a usable dataset (no / empty / mismatched class folders,
    a bad annotation line, labels the model cannot predict). The message names the folder or
    file, what was expected and how to fix it; the tools print it as one ``ERROR`` line."""


class DatasetMismatchError(DatasetError, AssertionError):
    """Class folders and the given class names do not match (MMPretrain asserts here)."""


class NoImagesFoundError(DatasetError, RuntimeError):
    """A folder scan found no image with an accepted extension."""


class DatasetFormatError(DatasetError, AssertionError):
    """An annotation entry of the wrong form (MMPretrain asserts here)."""


class MissingInputError(KeyError, AssertionError):
    """A transform's input key (e.g. ``results['img']``) is missing (MMPretrain asserts)."""
