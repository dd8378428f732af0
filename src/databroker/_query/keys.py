"""Query objects by key, as databroker 2 and Tiled spell them: ``Key('sample') == 'Si'``.

Each builds a Mongo-style filter on start documents, so it works with every catalog. A key
may be written plain (``'sample'``, dotted for nested fields) or with the ``start.`` prefix
databroker 2 uses; other prefixes (``stop.``) are refused, since catalogs search start
documents.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidQuery
from .objects import Query, TextQuery

__all__ = [
    "Comparison",
    "Contains",
    "Eq",
    "FullText",
    "In",
    "Key",
    "KeyPresent",
    "NotEq",
    "NotIn",
    "PartialUID",
    "Regex",
    "ScanID",
    "ScanIDRange",
]

_OPERATORS = {"lt": "$lt", "le": "$lte", "gt": "$gt", "ge": "$gte"}


def start_field(key: str) -> str:
    """Return the start-document field a key names (``'start.x'`` and ``'x'`` give ``'x'``)."""
    if not isinstance(key, str) or not key:
        raise InvalidQuery(f"A query key must be a non-empty string, not {key!r}.")
    head, dot, rest = key.partition(".")
    if head == "start" and dot:
        return rest
    if head == "stop" and dot:
        raise InvalidQuery(
            f"Cannot search on {key!r}: catalogs search start documents only; use a start "
            "field (e.g. 'start.plan_name'), or filter runs on their stop after listing."
        )
    return key


class Eq(Query):
    """Runs whose start field ``key`` equals ``value``."""

    def __init__(self, key: str, value: Any) -> None:
        super().__init__({start_field(key): value}, key=key, value=value)


class NotEq(Query):
    """Runs whose start field ``key`` differs from ``value`` (or is absent)."""

    def __init__(self, key: str, value: Any) -> None:
        super().__init__({start_field(key): {"$ne": value}}, key=key, value=value)


class Comparison(Query):
    """Runs whose start field ``key`` compares to ``value`` by ``operator``.

    Parameters
    ----------
    operator : {'lt', 'le', 'gt', 'ge'}
    key : str
    value
    """

    def __init__(self, operator: str, key: str, value: Any) -> None:
        if operator not in _OPERATORS:
            raise InvalidQuery(f"Unknown comparison {operator!r}; use one of {sorted(_OPERATORS)}.")
        field = start_field(key)
        super().__init__(
            {field: {_OPERATORS[operator]: value}}, operator=operator, key=key, value=value
        )


class Contains(Query):
    """Runs whose start field ``key`` is a list holding ``value``."""

    def __init__(self, key: str, value: Any) -> None:
        super().__init__({start_field(key): {"$elemMatch": {"$eq": value}}}, key=key, value=value)


class In(Query):
    """Runs whose start field ``key`` is one of ``values``."""

    def __init__(self, key: str, values: Iterable[Any]) -> None:
        values = _as_list(values, "In")
        super().__init__({start_field(key): {"$in": values}}, key=key, values=values)


class NotIn(Query):
    """Runs whose start field ``key`` is none of ``values`` (or is absent)."""

    def __init__(self, key: str, values: Iterable[Any]) -> None:
        values = _as_list(values, "NotIn")
        super().__init__({start_field(key): {"$nin": values}}, key=key, values=values)


class Regex(Query):
    """Runs whose start field ``key`` is a string matching ``pattern`` (``re.search``)."""

    def __init__(self, key: str, pattern: str, case_sensitive: bool = True) -> None:
        try:
            re.compile(pattern)
        except (re.error, TypeError) as error:
            raise InvalidQuery(f"Regex pattern {pattern!r} is not valid: {error}.") from None
        condition: dict[str, Any] = {"$regex": pattern}
        if not case_sensitive:
            condition["$options"] = "i"
        super().__init__(
            {start_field(key): condition},
            key=key,
            pattern=pattern,
            case_sensitive=case_sensitive,
        )


class KeyPresent(Query):
    """Runs whose start document has (``exists=True``) or lacks the field ``key``."""

    def __init__(self, key: str, exists: bool = True) -> None:
        super().__init__({start_field(key): {"$exists": bool(exists)}}, key=key, exists=exists)


class FullText(TextQuery):
    """Runs whose start document contains some words (the databroker 2 name of TextQuery)."""


class ScanID(Query):
    """Runs with any of these ``scan_id`` values."""

    def __init__(self, *scan_ids: int) -> None:
        if not scan_ids:
            raise InvalidQuery("ScanID needs at least one scan_id.")
        ids = [_as_int(value, "ScanID") for value in scan_ids]
        query = {"scan_id": ids[0]} if len(ids) == 1 else {"scan_id": {"$in": ids}}
        super().__init__(query, scan_ids=ids)

    def replace(self, **kwargs: Any) -> Query:
        return ScanID(*kwargs.get("scan_ids", self._kwargs["scan_ids"]))


class ScanIDRange(Query):
    """Runs with ``start_id <= scan_id < end_id``."""

    def __init__(self, start_id: int, end_id: int) -> None:
        low, high = _as_int(start_id, "ScanIDRange"), _as_int(end_id, "ScanIDRange")
        if low > high:
            raise InvalidQuery(f"ScanIDRange: start_id {low} is greater than end_id {high}.")
        super().__init__({"scan_id": {"$gte": low, "$lt": high}}, start_id=low, end_id=high)


class PartialUID(Query):
    """Runs whose uid starts with any of these prefixes."""

    def __init__(self, *partial_uids: str) -> None:
        if not partial_uids or not all(isinstance(p, str) and p for p in partial_uids):
            raise InvalidQuery(
                f"PartialUID needs one or more non-empty uid prefixes, not {partial_uids!r}."
            )
        clauses = [{"uid": {"$regex": "^" + re.escape(prefix)}} for prefix in partial_uids]
        query = clauses[0] if len(clauses) == 1 else {"$or": clauses}
        super().__init__(query, partial_uids=list(partial_uids))

    def replace(self, **kwargs: Any) -> Query:
        return PartialUID(*kwargs.get("partial_uids", self._kwargs["partial_uids"]))


class Key:
    """A start-document field, compared with Python operators into query objects.

    Examples
    --------
    >>> dict(Key("sample") == "Si")
    {'sample': 'Si'}
    >>> dict((Key("start.scan_id") >= 10) & (Key("plan_name") != "count"))
    {'$and': [{'scan_id': {'$gte': 10}}, {'plan_name': {'$ne': 'count'}}]}
    """

    def __init__(self, key: str) -> None:
        start_field(key)  # fail now on a stop. key
        self.key = key

    def __eq__(self, value: Any) -> Eq:  # type: ignore[override]
        return Eq(self.key, value)

    def __ne__(self, value: Any) -> NotEq:  # type: ignore[override]
        return NotEq(self.key, value)

    def __lt__(self, value: Any) -> Comparison:
        return Comparison("lt", self.key, value)

    def __le__(self, value: Any) -> Comparison:
        return Comparison("le", self.key, value)

    def __gt__(self, value: Any) -> Comparison:
        return Comparison("gt", self.key, value)

    def __ge__(self, value: Any) -> Comparison:
        return Comparison("ge", self.key, value)

    def in_(self, values: Iterable[Any]) -> In:
        """Runs whose field is one of ``values``."""
        return In(self.key, values)

    def not_in(self, values: Iterable[Any]) -> NotIn:
        """Runs whose field is none of ``values``."""
        return NotIn(self.key, values)

    def contains(self, value: Any) -> Contains:
        """Runs whose field is a list holding ``value``."""
        return Contains(self.key, value)

    def regex(self, pattern: str, case_sensitive: bool = True) -> Regex:
        """Runs whose field matches ``pattern``."""
        return Regex(self.key, pattern, case_sensitive)

    def exists(self, exists: bool = True) -> KeyPresent:
        """Runs that have (or lack) the field."""
        return KeyPresent(self.key, exists)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Key({self.key!r})"


def _as_list(values: Iterable[Any], what: str) -> list[Any]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise InvalidQuery(f"{what} needs a list of values, not {values!r}.")
    return list(values)


def _as_int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidQuery(f"{what} takes integer scan_ids, not {value!r}.")
    return value
