"""How the command-line tools end on a user error: one ``ERROR (Type): message`` line.

Which exceptions are the user's to fix (and so are printed as one line, exit status 1):

- the package's own error types for data, configs (also a model setting found wrong once the
  run starts, e.g. by ``DatasetCheckHook``), checkpoints, saves, NaN losses and a held work_dir
  (:func:`user_errors`), also when a DataLoader worker raised them;
- ``ValueError`` / ``KeyError`` / ``TypeError`` raised while the config is loaded and the runner,
  model, datasets and pipelines are built - before the train / val / test loop runs. Those come
  from the config (a misspelt arch, a bad transform argument, a missing key).

Ctrl-C ends with one "interrupted" line and exit status 130. Anything else keeps its traceback
(a bug or an environment problem). ``--debug`` (any tool using :func:`run_cli`) or
``MMCLS_CONVNEXT_DEBUG=1`` shows the full traceback of every error instead.
"""
import os
import re
import sys
from types import TracebackType
from typing import Callable, List, Optional, Tuple

DEBUG_FLAG = '--debug'
DEBUG_ENV = 'MMCLS_CONVNEXT_DEBUG'
_SETUP_ERRORS = (ValueError, KeyError, TypeError)
_WORKER = re.compile(r'^Caught (\w+) in DataLoader worker process \d+\.')
_LOOPS_FILE = os.sep + os.path.join('mmengine', 'runner', 'loops.py')
_LOOP_FUNCTIONS = ('run', 'run_epoch', 'run_iter')
INTERRUPTED = ('interrupted by Ctrl-C (SIGINT){where}. Checkpoints are written atomically, so no '
               'half-written file was left; the last complete checkpoint is in the work_dir. '
               'Continue with `python tools/train.py CONFIG --resume`.')


def user_errors() -> Tuple[type, ...]:
    """Error types that are the user's to fix, wherever they are raised."""
    from mmcls_convnext.checkpoint import CheckpointError, CheckpointSaveError
    from mmcls_convnext.config import ConfigKeyError
    from mmcls_convnext.datasets.custom import TooManyBadImagesError
    from mmcls_convnext.datasets.scan import DatasetError
    from mmcls_convnext.datasets.transforms.loading import ImageDecodeError
    from mmcls_convnext.evaluation.metrics.utils import MetricInputError
    from mmcls_convnext.models.errors import ModelConfigError

    from ..hooks.finite_loss_hook import NonFiniteLossError
    from ..optimizers.cpu_amp_optim_wrapper import EmulatedBF16Error
    from ..work_dir import WorkDirLockedError
    return (ConfigKeyError, CheckpointError, CheckpointSaveError, NonFiniteLossError,
            WorkDirLockedError, DatasetError, ImageDecodeError, TooManyBadImagesError,
            MetricInputError, EmulatedBF16Error, ModelConfigError,
            PermissionError, FileNotFoundError)


def _in_loop(tb: Optional[TracebackType]) -> bool:
    """Whether the traceback passes through a running mmengine train / val / test loop (not
    through a loop's constructor, which builds the dataloader from the config)."""
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename.endswith(_LOOPS_FILE) and code.co_name in _LOOP_FUNCTIONS:
            return True
        tb = tb.tb_next
    return False


def _message(exc: BaseException) -> str:
    text = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
    return ' '.join(str(text).split())


def one_line(exc: BaseException) -> Optional[Tuple[str, str]]:
    """``(type name, message)`` when ``exc`` is a user error (see the module doc), else None."""
    worker = _WORKER.match(str(exc))
    if worker:  # torch re-raises a worker's error with its traceback in the message
        name = worker.group(1)
        if name in {t.__name__ for t in user_errors()}:
            last = [line for line in str(exc).splitlines() if line.strip()][-1]
            return name, ' '.join(last.split(': ', 1)[-1].split())
        return None
    if isinstance(exc, user_errors()):
        return type(exc).__name__, _message(exc)
    if isinstance(exc, _SETUP_ERRORS) and not _in_loop(exc.__traceback__):
        return type(exc).__name__, _message(exc)
    return None


def run_cli(main: Callable[[Optional[List[str]]], int], argv: Optional[List[str]] = None) -> int:
    """Run ``main(argv)``; user errors become one ``ERROR`` line on stderr and exit status 1.

    ``--debug`` is taken out of ``argv`` (default: ``sys.argv[1:]``) before ``main`` sees it.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = DEBUG_FLAG in argv or os.environ.get(DEBUG_ENV, '') not in ('', '0')
    argv = [a for a in argv if a != DEBUG_FLAG]
    try:
        return main(argv)
    except KeyboardInterrupt as exc:
        if debug:
            raise
        where = f' {exc}' if str(exc) else ''
        print(f'ERROR (KeyboardInterrupt): {INTERRUPTED.format(where=where)}', file=sys.stderr,
              flush=True)
        return 130
    except Exception as exc:  # noqa: BLE001 - re-raised unless it is a user error
        if isinstance(exc, SyntaxError) and isinstance(exc.__context__, KeyboardInterrupt):
            if debug:  # mmengine's config formatting turns Ctrl-C into this
                raise
            print(f'ERROR (KeyboardInterrupt): {INTERRUPTED.format(where="")}', file=sys.stderr,
                  flush=True)
            return 130
        found = None if debug else one_line(exc)
        if found is None:
            raise
        print(f'ERROR ({found[0]}): {found[1]}', file=sys.stderr, flush=True)
        return 1
