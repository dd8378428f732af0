"""The in-process Mongo-style matcher used by file and in-memory catalogs."""

import re

import mongomock
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databroker._query.matcher import compile_query
from databroker.errors import InvalidQuery, UnsupportedQuery

START = {
    "uid": "abc-123",
    "time": 1_700_000_000.5,
    "plan_name": "grid_scan",
    "scan_id": 42,
    "num_points": 10,
    "detectors": ["det", "cam"],
    "motors": ["m1", "m2"],
    "sample": {"name": "Silicon powder", "composition": {"Si": 1}},
    "hints": {"dimensions": [[["m1"], "primary"], [["m2"], "primary"]]},
    "plan_args": {"args": [1, 2, 3]},
    "shots": [{"n": 1, "ok": True}, {"n": 5, "ok": False}],
    "note": None,
    "flag": True,
    "purpose": "Calibration of the Pilatus detector",
}


def matches(query, doc=START):
    return compile_query(query)(doc)


def test_empty_query_matches_everything():
    """[compat] {} matches every start document."""
    assert matches({})
    assert matches({}, {})


def test_equality_and_missing():
    """[compat] Equality on a field; a different value or a missing field does not match."""
    assert matches({"plan_name": "grid_scan"})
    assert not matches({"plan_name": "count"})
    assert not matches({"no_such_field": "grid_scan"})


def test_equality_is_type_aware():
    """[compat] Numbers equal across int/float, but True is not 1 and '42' is not 42."""
    assert matches({"scan_id": 42.0})
    assert not matches({"scan_id": "42"})
    assert not matches({"flag": 1})
    assert matches({"flag": True})
    assert not matches({"scan_id": True}, {"scan_id": 1})


def test_array_field_contains_value():
    """[compat] Equality on an array field matches when the array contains the value."""
    assert matches({"detectors": "cam"})
    assert not matches({"detectors": "other"})


def test_whole_array_equality():
    """[compat] Equality with a list matches the whole array, in order."""
    assert matches({"detectors": ["det", "cam"]})
    assert not matches({"detectors": ["cam", "det"]})


def test_dotted_path_through_dicts():
    """[compat] Dotted paths reach into embedded documents."""
    assert matches({"sample.name": "Silicon powder"})
    assert matches({"sample.composition.Si": 1})
    assert not matches({"sample.composition.Ge": 1})


def test_dotted_path_through_arrays():
    """[compat] A path through an array of documents matches if any element matches."""
    assert matches({"shots.n": 5})
    assert matches({"shots.n": {"$gt": 4}})
    assert not matches({"shots.n": 3})


def test_numeric_path_component_indexes_array():
    """[compat] A numeric path component indexes an array."""
    assert matches({"detectors.0": "det"})
    assert not matches({"detectors.0": "cam"})
    assert matches({"shots.1.n": 5})
    assert matches({"plan_args.args.2": 3})
    assert not matches({"detectors.5": "det"})


def test_embedded_document_equality():
    """[compat] Equality with a dict compares the whole embedded document."""
    assert matches({"sample.composition": {"Si": 1}})
    assert not matches({"sample.composition": {"Si": 2}})
    assert matches({"shots": {"n": 1, "ok": True}})


def test_none_matches_null_and_missing():
    """[compat] {'f': None} matches a stored null and a missing field."""
    assert matches({"note": None})
    assert matches({"absent": None})
    assert not matches({"plan_name": None})


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"$eq": 42}, True),
        ({"$ne": 42}, False),
        ({"$ne": 41}, True),
        ({"$gt": 41}, True),
        ({"$gt": 42}, False),
        ({"$gte": 42}, True),
        ({"$lt": 43}, True),
        ({"$lt": 42}, False),
        ({"$lte": 42}, True),
        ({"$gt": 40, "$lt": 43}, True),
        ({"$gt": 40, "$lt": 41}, False),
        ({"$in": [1, 42]}, True),
        ({"$in": [1, 2]}, False),
        ({"$nin": [1, 42]}, False),
        ({"$nin": [1, 2]}, True),
        ({"$exists": True}, True),
        ({"$exists": False}, False),
        ({"$mod": [5, 2]}, True),
        ({"$mod": [5, 1]}, False),
        ({"$not": {"$gt": 50}}, True),
        ({"$not": {"$lt": 50}}, False),
    ],
)
def test_comparison_operators(condition, expected):
    """[compat] Comparison, membership, existence, $mod and $not operators on a number."""
    assert matches({"scan_id": condition}) is expected


def test_comparisons_between_kinds_are_false():
    """[compat] A number never compares with a string (MongoDB type brackets)."""
    assert not matches({"plan_name": {"$gt": 5}})
    assert not matches({"plan_name": {"$lt": 5}})
    assert not matches({"scan_id": {"$gt": "a"}})
    assert matches({"plan_name": {"$gt": "a"}})


