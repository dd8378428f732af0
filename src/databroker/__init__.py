"""databroker: find and load the data of experiments recorded as bluesky documents.

The public names are imported on first use, so ``import databroker`` stays light (no dask,
xarray, pandas or pymongo until they are needed).
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "2.0.0"

_LAZY = {
    "ALL": "databroker.utils",
    "Broker": "databroker.v1",
    "DeprecatedDoct": "databroker.utils",
    "Header": "databroker.v1",
    "catalog_search_path": "databroker.utils",
    "describe_configs": "databroker.utils",
    "list_configs": "databroker.utils",
    "lookup_config": "databroker.utils",
    "open_catalog": "databroker._config.open_catalog",
    "serve_in_thread": "databroker._tiled.server",
    "pack": "databroker._transfer.pack",
    "unpack": "databroker._transfer.unpack",
    "job": "databroker._transfer.job",
    "temp": "databroker.v1",
    "temp_config": "databroker.v1",
    "wrap_in_deprecated_doct": "databroker.utils",
    "wrap_in_doct": "databroker.utils",
    "catalog": "databroker.discovery",
    "yaml_catalogs": "databroker.discovery",
}

__all__ = sorted([*_LAZY, "__version__"])

#: Public submodules, importable as attributes (``databroker.v2.Broker``) on first use.
_SUBMODULES = frozenset(
    (
        "core",
        "discovery",
        "errors",
        "handlers",
        "in_memory",
        "pivot",
        "projector",
        "queries",
        "utils",
        "v1",
        "v2",
    )
)


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"databroker.{name}")
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'databroker' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
