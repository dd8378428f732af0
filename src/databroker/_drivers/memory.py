"""``BlueskyInMemoryCatalog``: a catalog of runs held in process."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from .._intake.broker import Broker, catalog_signature
from .._stores.memory import MemoryCatalogStore

__all__ = ["BlueskyInMemoryCatalog"]


class BlueskyInMemoryCatalog(Broker):
    """A catalog of runs held in memory, added with :meth:`upsert` or through its writer."""

    name = "bluesky-run-catalog"

    @catalog_signature
    def __init__(self, **kwargs: Any) -> None:
        self._memory = MemoryCatalogStore()
        super().__init__(self._memory, **kwargs)

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
