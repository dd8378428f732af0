"""Query objects: named, reusable searches that turn into Mongo-style filters.

Pass them to ``catalog.search(...)`` like a dict::

    catalog.search(TimeRange(since='2024-01-01', until='2024-02-01'))
    catalog.search(TextQuery('calibration'))

Queries match start documents only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import InvalidQuery
from .time import get_zone, local_zone_name, normalize_human_friendly_time

__all__ = ["And", "Or", "Query", "TextQuery", "TimeRange"]


class Query(Mapping[str, Any]):
    """Base class of query objects: a read-only mapping over the Mongo-style :attr:`query`.

    Subclasses call ``super().__init__(query, **kwargs)`` with the filter they build and the
    constructor arguments that rebuild them.
    """

    def __init__(self, query: Mapping[str, Any], **kwargs: Any) -> None:
        self._query = dict(query)
        self._kwargs = kwargs

    @property
    def query(self) -> dict[str, Any]:
        """The Mongo-style filter (a copy; changing it does not change this object)."""
        return copy.deepcopy(self._query)

    @property
    def kwargs(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this query (a copy)."""
        return dict(self._kwargs)

    def replace(self, **kwargs: Any) -> Query:
        """Return a new query of the same type with some constructor arguments changed.

        Examples
        --------
        >>> TimeRange(since='2020', timezone='UTC').replace(until='2021')
        TimeRange(since=2020, until=2021, timezone=UTC)
        """
        return type(self)(**{**self._kwargs, **kwargs})

    def __getitem__(self, key: str) -> Any:
        return self._query[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._query)

    def __len__(self) -> int:
        return len(self._query)

    def __and__(self, other: Mapping[str, Any]) -> Query:
        return And(self, other)

    def __rand__(self, other: Mapping[str, Any]) -> Query:
        return And(other, self)

    def __or__(self, other: Mapping[str, Any]) -> Query:
        return Or(self, other)

    def __ror__(self, other: Mapping[str, Any]) -> Query:
        return Or(other, self)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value}" for key, value in self._kwargs.items())
        return f"{type(self).__name__}({arguments})"


class _Combined(Query):
    """Queries joined by one logical operator (``&`` gives :class:`And`, ``|`` :class:`Or`)."""

    operator: str
    symbol: str

    def __init__(self, *queries: Mapping[str, Any]) -> None:
        for query in queries:
            if not isinstance(query, Mapping):
                raise InvalidQuery(
                    f"Only queries (mappings) combine with {self.symbol!r}, not {query!r}."
                )
        super().__init__({self.operator: [dict(query) for query in queries]})
        self.queries = list(queries)

    def replace(self, **kwargs: Any) -> Query:
        return type(self)(*self.queries)

    def __repr__(self) -> str:
        return "(" + f" {self.symbol} ".join(repr(query) for query in self.queries) + ")"


class And(_Combined):
    """Runs matching every one of the queries."""

    operator = "$and"
    symbol = "&"


class Or(_Combined):
    """Runs matching at least one of the queries."""

    operator = "$or"
    symbol = "|"


class TimeRange(Query):
    """Runs whose start time is in ``[since, until)``.

    Parameters
    ----------
    since, until : str, datetime, date or float, optional
        Bounds, read by :func:`databroker.utils.normalize_human_friendly_time`; an absent
        bound is open.
    timezone : str, optional
        IANA zone for naive bounds; default the local zone.

    Raises
    ------
    ValueError
        If ``since`` is later than ``until``.

    Examples
    --------
    >>> dict(TimeRange(since='2020', timezone='US/Eastern'))
    {'time': {'$gte': 1577854800.0}}
    """

    def __init__(self, since: Any = None, until: Any = None, timezone: str | None = None) -> None:
        if timezone is None:
            timezone = local_zone_name()
        get_zone(timezone)  # fail now on an unknown zone, even with no bounds given
        bounds = {}
        if since is not None:
            bounds["$gte"] = normalize_human_friendly_time(since, timezone)
        if until is not None:
            bounds["$lt"] = normalize_human_friendly_time(until, timezone)
        if since is not None and until is not None and bounds["$gte"] > bounds["$lt"]:
            raise InvalidQuery("since must not be greater than until.")
        super().__init__(
            {"time": bounds} if bounds else {}, since=since, until=until, timezone=timezone
        )


class TextQuery(Query):
    """Runs whose start document contains any of some words (Mongo ``$text`` search).

    Parameters
    ----------
    text_search : str
        Words to look for; ``"quoted phrases"`` are required and ``-word`` excludes.
    """

    def __init__(self, text_search: str) -> None:
        if not isinstance(text_search, str):
            raise InvalidQuery(
                f"TextQuery needs a string of words to search for, not {text_search!r}."
            )
        super().__init__({"$text": {"$search": text_search}}, text_search=text_search)
