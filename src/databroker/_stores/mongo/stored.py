"""What both MongoDB layouts do with what other writers stored: one document per uid, and
well-formed pages.

Without the unique indexes of ``ensure_indexes()`` a database may hold a document twice (a
writer that retried, a copy made twice). Identical copies are read as one document; copies
that differ raise :class:`~databroker.errors.DuplicateUniqueID` naming the uid, the run and the
collection. Checking costs a few set operations per page; stored copies are fetched only when
a uid repeats. Malformed documents raise :class:`~databroker.errors.InvalidDocument` naming
what is wrong and where, instead of failing deep in the column assembly.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ...errors import DuplicateUniqueID, InvalidDocument
from ..base import Doc
from .common import without_id

__all__ = [
    "check_datum_page",
    "check_event_page",
    "checked_resource",
    "location",
    "unique_documents",
    "unique_rows",
]


def location(database: Any, collection: str) -> str:
    """Name a collection for messages: ``collection 'event' of database 'mds'``."""
    return f"collection {collection!r} of database {database.name!r}"


def _comparable(kind: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``doc`` for comparing stored copies (no ``_id``; False ``filled`` = absent)."""
    plain = without_id(doc)
    if kind == "event":
        filled = plain.get("filled") or {}
        plain["filled"] = {key: value for key, value in filled.items() if value is not False}
    return plain


def check_copies(
    kind: str, key: str, uid: Any, copies: Sequence[Mapping[str, Any]], run: str, where: str
) -> None:
    """Raise DuplicateUniqueID unless every stored copy of one document is the same."""
    from ..run_documents import _equal

    first = _comparable(kind, copies[0])
    for other in copies[1:]:
        if not _equal(first, _comparable(kind, other)):
            raise DuplicateUniqueID(
                f"Two different {kind} documents share {key} {uid!r} in run {run!r} ({where}). "
                f"Remove the wrong one; a unique index on {key} (ensure_indexes()) prevents this."
            )


def unique_documents(docs: Iterable[Doc], kind: str, run: str, where: str) -> list[Doc]:
    """Return ``docs`` with repeated copies of a uid dropped (the first stored stays).

    Raises
    ------
    DuplicateUniqueID
        Two documents share a uid but differ.
    """
    kept: dict[Any, Doc] = {}
    unique: list[Doc] = []
    for doc in docs:
        uid = doc.get("uid")
        first = kept.get(uid) if isinstance(uid, str) else None
        if first is None:
            if isinstance(uid, str):
                kept[uid] = doc
            unique.append(doc)
        else:
            check_copies(kind, "uid", uid, [first, doc], run, where)
    return unique


def _take_rows(page: Mapping[str, Any], rows: Sequence[int]) -> dict[str, Any]:
    """Return the given rows of a columnar page (nested mappings hold columns too)."""
    taken: dict[str, Any] = {}
    for key, value in page.items():
        if isinstance(value, Mapping):
            taken[key] = {name: [column[i] for i in rows] for name, column in value.items()}
        elif isinstance(value, list):
            taken[key] = [value[i] for i in rows]
        else:
            taken[key] = value
    return taken


def unique_rows(
    pages: Iterable[dict[str, Any]],
    ids_key: str,
    stored_copies: Callable[[list[Any]], Iterable[Mapping[str, Any]]],
    kind: str,
    run: str,
    where: str,
) -> Iterator[dict[str, Any]]:
    """Yield columnar pages with rows whose id was already yielded left out.

    ``stored_copies(ids)`` returns every stored copy (as single documents) of the given ids;
    it is called only when an id repeats, to check that its copies are identical.

    Raises
    ------
    DuplicateUniqueID
        Two stored copies of one row (event or datum) differ.
    """
    seen: set[Any] = set()
    for page in pages:
        ids = page[ids_key]
        if seen.isdisjoint(ids) and len(set(ids)) == len(ids):
            seen.update(ids)
            yield page
            continue
        keep: list[int] = []
        repeated: dict[Any, None] = {}
        for row, uid in enumerate(ids):
            if uid in seen:
                repeated[uid] = None
            else:
                seen.add(uid)
                keep.append(row)
        _check_stored_copies(list(repeated), ids_key, stored_copies, kind, run, where)
        if keep:
            yield _take_rows(page, keep)


