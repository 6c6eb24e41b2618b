"""The modules whose import registers the names a Runner config uses (datasets and
transforms, models, metrics, visualizer, hooks, optimizers, loops, the runner)."""


def import_registering_modules() -> None:
    """Import every room that registers names into the ``mmcls_convnext`` registries, except
    ``apis`` (the inferencers, which :func:`mmcls_convnext.utils.register_all_modules` adds)."""
    import mmcls_convnext.datasets  # noqa: F401
    import mmcls_convnext.engine  # noqa: F401
    import mmcls_convnext.evaluation  # noqa: F401
    import mmcls_convnext.models  # noqa: F401
    import mmcls_convnext.structures  # noqa: F401
    import mmcls_convnext.visualization  # noqa: F401
