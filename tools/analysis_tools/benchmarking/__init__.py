"""The measurements of ``tools/analysis_tools/benchmark.py`` (ours against timm and torchvision).

Not part of the package: a benchmark that patches timm at run time belongs beside its script.
``benchmark.py`` puts this folder's parent on ``sys.path``; tests do the same.

- :mod:`.timing` - round-robin timing with medians, rate statistics, analytic MACs, the
  ``torch.mm`` anchor, peak memory of a training step;
- :mod:`.data` - the ``data`` section: the ImageNet train pipeline against timm's;
- :mod:`.loop` - the ``loop`` section: ``tools/train.py`` against the bare model step;
- :mod:`.report` - ratios to timm and the printed table.
"""