def _check_stored_copies(
    ids: list[Any],
    ids_key: str,
    stored_copies: Callable[[list[Any]], Iterable[Mapping[str, Any]]],
    kind: str,
    run: str,
    where: str,
) -> None:
    copies: dict[Any, list[Mapping[str, Any]]] = {}
    for doc in stored_copies(ids):
        copies.setdefault(doc[ids_key], []).append(doc)
    for uid, found in copies.items():
        check_copies(kind, ids_key, uid, found, run, where)


def _bad_page(what: str, problem: str, run: str, where: str) -> InvalidDocument:
    return InvalidDocument(
        f"The {what} in run {run!r} ({where}) is malformed: {problem}. Rewrite or remove it."
    )


def _check_columns(
    page: Mapping[str, Any], names: Iterable[str], rows: int, what: str, run: str, where: str
) -> None:
    for name in names:
        column = page.get(name)
        if not isinstance(column, list) or len(column) != rows:
            found = "missing" if column is None else _describe(column)
            raise _bad_page(what, f"{name!r} is {found}, expected a list of {rows}", run, where)


def _check_mappings(
    page: Mapping[str, Any], names: Iterable[str], rows: int, what: str, run: str, where: str
) -> None:
    for name in names:
        mapping = page.get(name)
        if not isinstance(mapping, Mapping):
            raise _bad_page(what, f"{name!r} is {_describe(mapping)}, not a mapping", run, where)
        for key, column in mapping.items():
            if not isinstance(column, list) or len(column) != rows:
                problem = f"{name}[{key!r}] is {_describe(column)}, expected a list of {rows}"
                raise _bad_page(what, problem, run, where)


def _describe(value: Any) -> str:
    if isinstance(value, list):
        return f"a list of {len(value)}"
    return f"{type(value).__name__} {value!r}"[:80]


def _row_count(page: Mapping[str, Any], ids_key: str, what: str, run: str, where: str) -> int:
    ids = page.get(ids_key)
    if not isinstance(ids, list) or not all(isinstance(uid, str) for uid in ids):
        found = "missing" if ids is None else _describe(ids)
        raise _bad_page(what, f"{ids_key!r} is {found}, expected a list of strings", run, where)
    return len(ids)


def check_event_page(
    page: dict[str, Any], data_keys: Collection[str], what: str, run: str, where: str
) -> dict[str, Any]:
    """Return a stored event page after checking that its columns line up.

    A page of rows without keys stores no ``data``/``timestamps``/``filled`` mapping (rows
    are pushed key by key): those become empty, unless the descriptor declares data keys.
    """
    rows = _row_count(page, "uid", what, run, where)
    _check_columns(page, ("time", "seq_num"), rows, what, run, where)
    if "data" not in page and data_keys:
        keys = ", ".join(sorted(data_keys))
        raise _bad_page(what, f"it has no 'data' though the descriptor has {keys}", run, where)
    for mapping in ("data", "timestamps", "filled"):
        page.setdefault(mapping, {})
    _check_mappings(page, ("data", "timestamps", "filled"), rows, what, run, where)
    return page


def check_datum_page(page: dict[str, Any], what: str, run: str, where: str) -> dict[str, Any]:
    """Return a stored datum page after checking that its columns line up."""
    rows = _row_count(page, "datum_id", what, run, where)
    page.setdefault("datum_kwargs", {})
    _check_mappings(page, ("datum_kwargs",), rows, what, run, where)
    return page


def checked_resource(resource: Doc, run: str, where: str) -> Doc:
    """Return ``resource`` if it names its handler (``spec``); else raise InvalidDocument."""
    if not isinstance(resource.get("spec"), str):
        raise InvalidDocument(
            f"The resource {resource.get('uid')!r} of run {run!r} ({where}) has no 'spec' "
            f"(got {resource.get('spec')!r}), so no handler can read its data. Add the spec "
            "its writer used, e.g. 'AD_HDF5'."
        )
    return resource
