"""One run stored in one JSONL or msgpack file, decoded incrementally as the file grows."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ...errors import CorruptFileError
from ..base import Doc, RunStore
from ..run_documents import RunDocuments

__all__ = ["FileRun", "IterDocuments"]

#: ``iter_documents(path, offset)`` of a file format: yields ``(end_offset, name, doc)``.
IterDocuments = Callable[[str, int], Iterator[tuple[int, str, dict[str, Any]]]]


class FileRun(RunStore):
    """A :class:`RunStore` over one file, re-reading only appended bytes while the run is live.

    Parameters
    ----------
    path
        The run's file.
    start
        The run's start document, already read when the catalog scanned the file; the rest
        of the file is decoded on first use.
    iter_documents
        The file format's decoder (see :data:`IterDocuments`).
    """

    def __init__(self, path: str, start: Doc, iter_documents: IterDocuments) -> None:
        self.path = path
        self.uid = start["uid"]
        self._start = start
        self._iter_documents = iter_documents
        self._documents = RunDocuments(source=path)
        self._offset = 0
        self._signature: tuple[int, int] | None = None
        self._count = 0

    def _sync(self) -> RunDocuments:
        """Decode what was appended to the file since the last look; return the documents."""
        if self._documents.stop() is not None and self._signature is not None:
            return self._documents
        try:
            stat = os.stat(self.path)
        except FileNotFoundError:
            return self._documents  # the file vanished: keep what was read
        signature = (stat.st_size, stat.st_mtime_ns)
        if signature == self._signature:
            return self._documents
        if stat.st_size < self._offset:  # rewritten, not appended: start over
            self._documents = RunDocuments(source=self.path)
            self._offset = 0
            self._count = 0
        for end, name, doc in self._iter_documents(self.path, self._offset):
            self._count += 1
            try:
                self._documents.add(name, doc)
            except (KeyError, TypeError, AttributeError) as error:
                raise CorruptFileError(
                    f"{self.path}: document {self._count} ({name!r}) is malformed: "
                    f"missing or invalid field {error}."
                ) from error
            self._offset = end
        self._signature = signature
        return self._documents

    def start(self) -> Doc:
        return self._start

    def stop(self) -> Doc | None:
        return self._sync().stop()

    def descriptors(self) -> Sequence[Doc]:
        return self._sync().descriptors()

    def event_pages(
        self, descriptor_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return self._sync().event_pages(descriptor_uid, skip, limit)

    def event_count(self, descriptor_uid: str) -> int:
        return self._sync().event_count(descriptor_uid)

    def resources(self) -> Sequence[Doc]:
        return self._sync().resources()

    def resource(self, uid: str) -> Doc:
        return self._sync().resource(uid)

    def lookup_resource_for_datum(self, datum_id: str) -> Doc:
        return self._sync().lookup_resource_for_datum(datum_id)

    def datum_pages(
        self, resource_uid: str, skip: int = 0, limit: int | None = None
    ) -> Iterator[Doc]:
        return self._sync().datum_pages(resource_uid, skip, limit)

    def datum_kwargs(self, datum_ids: Sequence[str]) -> Sequence[tuple[Doc, Doc]]:
        return self._sync().datum_kwargs(datum_ids)

    def stream_resources(self) -> Sequence[Doc]:
        return self._sync().stream_resources()

    def stream_datum(self, descriptor_uid: str) -> Sequence[Doc]:
        return self._sync().stream_datum(descriptor_uid)

    def is_live(self) -> bool:
        return self.stop() is None
