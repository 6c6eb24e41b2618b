"""Models: importing this package registers every model component."""
from .backbones import *  # noqa: F401,F403
from .classifiers import *  # noqa: F401,F403
from .data_preprocessor import ClsDataPreprocessor  # noqa: F401
from .errors import InvalidModeError, ModelConfigError, ModelConfigTypeError  # noqa: F401
from .heads import *  # noqa: F401,F403
from .layers import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .necks import *  # noqa: F401,F403
from .retrievers import *  # noqa: F401,F403
from .selfsup import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
