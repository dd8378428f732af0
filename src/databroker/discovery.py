"""Discovery: the catalogs installed packages, config files and intake YAML files provide.

``databroker.catalog`` and ``databroker.yaml_catalogs`` are built on first access, so importing
this module reads no file and loads no plugin (the machinery lives in ``_config.discovery``).
"""

from __future__ import annotations

from typing import Any

from ._config import discovery as _discovery
from ._config.discovery import (
    EntrypointEntry,
    EntrypointsCatalog,
    MergedCatalog,
    V0Catalog,
    V0Entry,
)

__all__ = ["EntrypointEntry", "EntrypointsCatalog", "MergedCatalog", "V0Catalog", "V0Entry"]


def __getattr__(name: str) -> Any:
    return getattr(_discovery, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(dir(_discovery)))
