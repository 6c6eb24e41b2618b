"""Error types of the datasets and transforms.

Each one is the ordinary Python error a caller would catch (``ValueError``, ``TypeError``) and
also the ``AssertionError`` / ``RuntimeError`` that MMPretrain raises for the same input, so
code and tests written against MMPretrain keep working while users get a message saying what
was given, what is allowed and how to fix it.
"""


class DataConfigError(ValueError, AssertionError):
    """An invalid value of a dataset or transform argument."""


class DataConfigTypeError(TypeError, AssertionError):
    """A dataset or transform argument of the wrong type."""


class NoImagesFoundError(ValueError, RuntimeError):
    """A folder scan found no image with an accepted extension."""