def test_negations_match_missing_fields():
    """[compat] $ne, $nin, $not and $exists: False match documents without the field."""
    assert matches({"absent": {"$ne": 1}})
    assert matches({"absent": {"$nin": [1]}})
    assert matches({"absent": {"$not": {"$gt": 1}}})
    assert matches({"absent": {"$exists": False}})
    assert not matches({"absent": {"$exists": True}})


def test_ne_on_arrays_excludes_any_element():
    """[compat] $ne on an array field fails when any element equals the value."""
    assert not matches({"detectors": {"$ne": "cam"}})
    assert matches({"detectors": {"$ne": "other"}})


def test_in_with_arrays_and_regex():
    """[compat] $in matches when any element is in the list; regex entries are patterns."""
    assert matches({"detectors": {"$in": ["x", "cam"]}})
    assert matches({"plan_name": {"$in": [re.compile("^grid")]}})
    assert matches({"absent": {"$in": [None]}})


def test_regex_with_options():
    """[compat] $regex with $options i, m, s, x, and a compiled pattern as value."""
    assert matches({"purpose": {"$regex": "pilatus"}}) is False
    assert matches({"purpose": {"$regex": "pilatus", "$options": "i"}})
    assert matches({"purpose": {"$regex": " p i l a t u s ", "$options": "ix"}})
    assert matches({"text": {"$regex": "a.b", "$options": "s"}}, {"text": "a\nb"})
    assert matches({"text": {"$regex": "^b", "$options": "m"}}, {"text": "a\nb"})
    assert matches({"purpose": re.compile("PILATUS", re.IGNORECASE)})
    assert matches({"purpose": {"$regex": re.compile("PILATUS"), "$options": "i"}})
    assert matches({"detectors": {"$regex": "^ca"}})
    assert not matches({"scan_id": {"$regex": "4"}})


def test_not_with_regex():
    """[compat] $not accepts a compiled regular expression."""
    assert matches({"plan_name": {"$not": re.compile("^count")}})
    assert not matches({"plan_name": {"$not": re.compile("^grid")}})


def test_logical_operators():
    """[compat] $and, $or and $nor combine whole-document queries."""
    assert matches({"$and": [{"scan_id": 42}, {"plan_name": "grid_scan"}]})
    assert not matches({"$and": [{"scan_id": 42}, {"plan_name": "count"}]})
    assert matches({"$or": [{"scan_id": 1}, {"plan_name": "grid_scan"}]})
    assert not matches({"$or": [{"scan_id": 1}, {"plan_name": "count"}]})
    assert matches({"$nor": [{"scan_id": 1}, {"plan_name": "count"}]})
    assert not matches({"$nor": [{"scan_id": 42}]})


def test_all_size_elem_match():
    """[compat] $all, $size and $elemMatch on arrays."""
    assert matches({"detectors": {"$all": ["cam", "det"]}})
    assert not matches({"detectors": {"$all": ["cam", "x"]}})
    assert not matches({"detectors": {"$all": []}})
    assert matches({"detectors": {"$size": 2}})
    assert not matches({"detectors": {"$size": 3}})
    assert not matches({"plan_name": {"$size": 1}})
    assert matches({"shots": {"$elemMatch": {"n": 5, "ok": False}}})
    # Both conditions must hold for the same element.
    assert not matches({"shots": {"$elemMatch": {"n": 5, "ok": True}}})
    assert matches({"plan_args.args": {"$elemMatch": {"$gt": 2, "$lt": 4}}})
    assert not matches({"plan_args.args": {"$elemMatch": {"$gt": 3}}})


def test_mod_truncates_like_mongo():
    """[compat] $mod truncates the field value and keeps the dividend's sign."""
    assert matches({"x": {"$mod": [4, 1]}}, {"x": 5.9})
    assert matches({"x": {"$mod": [4, -1]}}, {"x": -5})
    assert not matches({"x": {"$mod": [4, 1]}}, {"x": "5"})


def test_text_search_any_word_case_insensitive():
    """[new] $text matches any whole word of the search, ignoring case, in any string."""
    assert matches({"$text": {"$search": "pilatus eiger"}})
    assert matches({"$text": {"$search": "SILICON"}})  # nested string value
    assert matches({"$text": {"$search": "cam"}})  # string inside an array
    assert not matches({"$text": {"$search": "pila"}})  # whole words only
    assert not matches({"$text": {"$search": "uid"}})  # keys are not text


def test_text_search_phrases_and_exclusions():
    """[new] $text: quoted phrases are required and -words exclude."""
    assert matches({"$text": {"$search": '"pilatus detector"'}})
    assert not matches({"$text": {"$search": '"detector pilatus" calibration'}})
    assert matches({"$text": {"$search": 'eiger "of the"'}})
    assert not matches({"$text": {"$search": "calibration -pilatus"}})
    assert not matches({"$text": {"$search": 'calibration -"the pilatus"'}})
    assert matches({"$text": {"$search": 'calibration -"the eiger"'}})
    assert not matches({"$text": {"$search": "-eiger"}})  # only exclusions match nothing


