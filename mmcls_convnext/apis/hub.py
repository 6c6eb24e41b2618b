"""``ModelHub``: MMPretrain's registry of named models (config + weights) read from metafiles.

The package's own zoo (:mod:`mmcls_convnext.zoo`) is registered on import; more models come from
OpenMMLab metafiles (``metafile.yml`` with ``Collections`` / ``Models``, or a ``model-index.yml``
whose ``Import`` lists metafiles) through :meth:`ModelHub.register_model_index`.
"""
import copy
import os.path as osp
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

import yaml
from mmengine.config import Config

from mmcls_convnext.zoo import resolve_config_path
from mmcls_convnext.zoo.model_index import MODEL_INDEX


@dataclass
class HubModel:
    """One registered model.

    Attributes:
        name: its name (MMPretrain's metafile ``Name``).
        config: absolute config path (a :class:`Config` in what :meth:`ModelHub.get` returns).
        weights: checkpoint URL or path, or None.
        filepath: the metafile the entry came from.
        in_collection: the metafile collection it belongs to, if any.
        metadata: the ``Metadata`` mapping (FLOPs, Parameters, training data, ...).
        results: the ``Results`` list (dataset, task, metrics).
    """
    name: str
    config: Union[str, Config, None]
    weights: Optional[str]
    filepath: str
    in_collection: Optional[str] = None
    metadata: Dict[str, Any] = field(default_factory=dict)
    results: List[Dict[str, Any]] = field(default_factory=list)


class MetafileError(ValueError):
    """A metafile that cannot be registered (its path and the problem are in the message)."""


def _package_models() -> Dict[str, HubModel]:
    from mmcls_convnext.zoo import metafile
    models = {}
    for name, info in MODEL_INDEX.items():
        try:
            config = resolve_config_path(info.config)
        except FileNotFoundError:  # a wheel without configs: keep the zoo's relative path
            config = info.config
        results = []
        if info.top1 is not None:
            metrics = {'Top 1 Accuracy': info.top1}
            if info.top5 is not None:
                metrics['Top 5 Accuracy'] = info.top5
            results.append(dict(Task='Image Classification', Dataset='ImageNet-1k',
                                Metrics=metrics))
        models[name.lower()] = HubModel(
            name=name, config=config, weights=info.weights, filepath=metafile.__file__,
            in_collection=info.family,
            metadata=dict(FLOPs=round(info.gflops * 1e9), Parameters=round(info.params_m * 1e6),
                          **{'Training Data': list(info.training_data)}),
            results=results)
    return models


def _load_yaml(path: str) -> Any:
    if not osp.isfile(path):
        raise MetafileError(f'Model index {path!r} does not exist.')
    with open(path, encoding='utf-8') as f:
        try:
            return yaml.safe_load(f)
        except yaml.YAMLError as e:
            raise MetafileError(f'{path}: not valid YAML ({str(e).splitlines()[0]}).') from None


class ModelHub:
    """Named models: ``ModelHub.get(name)`` gives the entry with its config loaded.

    ``_models_dict`` maps lower-cased names to :class:`HubModel` entries; the package's zoo
    names are there from the start.
    """

    _models_dict: Dict[str, HubModel] = _package_models()

    @classmethod
    def register_model_index(cls, model_index_path: str,
                             config_prefix: Optional[str] = None) -> None:
        """Register the models of a metafile or a ``model-index.yml``.

        Args:
            model_index_path: a metafile (``Models:`` list, optional ``Collections:``) or an
                index whose ``Import:`` lists metafiles (relative to the index).
            config_prefix: folder that the models' relative ``Config`` paths start from; by
                default the metafile's folder.

        Raises:
            ValueError: a name already registered (both files are named), or a malformed file.
        """
        content = _load_yaml(model_index_path)
        if not isinstance(content, dict):
            raise MetafileError(f'{model_index_path}: expected a mapping with Models, '
                                f'Collections or Import; got {type(content).__name__}.')
        for imported in content.get('Import') or []:
            path = imported if osp.isabs(imported) else osp.join(
                osp.dirname(model_index_path), imported)
            cls.register_model_index(path, config_prefix)
        new = {}
        for i, entry in enumerate(content.get('Models') or []):
            if not isinstance(entry, dict) or not isinstance(entry.get('Name'), str):
                raise MetafileError(f'{model_index_path}: Models[{i}] has no Name.')
            key = entry['Name'].lower()
            if key in cls._models_dict or key in new:
                first = cls._models_dict[key].filepath if key in cls._models_dict \
                    else model_index_path
                raise ValueError(f'The model name {entry["Name"]!r} in {model_index_path} is '
                                 f'already registered (from {first}).')
            config = entry.get('Config')
            if config is not None and not osp.isabs(config):
                prefix = config_prefix if config_prefix is not None else osp.dirname(
                    model_index_path)
                config = osp.abspath(osp.join(prefix, config))
            new[key] = HubModel(name=entry['Name'], config=config, weights=entry.get('Weights'),
                                filepath=model_index_path,
                                in_collection=entry.get('In Collection'),
                                metadata=dict(entry.get('Metadata') or {}),
                                results=list(entry.get('Results') or []))
        cls._models_dict.update(new)

    @classmethod
    def get(cls, model_name: str) -> HubModel:
        """A copy of the entry of ``model_name`` (case-insensitive) with ``config`` loaded.

        Raises:
            ValueError: for an unknown name.
        """
        entry = cls._models_dict.get(model_name.lower())
        if entry is None:
            raise ValueError(f'Failed to find model "{model_name}". Use '
                             f'mmcls_convnext.apis.list_models() for the package\'s names or '
                             f'ModelHub.register_model_index() to add a metafile.')
        entry = copy.deepcopy(entry)
        if isinstance(entry.config, str):
            path = entry.config
            if not osp.isfile(path):
                path = resolve_config_path(path)
            entry.config = Config.fromfile(path)
        return entry

    @classmethod
    def has(cls, model_name: str) -> bool:
        """Whether ``model_name`` is registered."""
        return model_name.lower() in cls._models_dict
