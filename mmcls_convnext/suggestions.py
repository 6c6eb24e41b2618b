""""Did you mean" suggestions for error messages: the one place that asks difflib.

A base room (like ``registry.py``): every room may import it; it imports nothing of the package.
"""
import difflib
from typing import Any, Iterable, List


def close_matches(name: Any, choices: Iterable[Any], n: int = 3,
                  cutoff: float = 0.6) -> List[str]:
    """The (at most ``n``) choices closest to ``name``, best first (difflib's ratio >=
    ``cutoff``); names and choices are compared as strings."""
    return difflib.get_close_matches(str(name), [str(c) for c in choices], n=n, cutoff=cutoff)


def did_you_mean(name: Any, choices: Iterable[Any], n: int = 3, cutoff: float = 0.6) -> str:
    """``" Did you mean 'x'?"`` (one match) / ``" Did you mean ['x', 'y']?"`` (``n`` > 1), to
    append to a message; ``''`` when nothing is close."""
    close = close_matches(name, choices, n=n, cutoff=cutoff)
    if not close:
        return ''
    return f' Did you mean {close[0]!r}?' if n == 1 else f' Did you mean {close}?'