def test_text_search_diacritics_and_case_options():
    """[new] $text ignores diacritics by default; $caseSensitive is honoured."""
    doc = {"sample": "Échantillon café"}
    assert matches({"$text": {"$search": "cafe echantillon"}}, doc)
    assert not matches({"$text": {"$search": "CAFE", "$caseSensitive": True}}, doc)


def test_text_inside_and_is_allowed_but_not_inside_nor():
    """[new] $text works inside a top-level $and (as catalogs combine queries), not in $nor."""
    assert matches({"$and": [{"scan_id": 42}, {"$text": {"$search": "pilatus"}}]})
    with pytest.raises(InvalidQuery, match=r"\$text"):
        compile_query({"$nor": [{"$text": {"$search": "pilatus"}}]})


@pytest.mark.parametrize(
    ("query", "operator"),
    [
        ({"x": {"$where": "1"}}, "$where"),
        ({"$where": "this.x == 1"}, "$where"),
        ({"x": {"$type": "string"}}, "$type"),
        ({"$expr": {"$eq": ["$a", "$b"]}}, "$expr"),
        ({"loc": {"$near": [0, 0]}}, "$near"),
        ({"$or": [{"a": 1}, {"b": {"$geoWithin": {}}}]}, "$geoWithin"),
    ],
)
def test_unsupported_operators(query, operator):
    """[compat] Operators the matcher cannot evaluate raise UnsupportedQuery naming both."""
    with pytest.raises(
        UnsupportedQuery, match=r"in-process matcher for file and in-memory"
    ) as info:
        compile_query(query)
    assert isinstance(info.value, NotImplementedError)
    assert repr(operator) in str(info.value)


@pytest.mark.parametrize(
    "query",
    [
        ["not", "a", "mapping"],
        {"$and": {"a": 1}},
        {"$or": []},
        {"x": {"$in": 5}},
        {"x": {"$nin": "abc"}},
        {"x": {"$regex": 5}},
        {"x": {"$regex": "("}},
        {"x": {"$options": "i"}},
        {"x": {"$regex": "a", "$options": "q"}},
        {"x": {"$size": -1}},
        {"x": {"$mod": [0, 1]}},
        {"x": {"$all": "abc"}},
        {"x": {"$not": 5}},
        {"x": {"$gt": 1, "y": 2}},
        {"x": {"$and": [{"a": 1}]}},
        {"$text": "words"},
        {1: "int key"},
    ],
)
def test_malformed_queries(query):
    """[compat] Malformed queries raise InvalidQuery (a ValueError)."""
    with pytest.raises(InvalidQuery):
        compile_query(query)


def test_compiled_query_is_reusable_over_many_documents():
    """[compat] One compiled query evaluates many documents.

    Sanity check (not asserted): 5,000 start documents against a two-field query take about
    3-5 ms on a laptop; the limit we care about is well under 20 ms.
    """
    docs = [{"plan_name": "count" if i % 2 else "scan", "num_points": i % 10} for i in range(5000)]
    predicate = compile_query({"plan_name": "count", "num_points": {"$gt": 3}})
    assert sum(map(predicate, docs)) == sum(
        1 for d in docs if d["plan_name"] == "count" and d["num_points"] > 3
    )


# -- agreement with mongomock ----------------------------------------------------------------

FIELDS = ("a", "b", "c")
scalars = st.one_of(st.integers(-3, 3), st.sampled_from(["", "a", "b", "ab", "B"]))
documents = st.lists(
    st.dictionaries(st.sampled_from(FIELDS), scalars, max_size=len(FIELDS)),
    min_size=1,
    max_size=12,
)


@st.composite
def simple_conditions(draw):
    op = draw(
        st.sampled_from(["$eq", "$ne", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", "$exists"])
    )
    if op in ("$in", "$nin"):
        value = draw(st.lists(scalars, max_size=3))
    elif op == "$exists":
        value = draw(st.booleans())
    else:
        value = draw(scalars)
    return {op: value}


simple_queries = st.dictionaries(
    st.sampled_from(FIELDS),
    st.one_of(scalars, simple_conditions()),
    max_size=2,
)


@settings(max_examples=300, deadline=None)
@given(docs=documents, query=simple_queries)
def test_agrees_with_mongomock(docs, query):
    """[compat] On flat int/str documents, simple comparison queries match what Mongo finds."""
    collection = mongomock.MongoClient().db.runs
    for i, doc in enumerate(docs):
        collection.insert_one({"_id": i, **doc})
    expected = sorted(d["_id"] for d in collection.find(query, {"_id": 1}))
    predicate = compile_query(query)
    assert [i for i, doc in enumerate(docs) if predicate(doc)] == expected
