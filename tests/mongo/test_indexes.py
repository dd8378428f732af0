"""ensure_indexes() / check_indexes() on both Mongo catalogs."""

from __future__ import annotations

from typing import Any

import pytest

from databroker._stores.mongo.indexes import EMBEDDED_INDEXES, NORMALIZED_INDEXES


def _specs(layout: Any) -> Any:
    return NORMALIZED_INDEXES if layout.kind == "normalized" else EMBEDDED_INDEXES


def _index_count(layout: Any) -> int:
    return sum(
        len(db[name].index_information())
        for db in layout.databases
        for name in db.list_collection_names()
    )


def test_reading_creates_no_index(layout: Any) -> None:
    """[compat] Readers never create indexes implicitly."""
    cat = layout.catalog()
    list(cat)
    assert _index_count(layout) == 0
    assert len(cat.check_indexes()) == len(_specs(layout))


def test_ensure_indexes_idempotent(layout: Any) -> None:
    """[new] ensure_indexes() creates what is missing, returns the names, and is idempotent."""
    cat = layout.catalog()
    names = cat.ensure_indexes()
    assert len(names) == len(_specs(layout))
    assert cat.check_indexes() == []
    count = _index_count(layout)
    assert cat.ensure_indexes() == names
    assert _index_count(layout) == count


def test_same_key_pattern_counts_as_present(layout: Any) -> None:
    """[new] An existing index with the same key pattern (any name/options) is kept and used."""
    db = layout.databases[0]
    collection, field = (
        ("run_start", "uid") if layout.kind == "normalized" else ("header", "run_id")
    )
    db[collection].create_index([(field, -1)], name="made_elsewhere")
    cat = layout.catalog()
    assert "made_elsewhere" in cat.ensure_indexes()
    keys = [info["key"] for info in db[collection].index_information().values()]
    assert sum(1 for key in keys if [k for k, _ in key] == [field]) == 1


def test_unique_index_blocked_by_duplicates(layout: Any) -> None:
    """[new] A unique index that duplicates prevent warns (collection and key), others proceed."""
    db = layout.databases[0]
    if layout.kind == "normalized":
        db.run_start.insert_many([{"uid": "same", "time": 1.0}, {"uid": "same", "time": 2.0}])
        expected = ["run_start(uid) unique"]
    else:
        db.header.insert_many(
            [
                {"run_id": "same", "start": [{"uid": "same", "time": 1.0}]},
                {"run_id": "same", "start": [{"uid": "same", "time": 2.0}]},
            ]
        )
        expected = ["header(run_id) unique", "header(start.uid) unique"]
    cat = layout.catalog()
    with pytest.warns(UserWarning) as record:
        names = cat.ensure_indexes()
    messages = [str(warning.message) for warning in record]
    assert [m for m in messages if not any(e in m for e in expected)] == []
    assert all(any(e in m for m in messages) for e in expected)
    assert len(names) == len(_specs(layout)) - len(expected)
    assert cat.check_indexes() == expected
