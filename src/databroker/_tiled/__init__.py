"""The Tiled façade: any catalog served by a stock Tiled server in databroker 2's layout.

Modules: ``queries`` (Tiled queries -> our Mongo-style queries), ``catalog`` (the
``CatalogOfBlueskyRuns`` container over a store), ``run`` (runs and streams), ``roots``
(external files only under the served roots), ``documents`` (the ``/documents`` route),
``factory`` (tree factories, also for ``tiled serve config``), ``app`` (the ASGI app and its guard
against unknown filters), ``server`` (``serve_in_thread``). Tiled is imported on first use,
so importing this package needs only databroker.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["app_factory", "build_app", "serve_in_thread", "tree"]

_WHERE = {
    "app_factory": ".app",
    "build_app": ".app",
    "serve_in_thread": ".server",
    "tree": ".factory",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
