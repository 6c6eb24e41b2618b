from mmcls_convnext.config.compat import *  # noqa: F401,F403  moved to mmcls_convnext.config; this path was documented (docs/migration.md)
