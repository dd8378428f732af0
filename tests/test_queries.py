"""Query objects: TimeRange and TextQuery."""

import pickle
from collections.abc import Mapping
from zoneinfo import ZoneInfo

import pytest

from databroker._query.matcher import compile_query
from databroker._query.time import local_zone_name
from databroker.errors import InvalidQuery
from databroker.queries import Query, TextQuery, TimeRange

NEW_YEAR_2020_EST = 1577854800.0
NEW_YEAR_2021_EST = 1609477200.0


def test_time_range_spec_example():
    """[compat] TimeRange(since='2020', timezone='US/Eastern') → {'time': {'$gte': ...}}."""
    query = TimeRange(since="2020", timezone="US/Eastern")
    assert dict(query) == {"time": {"$gte": NEW_YEAR_2020_EST}}
    assert query.query == {"time": {"$gte": NEW_YEAR_2020_EST}}


def test_time_range_both_bounds_until_exclusive():
    """[compat] until is an exclusive $lt bound."""
    query = TimeRange(since="2020", until="2021", timezone="US/Eastern")
    assert query.query == {"time": {"$gte": NEW_YEAR_2020_EST, "$lt": NEW_YEAR_2021_EST}}
    match = compile_query(query)
    assert match({"time": NEW_YEAR_2020_EST})
    assert not match({"time": NEW_YEAR_2021_EST})


def test_time_range_only_until_and_no_bounds():
    """[compat] Absent bounds are left out; no bounds gives {}."""
    assert TimeRange(until=5.0, timezone="UTC").query == {"time": {"$lt": 5.0}}
    empty = TimeRange(timezone="UTC")
    assert empty.query == {}
    assert len(empty) == 0


def test_since_after_until():
    """[compat] since > until raises ValueError('since must not be greater than until.')."""
    with pytest.raises(ValueError, match=r"^since must not be greater than until\.$"):
        TimeRange(since="2021", until="2020", timezone="UTC")


def test_default_timezone_is_local_iana_name():
    """[compat] The default timezone is the local zone's IANA name."""
    query = TimeRange(since="2020")
    assert query.kwargs["timezone"] == local_zone_name()
    ZoneInfo(query.kwargs["timezone"])


def test_unknown_timezone():
    """[compat] An unknown timezone is refused at construction, naming it."""
    with pytest.raises(ValueError, match="Nowhere/Land"):
        TimeRange(timezone="Nowhere/Land")


def test_query_is_read_only_mapping():
    """[compat] Query objects are read-only Mappings over .query."""
    query = TimeRange(since="2020", timezone="US/Eastern")
    assert isinstance(query, Mapping)
    assert isinstance(query, Query)
    assert list(query) == ["time"]
    assert query["time"] == {"$gte": NEW_YEAR_2020_EST}
    assert query == {"time": {"$gte": NEW_YEAR_2020_EST}}
    with pytest.raises(TypeError):
        query["time"] = 1  # type: ignore[index]
    copy_of_query = query.query
    copy_of_query["time"]["$gte"] = 0
    assert query.query == {"time": {"$gte": NEW_YEAR_2020_EST}}


def test_kwargs_and_replace():
    """[compat] .kwargs holds the arguments; replace(**kw) builds a new query of the same type."""
    query = TimeRange(since="2020", timezone="US/Eastern")
    assert query.kwargs == {"since": "2020", "until": None, "timezone": "US/Eastern"}
    later = query.replace(until="2021")
    assert type(later) is TimeRange
    assert later.query == {"time": {"$gte": NEW_YEAR_2020_EST, "$lt": NEW_YEAR_2021_EST}}
    assert query.query == {"time": {"$gte": NEW_YEAR_2020_EST}}
    assert TextQuery("a").replace(text_search="b").query == {"$text": {"$search": "b"}}


def test_repr():
    """[compat] repr is like TimeRange(since=2020, until=2021, timezone=US/Eastern)."""
    query = TimeRange(since="2020", until="2021", timezone="US/Eastern")
    assert repr(query) == "TimeRange(since=2020, until=2021, timezone=US/Eastern)"
    assert repr(TextQuery("dark current")) == "TextQuery(text_search=dark current)"


@pytest.mark.parametrize(
    "query", [TimeRange(since="2020", until="2021", timezone="US/Eastern"), TextQuery("Si")]
)
def test_pickle(query):
    """[compat] Query objects survive pickling with type, content and arguments."""
    restored = pickle.loads(pickle.dumps(query))
    assert type(restored) is type(query)
    assert restored == query
    assert restored.kwargs == query.kwargs
    assert repr(restored) == repr(query)


def test_text_query():
    """[compat] TextQuery(text) → {'$text': {'$search': text}}."""
    assert TextQuery("dark current").query == {"$text": {"$search": "dark current"}}
    match = compile_query(TextQuery("dark"))
    assert match({"purpose": "Dark frames"})
    assert not match({"purpose": "light frames"})


def test_text_query_needs_string():
    """[compat] TextQuery refuses a non-string search with InvalidQuery naming it."""
    with pytest.raises(InvalidQuery, match="42"):
        TextQuery(42)  # type: ignore[arg-type]
