"""``BlueskyInMemoryCatalog``: a catalog of runs held in process."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import event_model

from .._intake.broker import Broker
from .._stores.memory import MemoryCatalogStore

__all__ = ["BlueskyInMemoryCatalog"]


class BlueskyInMemoryCatalog(Broker):
    """A catalog of runs held in memory, added with :meth:`upsert` or through its writer."""

    name = "bluesky-run-catalog"

    def __init__(
        self,
        *,
        handler_registry: Mapping[str, Any] | None = None,
        root_map: dict[str, str] | None = None,
        filler_class: Any = event_model.Filler,
        query: Mapping[str, Any] | None = None,
        transforms: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self._memory = MemoryCatalogStore()
        super().__init__(
            self._memory,
            handler_registry=handler_registry,
            root_map=root_map,
            filler_class=filler_class,
            transforms=transforms,
            query=query,
            **kwargs,
        )

    def upsert(
        self,
        start_doc: Mapping[str, Any],
        stop_doc: Mapping[str, Any] | None,
        gen_func: Callable[..., Iterable[tuple[str, Any]]],
        gen_args: Sequence[Any] = (),
        gen_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        """Add or replace the run ``start_doc['uid']``, whose documents ``gen_func`` yields.

        Ignored if ``start_doc`` does not match this catalog's query.
        """
        if self._query:
            from .._query.matcher import compile_query

            if not compile_query(self._query)(start_doc):
                return
        self._memory.upsert(start_doc, stop_doc, gen_func, gen_args, gen_kwargs)
