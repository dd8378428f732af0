"""Tree factories: a catalog (or a location) made into the root adapter of a Tiled server.

``tree(location, ...)`` is what a ``tiled serve config`` file names::

    trees:
      - path: /
        tree: databroker.cli.serve:tree
        args:
          location: /data/runs
          root_map: {/old/root: /data/files}

The catalog is opened with ``open_catalog``; only its store and read context are kept (the
boundary to the intake façade is here and nowhere else).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .._runs.context import ReadContext
from .._stores.base import CatalogStore
from ..errors import InvalidArgument
from .catalog import CatalogAdapter
from .documents import documents_router
from .roots import guarded_context

__all__ = ["catalog_parts", "catalog_tree", "tree"]


def catalog_parts(catalog: Any) -> tuple[CatalogStore, ReadContext]:
    """Return the store and read context of a catalog opened by ``open_catalog``."""
    store = getattr(catalog, "_store", None)
    context = getattr(catalog, "read_context", None)
    if not isinstance(store, CatalogStore) or not isinstance(context, ReadContext):
        raise InvalidArgument(
            f"Only catalogs of runs opened by databroker (open_catalog, a Broker) can be "
            f"served, not {type(catalog).__name__}: {catalog!r:.80}."
        )
    return store, context


def catalog_tree(
    store: CatalogStore,
    context: ReadContext,
    *,
    roots: Sequence[str] | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> CatalogAdapter:
    """Return the served root: ``store`` read with ``context`` (handlers limited to ``roots``,
    by default the local roots of its root_map), with the ``/documents`` route."""
    return CatalogAdapter(
        store,
        guarded_context(context, roots),
        metadata=metadata,
        include_routers=[documents_router()],
    )


def tree(
    location: Any = None,
    *,
    catalog: Any = None,
    roots: Sequence[str] | None = None,
    **open_kwargs: Any,
) -> CatalogAdapter:
    """Return the root adapter serving the catalog at ``location`` (or ``catalog``).

    Parameters
    ----------
    location
        Anything ``databroker.open_catalog`` opens (a directory of run files, a
        ``mongodb://`` URI, ``catalog.yml:entry``, an installed catalog's name).
    catalog
        An already opened catalog instead of a location.
    roots
        Directories external files may be read from; default the local roots of the
        catalog's root_map (none: any path that does not climb out with ``..``).
    **open_kwargs
        Passed to ``open_catalog`` (``root_map``, ``handler_registry``, ...).
    """
    if (location is None) == (catalog is None):
        raise InvalidArgument("tree() takes a location or catalog=, exactly one of them.")
    if catalog is None:
        from .._config.open_catalog import open_catalog

        catalog = open_catalog(location, **open_kwargs)
    store, context = catalog_parts(catalog)
    return catalog_tree(store, context, roots=roots)
