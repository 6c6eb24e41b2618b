"""A console a person can follow: mmengine's start-up blocks go to the log file only.

Before the first iteration mmengine prints ~400 lines: the whole environment, the whole config,
the hook order table and one ``paramwise_options`` line per parameter. With
``log_console = 'brief'`` (the default; set in ``configs/_base_/default_runtime.py``) those
records still reach the run's log file (``<work_dir>/<timestamp>/<timestamp>.log``) unchanged,
but the console shows one line instead: the versions that matter and where the rest is.
``log_console = 'full'`` prints everything, as mmengine does.

Hidden from the console (kept in the file): the environment block, ``Config:``, ``Hooks will be
executed in the following order``, ``paramwise_options -- ...`` and two mmengine-internal
deprecation notices about ``FileClient``/``HardDiskBackend`` that a user cannot act on.
"""
import copy
import logging
import re
from typing import Dict, List, Optional

CONSOLE_MODES = ('brief', 'full')
_ENV_KEYS = ('Python', 'PyTorch', 'TorchVision', 'MMEngine', 'CUDA available', 'seed')
_HIDDEN = (
    ('config', re.compile(r'Config:\n')),
    ('hook order', re.compile(r'Hooks will be executed in the following order')),
    ('paramwise_options', re.compile(r'paramwise_options -- ')),
    ('deprecation',
     re.compile(r'"(FileClient|HardDiskBackend)" (will be deprecated|is the alias)')),
)


def console_mode(cfg) -> str:
    """``cfg.log_console`` (default ``'brief'``), checked.

    Raises:
        ValueError: not one of :data:`CONSOLE_MODES`.
    """
    mode = cfg.get('log_console', 'brief') if cfg is not None else 'brief'
    if mode not in CONSOLE_MODES:
        raise ValueError(f'log_console must be one of {CONSOLE_MODES}; got {mode!r}. "brief" '
                         'keeps the environment, config and hook table in the log file only.')
    return mode


def _environment_lines(message: str, log_file: Optional[str]) -> List[str]:
    """Two lines for the console: the versions that matter, then where the full block is."""
    values: Dict[str, str] = {}
    for line in message.splitlines():
        key, sep, value = line.strip().partition(': ')
        if sep and key in _ENV_KEYS and key not in values:
            values[key] = value.split(' ')[0] if key == 'Python' else value
    parts = [f'{k} {values[k]}' for k in _ENV_KEYS if k in values and k != 'CUDA available']
    if 'CUDA available' in values:
        parts.append('CUDA' if values['CUDA available'] == 'True' else 'no CUDA (CPU)')
    where = log_file or 'the log file'
    return [f'Environment: {", ".join(parts)}',
            f'Full environment, config and hook order: {where} '
            "(log_console='full' prints them here)"]


class BriefConsoleFilter(logging.Filter):
    """Filter for a console handler: hides the long start-up records (see the module doc).

    The environment record is replaced, on this handler only, by a one-line summary naming
    ``log_file``; the record itself is not changed, so the file handler writes it in full.

    Args:
        handler: the console handler the filter is attached to (writes the summary line).
        log_file: path of the run's log file, named in the summary line.
    """

    def __init__(self, handler: logging.Handler, log_file: Optional[str]) -> None:
        super().__init__()
        self.handler = handler
        self.log_file = log_file
        self.hidden: Dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if 'System environment:' in message and message.lstrip('\n').startswith('-' * 20):
            self.hidden['environment'] = self.hidden.get('environment', 0) + 1
            self.handler.acquire()
            try:
                for line in _environment_lines(message, self.log_file):
                    summary = copy.copy(record)
                    summary.msg, summary.args = line, None
                    self.handler.emit(summary)
            finally:
                self.handler.release()
            return False
        for kind, pattern in _HIDDEN:
            if pattern.match(message):
                self.hidden[kind] = self.hidden.get(kind, 0) + 1
                return False
        return True


def install_console_filter(logger: logging.Logger, mode: str = 'brief') -> None:
    """Attach :class:`BriefConsoleFilter` to ``logger``'s console handlers (``mode='brief'``).

    File handlers are left alone; installing twice on the same logger does nothing.
    """
    if mode not in CONSOLE_MODES:
        raise ValueError(f'mode must be one of {CONSOLE_MODES}; got {mode!r}.')
    files = [h for h in logger.handlers if isinstance(h, logging.FileHandler)]
    log_file = files[0].baseFilename if files else None
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler) or not isinstance(handler,
                                                                     logging.StreamHandler):
            continue
        present = [f for f in handler.filters if isinstance(f, BriefConsoleFilter)]
        for old in present:
            if mode == 'full':
                handler.removeFilter(old)
        if mode == 'brief' and not present:
            handler.addFilter(BriefConsoleFilter(handler, log_file))
