"""A :class:`RunStore` over the keyword callables of ``BlueskyRun``'s public constructor.

Third-party drivers build runs from callables (``get_run_start``, ``get_event_pages``, ...).
When those callables are bound methods of one :class:`RunStore` that store is used directly;
otherwise this adapter turns them into one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ..errors import BrokenReference
from .base import Doc, RunStore

__all__ = ["CallableRunStore", "store_from_callables"]


class CallableRunStore(RunStore):
    """Adapt the documented ``BlueskyRun`` callables to the :class:`RunStore` protocol."""

    def __init__(
        self,
        *,
        get_run_start: Callable[[], Doc],
        get_run_stop: Callable[[], Doc | None],
        get_event_descriptors: Callable[[], list[Doc]],
        get_event_pages: Callable[..., Iterator[Doc]],
        get_event_count: Callable[[str], int],
        get_resource: Callable[[str], Doc],
        get_resources: Callable[[], list[Doc]],
        lookup_resource_for_datum: Callable[[str], Doc],
        get_datum_pages: Callable[..., Iterator[Doc]],
        get_stream_resources: Callable[[], list[Doc]] | None = None,
        get_stream_datum: Callable[[str], list[Doc]] | None = None,
    ) -> None:
        self._get_run_start = get_run_start
        self._get_run_stop = get_run_stop
        self._get_event_descriptors = get_event_descriptors
        self._get_event_pages = get_event_pages
        self._get_event_count = get_event_count
        self._get_resource = get_resource
        self._get_resources = get_resources
        self._lookup_resource_for_datum = lookup_resource_for_datum
        self._get_datum_pages = get_datum_pages
        self._get_stream_resources = get_stream_resources
        self._get_stream_datum = get_stream_datum
        self.uid = get_run_start()["uid"]

    def start(self) -> Doc:
        return self._get_run_start()

    def stop(self) -> Doc | None:
        return self._get_run_stop()

    def descriptors(self) -> Sequence[Doc]:
        return sorted(self._get_event_descriptors(), key=lambda doc: doc["time"])

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return iter(self._get_event_pages(descriptor_uid, skip=skip, limit=limit))

    def event_count(self, descriptor_uid: str) -> int:
        return self._get_event_count(descriptor_uid)

    def resources(self) -> Sequence[Doc]:
        return list(self._get_resources())

    def resource(self, uid: str) -> Doc:
        return self._get_resource(uid)

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        return self._lookup_resource_for_datum(datum_id)

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return iter(self._get_datum_pages(resource_uid, skip=skip, limit=limit))

    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        found: dict[str, tuple[Doc, Doc]] = {}
        for datum_id in datum_ids:
            if datum_id in found:
                continue
            resource = self.lookup_resource_for_datum(datum_id)
            for page in self.datum_pages(resource["uid"]):
                kwargs = page["datum_kwargs"]
                for i, page_datum_id in enumerate(page["datum_id"]):
                    found[page_datum_id] = (resource, {k: v[i] for k, v in kwargs.items()})
            if datum_id not in found:
                raise BrokenReference(
                    f"Datum {datum_id!r} of run {self.uid!r} is not among the datum of "
                    f"resource {resource['uid']!r}."
                )
        return [found[datum_id] for datum_id in datum_ids]

    def stream_resources(self) -> Sequence[Doc]:
        return list(self._get_stream_resources()) if self._get_stream_resources else []

    def stream_datum(self, descriptor_uid: str) -> Sequence[Doc]:
        if self._get_stream_datum is None:
            return []
        return sorted(self._get_stream_datum(descriptor_uid), key=lambda d: d["seq_nums"]["start"])


def store_from_callables(**callables: Any) -> RunStore:
    """Return the :class:`RunStore` behind ``callables``, adapting them if needed."""
    owner = getattr(callables["get_run_start"], "__self__", None)
    if isinstance(owner, RunStore) and all(
        getattr(value, "__self__", owner) is owner for value in callables.values() if value
    ):
        return owner
    return CallableRunStore(**callables)
