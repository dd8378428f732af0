"""``ReadContext``: the composition root that turns stored runs into readable ones.

A catalog's five reading options (handler registry, root_map, filler class, transforms, and
the directory relative root_map entries resolve against) live here, declared once. Every
façade (the intake ``Broker``, runs built in process, v1, later the command line and a Tiled
adapter) opens runs through :meth:`ReadContext.open_run` / :meth:`ReadContext.reader`.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from .._stores.base import CatalogStore, RunStore
from .reader import RunReader

__all__ = ["ReadContext"]


class ReadContext:
    """Handler registry, root_map, Filler class and transforms of a catalog.

    Parameters
    ----------
    handler_registry
        ``{spec: handler class or dotted path}``; None discovers installed handlers.
    root_map
        ``{stored root: local root}``. The mapping is kept, not copied: edits by the owner
        apply to runs read afterwards.
    filler_class
        The ``event_model.Filler`` subclass (or its dotted path) used to load external data.
    transforms
        ``{'start'|'stop'|'descriptor'|'resource'|'stream_resource': callable}``.
    catalog_dir
        The directory relative ``root_map`` values resolve against (an intake YAML file's).
    """

    def __init__(
        self,
        *,
        handler_registry: Mapping[str, Any] | None = None,
        root_map: dict[str, str] | None = None,
        filler_class: Any = "event_model.Filler",
        transforms: Mapping[str, Any] | None = None,
        catalog_dir: str | None = None,
    ) -> None:
        from .._fill import parse_handler_registry
        from .._fill.imports import import_object
        from .transforms import parse_transforms

        self.transforms_arg = transforms
        self.transforms = parse_transforms(transforms)
        # Installed handlers are discovered when first needed (reading external data, or
        # looking at the registry): a catalog of scalar runs never lists the entry points.
        self._handler_registry: dict[str, Any] | None = (
            None if handler_registry is None else parse_handler_registry(handler_registry)
        )
        self._discovery_lock = threading.Lock()
        self.root_map: dict[str, str] = root_map if root_map is not None else {}
        # The default stays a dotted path, imported when a Filler is first built (importing
        # event-model costs a first read ~60 ms); any other path is imported now, to fail early.
        self.filler_class = (
            import_object(filler_class)
            if isinstance(filler_class, str) and filler_class != "event_model.Filler"
            else filler_class
        )
        self.catalog_dir = catalog_dir

    @property
    def handler_registry(self) -> dict[str, Any]:
        """``{spec: handler}``: the given registry, or the installed handlers (discovered on
        first use, each loaded only when a resource of its spec is read)."""
        if self._handler_registry is None:
            with self._discovery_lock:
                if self._handler_registry is None:
                    from .._fill import discover_handlers

                    self._handler_registry = discover_handlers()
        return self._handler_registry

    def handler_registry_for_copy(self) -> dict[str, Any] | None:
        """What a copy of this context (a catalog's search results) is given: the registry
        if it is known already (with any handler registered since), else None (the copy
        discovers the installed handlers itself, when it needs them)."""
        return self._handler_registry

    def resolved_root_map(self) -> dict[str, str]:
        """The root_map with relative local roots made absolute against ``catalog_dir``."""
        from .._fill import resolve_root_map

        return resolve_root_map(self.root_map, self.catalog_dir)

    def filler(self, coerce: str = "force_numpy", **_: Any) -> Any:
        """Return a new Filler with this context's handlers and resolved root_map."""
        from .._fill import make_filler

        return make_filler(
            self.filler_class, self.handler_registry, self.resolved_root_map(), coerce
        )

    def reader(self, store: RunStore) -> RunReader:
        """Return a :class:`RunReader` of one stored run read with this context."""
        return RunReader(store, self.filler, self.transforms)

    def open_run(self, catalog: CatalogStore, uid: str) -> RunReader:
        """Open the run ``uid`` of a catalog store for reading."""
        return self.reader(catalog.open_run(uid))
