"""Tiled query objects translated into our Mongo-style queries on start documents.

Each Tiled query type the catalog understands has one translator in :data:`TRANSLATORS`
returning a Mongo-style filter built by our own query objects (``databroker._query``), so the
catalog store's index answers it without building runs. A query type without a translator, a
key outside the start document, and any operator outside :data:`ALLOWED_OPERATORS` (such as
``$where``, ``$function`` or ``$expr``, which run code on a MongoDB server) raise
:class:`UntranslatableQuery`, which Tiled's server answers with HTTP 400.

A key query on a ``stop.`` key (``Eq('stop.exit_status', 'success')``) is translated by the
same translators into a filter on the stop document (:func:`translate_stop`), which the
catalog evaluates with the in-process matcher on the stop documents of the runs its start
filter lists (read in one bulk call).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bluesky_tiled_plugins.queries import ScanIDRange as BlueskyScanIDRange
from bluesky_tiled_plugins.queries import TimeRange as BlueskyTimeRange
from bluesky_tiled_plugins.queries import _PartialUID, _ScanID
from tiled.queries import (
    Comparison,
    Contains,
    Eq,
    FullText,
    In,
    KeyPresent,
    KeysFilter,
    Like,
    NotEq,
    NotIn,
    QueryValueError,
    Regex,
)

from .._query import keys as _query
from ..errors import DatabrokerError, UnsupportedQuery

__all__ = [
    "ALLOWED_OPERATORS",
    "TRANSLATORS",
    "UntranslatableQuery",
    "check_operators",
    "translate",
    "translate_stop",
]

#: The Mongo operators a translated query may hold; anything else is refused.
ALLOWED_OPERATORS = frozenset(
    [
        "$and",
        "$or",
        "$eq",
        "$ne",
        "$gt",
        "$gte",
        "$lt",
        "$lte",
        "$in",
        "$nin",
        "$exists",
        "$regex",
        "$options",
        "$elemMatch",
        "$text",
        "$search",
    ]
)

Translator = Callable[[Any], dict[str, Any]]


class UntranslatableQuery(UnsupportedQuery, QueryValueError):
    """A query the served catalog cannot answer (Tiled's server replies HTTP 400)."""


def _key(query: Any) -> str:
    key = query.key
    return key


def _eq(query: Eq) -> dict[str, Any]:
    return dict(_query.Eq(_key(query), query.value))


def _noteq(query: NotEq) -> dict[str, Any]:
    return dict(_query.NotEq(_key(query), query.value))


def _comparison(query: Comparison) -> dict[str, Any]:
    return dict(
        _query.Comparison(
            str(getattr(query.operator, "value", query.operator)), _key(query), query.value
        )
    )


def _contains(query: Contains) -> dict[str, Any]:
    return dict(_query.Contains(_key(query), query.value))


def _in(query: In) -> dict[str, Any]:
    return dict(_query.In(_key(query), query.value))


def _notin(query: NotIn) -> dict[str, Any]:
    return dict(_query.NotIn(_key(query), query.value))


def _regex(query: Regex) -> dict[str, Any]:
    return dict(_query.Regex(_key(query), query.pattern, query.case_sensitive))


def _like(query: Like) -> dict[str, Any]:
    # SQL LIKE: % is any run of characters, _ any one character; the rest is literal.
    pattern = "".join(
        ".*" if char == "%" else "." if char == "_" else re.escape(char) for char in query.pattern
    )
    return dict(_query.Regex(_key(query), f"^{pattern}$"))


def _key_present(query: KeyPresent) -> dict[str, Any]:
    return dict(_query.KeyPresent(_key(query), query.exists))


def _full_text(query: FullText) -> dict[str, Any]:
    return dict(_query.FullText(query.text))


def _keys_filter(query: KeysFilter) -> dict[str, Any]:
    return {"uid": {"$in": list(query.keys)}}


def _time_range(query: BlueskyTimeRange) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    if query.since is not None:
        bounds["$gte"] = float(query.since)
    if query.until is not None:
        bounds["$lt"] = float(query.until)
    return {"time": bounds} if bounds else {}


def _scan_id(query: _ScanID) -> dict[str, Any]:
    # 'latest' keeps the newest run of each scan_id: the catalog narrows it by uid (see
    # CatalogAdapter.search); here every run with one of the scan_ids matches.
    return dict(_query.ScanID(*[int(scan_id) for scan_id in query.scan_ids]))


def _scan_id_range(query: BlueskyScanIDRange) -> dict[str, Any]:
    return dict(_query.ScanIDRange(int(query.start_id), int(query.end_id)))


def _partial_uid(query: _PartialUID) -> dict[str, Any]:
    return dict(_query.PartialUID(*query.partial_uids))


#: Tiled query class -> translator into a Mongo-style filter on start documents.
TRANSLATORS: dict[type, Translator] = {
    Eq: _eq,
    NotEq: _noteq,
    Comparison: _comparison,
    Contains: _contains,
    In: _in,
    NotIn: _notin,
    Regex: _regex,
    Like: _like,
    KeyPresent: _key_present,
    FullText: _full_text,
    KeysFilter: _keys_filter,
    BlueskyTimeRange: _time_range,
    _ScanID: _scan_id,
    BlueskyScanIDRange: _scan_id_range,
    _PartialUID: _partial_uid,
}


def translate(query: Any) -> dict[str, Any]:
    """Return the Mongo-style filter of a Tiled query object.

    Raises
    ------
    UntranslatableQuery
        The query type has no translator, names a key outside the start document, or the
        filter it gives holds an operator outside :data:`ALLOWED_OPERATORS`.
    """
    translator = TRANSLATORS.get(type(query))
    if translator is None:
        known = ", ".join(sorted(cls.__name__ for cls in TRANSLATORS))
        raise UntranslatableQuery(
            f"This catalog cannot answer a {type(query).__name__} query ({query!r}); it "
            f"answers {known}."
        )
    try:
        mongo = translator(query)
    except DatabrokerError as error:
        raise UntranslatableQuery(f"Cannot answer {query!r}: {error}") from None
    check_operators(mongo, query)
    return mongo


#: The query types whose ``key`` may name a stop-document field (``stop.exit_status``).
STOP_KEY_QUERIES = (Eq, NotEq, Comparison, Contains, In, NotIn, Regex, Like, KeyPresent)


def translate_stop(query: Any) -> dict[str, Any] | None:
    """Return the Mongo-style filter on stop documents of a key query on a ``stop.`` key
    (the key without its prefix), or None when the query is not about the stop document."""
    key = getattr(query, "key", None)
    if not isinstance(query, STOP_KEY_QUERIES) or not isinstance(key, str):
        return None
    head, dot, rest = key.partition(".")
    if head != "stop" or not dot or not rest:
        return None
    return translate(dataclasses.replace(query, key=rest))


def check_operators(mongo: Mapping[str, Any], query: Any = None) -> None:
    """Refuse a filter holding an operator outside :data:`ALLOWED_OPERATORS` (at any depth,
    values included: an ``Eq`` value ``{'$where': ...}`` would be an operator to MongoDB)."""
    for key in _keys(mongo):
        if key.startswith("$") and key not in ALLOWED_OPERATORS:
            where = f" (from {query!r})" if query is not None else ""
            raise UntranslatableQuery(
                f"The operator {key!r}{where} is not allowed in queries of a served catalog; "
                f"allowed: {' '.join(sorted(ALLOWED_OPERATORS))}."
            )


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _keys(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _keys(item)
