"""Runs built from documents in process: ``BlueskyRunFromGenerator`` and ``SingleRunCache``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import event_model

from .._fill.imports import import_object
from .._stores.memory import run_from_documents
from .._stores.run_documents import RunDocuments
from .run import BlueskyRun

__all__ = ["BlueskyRunFromGenerator", "SingleRunCache"]


def _run_kwargs(store: RunDocuments) -> dict[str, Any]:
    return {
        "get_run_start": store.start,
        "get_run_stop": store.stop,
        "get_event_descriptors": store.descriptors,
        "get_event_pages": store.event_pages,
        "get_event_count": store.event_count,
        "get_resource": store.resource,
        "get_resources": store.resources,
        "lookup_resource_for_datum": store.lookup_resource_for_datum,
        "get_datum_pages": store.datum_pages,
        "get_stream_resources": store.stream_resources,
        "get_stream_datum": store.stream_datum,
    }


class BlueskyRunFromGenerator(BlueskyRun):
    """A :class:`BlueskyRun` over the documents ``gen_func(*gen_args, **gen_kwargs)`` yields.

    The generator may yield single events/datum or pages; its first document must be
    ``start`` (else ``ValueError``).
    """

    def __init__(
        self,
        gen_func: Callable[..., Iterable[tuple[str, Any]]],
        gen_args: Sequence[Any],
        gen_kwargs: Mapping[str, Any],
        get_filler: Callable[..., Any],
        transforms: Any = None,
        **kwargs: Any,
    ) -> None:
        store = run_from_documents(gen_func(*gen_args, **gen_kwargs), source="generator")
        super().__init__(
            **_run_kwargs(store), get_filler=get_filler, transforms=transforms, **kwargs
        )


class SingleRunCache:
    """Collect the documents of one run as they are emitted; retrieve it as a ``BlueskyRun``.

    Subscribe :attr:`callback` to a RunEngine (``RE.subscribe(cache.callback)``).
    """

    def __init__(
        self,
        *,
        handler_registry: Mapping[str, Any] | None = None,
        root_map: Mapping[str, str] | None = None,
        filler_class: Any = event_model.Filler,
        transforms: Any = None,
    ) -> None:
        from .._fill import discover_handlers, make_filler, parse_handler_registry

        registry = (
            discover_handlers()
            if handler_registry is None
            else parse_handler_registry(handler_registry)
        )
        if isinstance(filler_class, str):
            filler_class = import_object(filler_class)
        self._get_filler = lambda coerce="force_numpy", **_: make_filler(
            filler_class, registry, dict(root_map or {}), coerce
        )
        self._transforms = transforms
        self._store: RunDocuments | None = None
        self._run: BlueskyRun | None = None

    def callback(self, name: str, doc: Mapping[str, Any]) -> None:
        """Collect one document of the run."""
        if self._store is not None and self._store.stop() is not None:
            raise ValueError(
                f"SingleRunCache already holds the complete run {self._store.uid!r}; "
                f"it cannot accept a {name!r} document."
            )
        if name == "start":
            if self._store is not None:
                raise ValueError("SingleRunCache holds one run; it received a second start.")
            self._store = RunDocuments(source="SingleRunCache")
        elif self._store is None:
            raise ValueError(f"SingleRunCache received {name!r} before a start document.")
        elif doc.get("run_start", self._store.uid) != self._store.uid:
            raise ValueError(
                f"SingleRunCache holds run {self._store.uid!r}; received a {name!r} document "
                f"of run {doc['run_start']!r}."
            )
        self._store.add(name, doc)

    def retrieve(self) -> BlueskyRun | None:
        """Return the run once its stop document has arrived, else None."""
        if self._store is None or self._store.stop() is None:
            return None
        if self._run is None:
            self._run = BlueskyRun(
                **_run_kwargs(self._store),
                get_filler=self._get_filler,
                transforms=self._transforms,
            )
        return self._run

    def __repr__(self) -> str:
        if self._store is None or self._store.stop() is None:
            return "<SingleRunCache in progress>"
        return f"<SingleRunCache uid={self._store.uid!r}>"
