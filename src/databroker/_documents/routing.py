"""Document names, and routing of incoming documents to the run they belong to.

Documents of several runs may arrive interleaved. Each document names its run directly
(``run_start``) or through a descriptor, a resource or a stream resource, so a writer keeps
track of which run each of those uids belongs to while the run is open. Readers of every
file format share :func:`pair_problem` to check the ``[name, doc]`` records they decode.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import DuplicateUniqueID, InvalidDocument

__all__ = ["DOCUMENT_NAMES", "LEGACY_NAMES", "DocumentRouter", "pair_problem"]

#: The document names a writer accepts and a reader returns.
DOCUMENT_NAMES = frozenset(
    {
        "start",
        "descriptor",
        "event",
        "event_page",
        "resource",
        "datum",
        "datum_page",
        "stop",
        "stream_resource",
        "stream_datum",
    }
)
#: Old names accepted on read only (readers turn them into pages); never written.
LEGACY_NAMES = frozenset({"bulk_events", "bulk_datum"})


def _field(name: str, doc: Mapping[str, Any], field: str) -> Any:
    """Return ``doc[field]``, or raise InvalidDocument naming the document type and field."""
    try:
        return doc[field]
    except KeyError:
        raise InvalidDocument(
            f"The {name} document {_describe(doc)} has no {field!r} field, which a writer "
            f"needs to know where it belongs. Add the {field!r} field."
        ) from None


def _describe(doc: Mapping[str, Any]) -> str:
    """Name a document by its uid (or datum id) for error messages."""
    for key in ("uid", "datum_id"):
        if key in doc:
            return f"{key}={doc[key]!r}"
    return "(without uid)"


class DocumentRouter:
    """Validate the links of incoming documents and tell which open run(s) each belongs to.

    A run opens with its ``start`` and closes with its ``stop``; after the stop, the uids of
    its descriptors and resources are forgotten so that memory stays bounded over many runs.
    """

    def __init__(self) -> None:
        self._open: dict[str, None] = {}  # insertion-ordered set of open run uids
        self._stopped: set[str] = set()
        self._descriptors: dict[str, str] = {}
        self._resources: dict[str, list[str]] = {}
        self._stream_resources: dict[str, str] = {}

    @property
    def open_runs(self) -> tuple[str, ...]:
        """The start uids of the runs started and not yet stopped, in start order."""
        return tuple(self._open)

    def route(self, name: str, doc: Mapping[str, Any]) -> list[str]:
        """Validate one document and return the start uids of the runs it belongs to.

        Parameters
        ----------
        name : str
            The document name (``'start'``, ``'event_page'``, ...).
        doc : Mapping
            The document.

        Returns
        -------
        list of str
            One run uid, or every open run for a resource without ``run_start``.

        Raises
        ------
        InvalidDocument
            Unknown name, missing linking field, link to an unknown run, descriptor,
            resource or stream resource, or a document after its run's stop.
        DuplicateUniqueID
            A start whose uid was already routed.
        """
        if name not in DOCUMENT_NAMES:
            raise InvalidDocument(
                f"{name!r} is not a document name a writer accepts; expected one of "
                f"{sorted(DOCUMENT_NAMES)}."
            )
        if name == "start":
            return [self._start(doc)]
        if name in ("descriptor", "stop"):
            run = self._open_run(name, doc, _field(name, doc, "run_start"))
            if name == "descriptor":
                self._descriptors[_field(name, doc, "uid")] = run
            else:
                self._close(run)
            return [run]
        if name == "resource":
            return self._resource(doc)
        if name == "stream_resource":
            uid = _field(name, doc, "uid")
            run = self._open_run(name, doc, _field(name, doc, "run_start"))
            self._stream_resources[uid] = run
            return [run]
        if name in ("datum", "datum_page"):
            return list(self._linked(name, doc, "resource", self._resources))
        run = self._linked(name, doc, "descriptor", self._descriptors)
        if name == "stream_datum":
            self._linked(name, doc, "stream_resource", self._stream_resources)
        return [run]

    def discard(self, run_uid: str) -> None:
        """Forget a run entirely, as if its start had never been routed.

        Writers call this when the run's storage could not be created, so that the start
        can be sent again.
        """
        self._close(run_uid)
        self._stopped.discard(run_uid)

    def _start(self, doc: Mapping[str, Any]) -> str:
        uid = _field("start", doc, "uid")
        if uid in self._open or uid in self._stopped:
            raise DuplicateUniqueID(
                f"A start document with uid {uid!r} was already written by this writer; "
                "every run needs a new uid."
            )
        self._open[uid] = None
        return uid

    def _open_run(self, name: str, doc: Mapping[str, Any], run: str) -> str:
        """Return ``run`` if it is open, else raise InvalidDocument saying why not."""
        if run in self._open:
            return run
        if run in self._stopped:
            raise InvalidDocument(
                f"The {name} document {_describe(doc)} arrived after the stop of its run "
                f"{run!r}; a run takes no documents after its stop."
            )
        raise InvalidDocument(
            f"The {name} document {_describe(doc)} has run_start={run!r}, which is not a run "
            "this writer has seen a start for. Send the start document first."
        )

    def _resource(self, doc: Mapping[str, Any]) -> list[str]:
        uid = _field("resource", doc, "uid")
        if "run_start" in doc:
            runs = [self._open_run("resource", doc, doc["run_start"])]
        else:
            # Old resources carry no run_start: every run in progress may use them.
            runs = list(self._open)
            if not runs:
                raise InvalidDocument(
                    f"The resource document {_describe(doc)} has no 'run_start' and no run is "
                    "open to take it. Send it between a start and its stop, or set run_start."
                )
        self._resources[uid] = runs
        return runs

    def _linked(
        self, name: str, doc: Mapping[str, Any], field: str, known: Mapping[str, Any]
    ) -> Any:
        """Return what ``known`` holds for the uid in ``doc[field]``, or raise InvalidDocument."""
        target = _field(name, doc, field)
        try:
            return known[target]
        except (KeyError, TypeError):
            raise InvalidDocument(
                f"The {name} document {_describe(doc)} refers to {field} {target!r}, which "
                f"is not a {field} of any open run of this writer (never sent, or its run "
                f"has stopped). Send the {field} document first."
            ) from None

    def _close(self, run: str) -> None:
        self._open.pop(run, None)
        self._stopped.add(run)
        for table in (self._descriptors, self._stream_resources):
            for uid in [uid for uid, owner in table.items() if owner == run]:
                del table[uid]
        for uid, runs in list(self._resources.items()):
            if run in runs:
                runs.remove(run)
                if not runs:
                    del self._resources[uid]


def pair_problem(obj: Any) -> str | None:
    """Say why a decoded record is not a ``[name, doc]`` pair readers accept, or return None.

    Readers accept the names of :data:`DOCUMENT_NAMES` and :data:`LEGACY_NAMES`.
    """
    if not isinstance(obj, list) or len(obj) != 2:
        return f"expected a 2-element array [name, document], got {_preview(obj)}"
    name, doc = obj
    if not isinstance(name, str) or not (name in DOCUMENT_NAMES or name in LEGACY_NAMES):
        return f"unknown document name {name!r}"
    if not isinstance(doc, dict):
        return f"the {name} document is not a mapping but {_preview(doc)}"
    return None


def _preview(obj: Any) -> str:
    text = repr(obj)
    return text if len(text) <= 80 else text[:77] + "..."
