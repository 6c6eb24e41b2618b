"""``register_all_modules``, MMPretrain's entry point: the top room, which may import every
other; no module of the package imports it."""
import datetime
import warnings

from mmengine import DefaultScope

from .registry import SCOPE


def register_all_modules(init_default_scope: bool = True) -> None:
    """Import every module that registers names into the ``mmcls_convnext`` registries.

    Args:
        init_default_scope: also make ``'mmcls_convnext'`` the current default scope, so that
            ``Registry.build`` looks names up in our registries first. When another scope is
            current, a new default-scope instance is created instead of overwriting it.
    """
    import mmcls_convnext.apis  # noqa: F401 - the inferencers
    from mmcls_convnext.engine.registration import import_registering_modules
    import_registering_modules()

    if not init_default_scope:
        return
    current = DefaultScope.get_current_instance()
    if current is None:
        DefaultScope.get_instance(SCOPE, scope_name=SCOPE)
    elif current.scope_name != SCOPE:
        warnings.warn(
            f'The current default scope "{current.scope_name}" is not "{SCOPE}"; '
            f'register_all_modules() creates a new default scope "{SCOPE}" for this process.',
            stacklevel=2)
        stamp = datetime.datetime.now().strftime('%Y%m%d-%H%M%S-%f')
        DefaultScope.get_instance(f'{SCOPE}-{stamp}', scope_name=SCOPE)
