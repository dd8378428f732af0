"""A run as the layers above storage see it: documents wrapped, transformed and grouped."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .._documents.classes import (
    DatumPage,
    Descriptor,
    EventPage,
    Resource,
    Start,
    Stop,
    StreamDatum,
    StreamResource,
)
from .._documents.datakeys import datum_keys
from .._stores.base import Doc, RunStore
from ..errors import DatabrokerWarning

__all__ = ["RunView", "stream_name_of"]

Transform = Callable[[Any], Any]


def stream_name_of(descriptor: Doc) -> str:
    """Return the stream a descriptor belongs to (``'primary'`` when it has no name)."""
    return descriptor.get("name") or "primary"


class RunView(RunStore):
    """Wrap a :class:`RunStore`: documents become :mod:`Document <databroker._documents.classes>`
    instances, transforms apply, and descriptors are grouped into ordered streams.

    Parameters
    ----------
    store
        The run's storage.
    transforms
        ``{'start'|'stop'|'descriptor'|'resource'|'stream_resource': callable}`` as returned by
        :func:`databroker.core.parse_transforms`.
    """

    def __init__(self, store: RunStore, transforms: dict[str, Transform]) -> None:
        self.store = store
        self.uid = store.uid
        self._transforms = transforms
        self._start: Start | None = None
        self._stop: Stop | None = None
        self._descriptors: list[Descriptor] | None = None
        self._warned_unnamed: set[str] = set()

    def _apply(self, kind: str, cls: type, doc: Doc) -> Any:
        return cls(self._transforms[kind](cls(doc)))

    # -- documents ------------------------------------------------------------------------

    def start(self) -> Start:
        if self._start is None:
            self._start = self._apply("start", Start, self.store.start())
        return self._start

    def stop(self) -> Stop | None:
        if self._stop is None:
            stop = self.store.stop()
            if stop is not None:
                self._stop = self._apply("stop", Stop, stop)
        return self._stop

    def is_live(self) -> bool:
        return self.stop() is None

    def descriptors(self) -> list[Descriptor]:
        if self._descriptors is not None and not self.is_live():
            return self._descriptors
        descriptors = [
            self._apply("descriptor", Descriptor, doc) for doc in self.store.descriptors()
        ]
        for descriptor in descriptors:
            if not descriptor.get("name") and descriptor["uid"] not in self._warned_unnamed:
                self._warned_unnamed.add(descriptor["uid"])
                warnings.warn(
                    f"Descriptor {descriptor['uid']!r} of run {self.uid!r} has no 'name'; "
                    "it is taken to belong to the stream 'primary'.",
                    DatabrokerWarning,
                    stacklevel=3,
                )
        self._descriptors = descriptors
        return descriptors

    def stream_names(self) -> list[str]:
        """Stream names ordered by their earliest descriptor's time, ties by descriptor uid."""
        earliest: dict[str, tuple[float, str]] = {}
        for descriptor in self.descriptors():
            name = stream_name_of(descriptor)
            key = (float(descriptor.get("time", 0.0)), descriptor["uid"])
            if name not in earliest or key < earliest[name]:
                earliest[name] = key
        return sorted(earliest, key=earliest.__getitem__)

    def stream_descriptors(self, stream_name: str) -> list[Descriptor]:
        """The descriptors of one stream, ordered by time."""
        return [d for d in self.descriptors() if stream_name_of(d) == stream_name]

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        """Yield event pages, each with a ``filled`` entry for every external key."""
        external = self._external_keys_of(descriptor_uid)
        for page in self.store.event_pages(descriptor_uid, skip, limit):
            filled = page.get("filled") or {}
            missing = [key for key in external if key not in filled]
            if missing or "filled" not in page or page["filled"] is None:
                page = dict(page)
                filled = dict(filled)
                length = len(page["uid"])
                for key in missing:
                    filled[key] = [False] * length
                page["filled"] = filled
            yield EventPage(page)

    def _external_keys_of(self, descriptor_uid: str) -> list[str]:
        for descriptor in self.descriptors():
            if descriptor["uid"] == descriptor_uid:
                return datum_keys(descriptor)
        return []

    def event_count(self, descriptor_uid: str) -> int:
        return self.store.event_count(descriptor_uid)

    def resources(self) -> list[Resource]:
        return [self._apply("resource", Resource, doc) for doc in self.store.resources()]

    def resource(self, uid: str) -> Resource:
        return self._apply("resource", Resource, self.store.resource(uid))

    def lookup_resource_for_datum(self, datum_id: str) -> Resource:
        return self._apply("resource", Resource, self.store.lookup_resource_for_datum(datum_id))

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[DatumPage]:
        for page in self.store.datum_pages(resource_uid, skip, limit):
            yield DatumPage(page)

    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        # Many datum share one resource: wrap and transform each distinct one once.
        wrapped: dict[int, Resource] = {}
        out = []
        for resource, kwargs in self.store.datum_kwargs(datum_ids):
            found = wrapped.get(id(resource))
            if found is None:
                found = wrapped[id(resource)] = self._apply("resource", Resource, resource)
            out.append((found, kwargs))
        return out

    def stream_resources(self) -> list[StreamResource]:
        return [
            self._apply("stream_resource", StreamResource, doc)
            for doc in self.store.stream_resources()
        ]

    def stream_datum(self, descriptor_uid: str) -> list[StreamDatum]:
        return [StreamDatum(doc) for doc in self.store.stream_datum(descriptor_uid)]
