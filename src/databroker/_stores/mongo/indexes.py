"""The indexes the MongoDB layouts want, and creating or checking them on request.

Readers never create indexes by themselves; ``ensure_indexes()`` on a Mongo catalog does.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["EMBEDDED_INDEXES", "NORMALIZED_INDEXES", "IndexSpec", "check_indexes", "ensure_indexes"]

Key = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class IndexSpec:
    """One wanted index: which database (role), collection, key pattern and uniqueness."""

    role: str
    collection: str
    keys: Key
    unique: bool = False

    def describe(self) -> str:
        """Return e.g. ``'run_start(uid) unique'``."""
        fields = ", ".join(
            field if direction == 1 else f"{field} {direction}" for field, direction in self.keys
        )
        return f"{self.collection}({fields})" + (" unique" if self.unique else "")


def _spec(role: str, collection: str, *fields: str | tuple[str, Any], unique: bool = False):
    keys = tuple((field, 1) if isinstance(field, str) else field for field in fields)
    return IndexSpec(role, collection, keys, unique)


_TEXT = ("$**", "text")
_MDS, _ASSETS, _DB = "metadatastore", "assets", "database"

#: Indexes of the normalized layout; role ``metadatastore`` or ``assets`` names the database.
NORMALIZED_INDEXES: tuple[IndexSpec, ...] = (
    _spec(_MDS, "run_start", "uid", unique=True),
    _spec(_MDS, "run_start", "time"),
    _spec(_MDS, "run_start", "scan_id"),
    _spec(_MDS, "run_start", "scan_id", "time"),
    _spec(_MDS, "run_start", _TEXT),
    _spec(_MDS, "run_stop", "run_start", unique=True),
    _spec(_MDS, "run_stop", "uid", unique=True),
    _spec(_MDS, "event_descriptor", "uid", unique=True),
    _spec(_MDS, "event_descriptor", "run_start", "time"),
    _spec(_MDS, "event", "uid", unique=True),
    _spec(_MDS, "event", "descriptor", "time"),
    _spec(_MDS, "event", "descriptor", "seq_num"),
    _spec(_ASSETS, "resource", "uid"),
    _spec(_ASSETS, "resource", "run_start"),
    _spec(_ASSETS, "datum", "datum_id", unique=True),
    _spec(_ASSETS, "datum", "resource"),
    _spec(_ASSETS, "stream_resource", "uid", unique=True),
    _spec(_ASSETS, "stream_resource", "run_start"),
    _spec(_ASSETS, "stream_datum", "uid", unique=True),
    _spec(_ASSETS, "stream_datum", "descriptor", "seq_nums.start"),
)

#: Indexes of the embedded layout (one database, role ``database``).
EMBEDDED_INDEXES: tuple[IndexSpec, ...] = (
    _spec(_DB, "header", "run_id", unique=True),
    _spec(_DB, "header", "start.uid", unique=True),
    _spec(_DB, "header", "start.time"),
    _spec(_DB, "header", "start.scan_id"),
    _spec(_DB, "header", _TEXT),
    _spec(_DB, "event", "descriptor", "first_index"),
    _spec(_DB, "datum", "resource", "first_index"),
    _spec(_DB, "datum", "datum_id"),
    _spec(_DB, "stream_datum", "uid", unique=True),
    _spec(_DB, "stream_datum", "descriptor", "seq_nums.start"),
)


def _is_text(keys: Sequence[tuple[str, Any]]) -> bool:
    return any(direction == "text" for _, direction in keys)


def _same_pattern(existing: Sequence[tuple[str, Any]], wanted: Key) -> bool:
    """True if an existing key pattern serves as ``wanted``.

    A text index is a text index whatever MongoDB stores as its key (``_fts``/``_ftsx``);
    a pattern with every direction reversed serves the same queries and sorts.
    """
    if _is_text(wanted):
        return _is_text(existing)
    existing = [(field, direction) for field, direction in existing]
    if [field for field, _ in existing] != [field for field, _ in wanted]:
        return False
    same = all(a == b for (_, a), (_, b) in zip(existing, wanted, strict=True))
    flipped = all(a == -b for (_, a), (_, b) in zip(existing, wanted, strict=True))
    return same or flipped


def _find_existing(collection: Any, spec: IndexSpec) -> str | None:
    for name, info in collection.index_information().items():
        if _same_pattern(info["key"], spec.keys):
            return name
    return None


def check_indexes(databases: Mapping[str, Any], specs: Sequence[IndexSpec]) -> list[str]:
    """Return descriptions of the wanted indexes that are missing (empty: all present)."""
    return [
        spec.describe()
        for spec in specs
        if _find_existing(databases[spec.role][spec.collection], spec) is None
    ]


def ensure_indexes(databases: Mapping[str, Any], specs: Sequence[IndexSpec]) -> list[str]:
    """Create the missing indexes; return the names of every index ensured.

    Existing indexes with the same key pattern count as present (whatever their name or
    options) and nothing is ever dropped. A unique index that existing duplicates prevent
    gives a warning naming collection and key, and the remaining indexes are still made.
    """
    from pymongo.errors import DuplicateKeyError, OperationFailure

    names: list[str] = []
    for spec in specs:
        collection = databases[spec.role][spec.collection]
        existing = _find_existing(collection, spec)
        if existing is not None:
            names.append(existing)
            continue
        try:
            names.append(collection.create_index(list(spec.keys), unique=spec.unique))
        except (DuplicateKeyError, OperationFailure) as error:
            if not spec.unique or not _is_duplicate_error(error):
                raise
            warnings.warn(
                f"Could not create the unique index {spec.describe()} in database "
                f"{databases[spec.role].name!r}: existing documents share a value "
                f"({error}). Remove the duplicates and call ensure_indexes() again; the "
                "other indexes were created.",
                UserWarning,
                stacklevel=3,
            )
    return names


def _is_duplicate_error(error: Exception) -> bool:
    return (
        getattr(error, "code", None) in (11000, 11001)
        or "E11000" in str(error)
        or ("duplicate" in str(error).lower())
    )
