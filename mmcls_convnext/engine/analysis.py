from mmcls_convnext.visualization.logs import load_log_records  # noqa: E501,F401  moved there; this path was documented (docs/visualization.md)
