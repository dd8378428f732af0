"""Runs built from documents in process: ``BlueskyRunFromGenerator`` and ``SingleRunCache``."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .._runs import ReadContext, RunReader
from .._runs.transforms import parse_transforms
from .._stores.memory import run_from_documents
from .._stores.run_documents import RunDocuments
from .run import BlueskyRun

__all__ = ["BlueskyRunFromGenerator", "SingleRunCache"]


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
        reader = RunReader(store, get_filler, parse_transforms(transforms))
        super().__init__(reader=reader, **kwargs)


class SingleRunCache:
    """Collect the documents of one run as they are emitted; retrieve it as a ``BlueskyRun``.

    Subscribe :attr:`callback` to a RunEngine (``RE.subscribe(cache.callback)``).
    """

    def __init__(
        self,
        *,
        handler_registry: Mapping[str, Any] | None = None,
        root_map: Mapping[str, str] | None = None,
        filler_class: Any = "event_model.Filler",
        transforms: Any = None,
    ) -> None:
        self._context = ReadContext(
            handler_registry=handler_registry,
            root_map=dict(root_map or {}),
            filler_class=filler_class,
            transforms=transforms,
        )
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
            self._run = BlueskyRun(reader=self._context.reader(self._store))
        return self._run

    def __repr__(self) -> str:
        if self._store is None or self._store.stop() is None:
            return "<SingleRunCache in progress>"
        return f"<SingleRunCache uid={self._store.uid!r}>"
