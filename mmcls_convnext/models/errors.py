"""Error types of model construction and use.

Each is also the exception MMPretrain raises in the same situation (mostly a bare
``AssertionError``), so code written for MMPretrain that catches that type keeps working, while
our messages say what was given, what is allowed and how to fix it.
"""


class ModelConfigError(ValueError, AssertionError):
    """A model component got an argument value it cannot use (also an ``AssertionError``)."""


class ModelConfigTypeError(TypeError, AssertionError):
    """A model component got an argument of the wrong type (also an ``AssertionError``)."""


class InvalidModeError(ValueError, RuntimeError):
    """``forward(mode=...)`` got an unknown mode (also the ``RuntimeError`` MMPretrain raises)."""


class TargetError(ValueError, AssertionError):
    """A loss or head got targets that do not fit its scores (also an ``AssertionError``)."""
